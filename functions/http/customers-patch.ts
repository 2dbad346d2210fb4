import { customerIdParams, customerPatchSchema } from '../../shared/customers/schema.ts';
import { patchCustomer } from '../../shared/customers/service.ts';
import { etag, httpRoute } from '../../shared/platform/http.ts';
import { expectedVersion } from '../../shared/platform/preconditions.ts';

export const handler = httpRoute(
  {
    scope: 'write',
    params: customerIdParams,
    body: customerPatchSchema,
    bodyTypes: ['application/merge-patch+json'],
  },
  async ({ params, body, headers, principal }) => {
    const version = expectedVersion(headers);
    const { customer, outcome } = await patchCustomer(params.customerId, body, version, principal);
    return {
      status: 200,
      body: customer,
      headers: { ETag: etag(customer.version), 'Cohort-Outcome': outcome },
    };
  },
);
