import { customerIdParams } from '../../shared/customers/schema.ts';
import { createCustomerDataExport } from '../../shared/exports/service.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute(
  { scope: 'admin', params: customerIdParams },
  async ({ params, principal }) => {
    const job = await createCustomerDataExport(params.customerId, principal);
    return { status: 202, body: job, headers: { location: `/v1/exports/${job.id}` } };
  },
);
