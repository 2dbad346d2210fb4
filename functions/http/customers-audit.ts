import { auditQuery, customerIdParams } from '../../shared/customers/schema.ts';
import { customerAudit } from '../../shared/customers/service.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute(
  { scope: 'admin', params: customerIdParams, query: auditQuery },
  async ({ params, query }) => ({
    status: 200,
    body: await customerAudit(params.customerId, query.limit, query.cursor),
  }),
);
