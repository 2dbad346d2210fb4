import { customerUpsertSchema } from '../../shared/customers/schema.ts';
import { upsertCustomer } from '../../shared/customers/service.ts';
import { etag, httpRoute } from '../../shared/platform/http.ts';
import { idempotency } from '../../shared/platform/idempotency.ts';

export const handler = httpRoute(
  { scope: 'write', body: customerUpsertSchema },
  async ({ body, principal }) => {
    const { customer, outcome } = await upsertCustomer(body, principal);
    return {
      status: outcome === 'created' ? 201 : 200,
      body: customer,
      headers: {
        ETag: etag(customer.version),
        'Cohort-Outcome': outcome,
        ...(outcome === 'created' && { Location: `/v1/customers/${customer.id}` }),
      },
    };
  },
  [idempotency()],
);
