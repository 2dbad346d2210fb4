import { orderBatchSchema } from '../../shared/events/schema.ts';
import { ingestOrders } from '../../shared/events/service.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute(
  { scope: 'ingest', body: orderBatchSchema },
  async ({ body, principal }) => ({
    status: 200,
    body: await ingestOrders(body.orders, principal),
  }),
);
