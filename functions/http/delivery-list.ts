import { customerIdParams } from '../../shared/customers/schema.ts';
import { listDeliveries } from '../../shared/delivery/ledger.ts';
import { deliveriesQuery } from '../../shared/delivery/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute(
  { scope: 'read', params: customerIdParams, query: deliveriesQuery },
  async ({ params, query }) => ({ status: 200, body: await listDeliveries(params.customerId, query) }),
);
