import { customerIdParams } from '../../shared/customers/schema.ts';
import { timelineQuery } from '../../shared/events/schema.ts';
import { timeline } from '../../shared/events/service.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute(
  { scope: 'read', params: customerIdParams, query: timelineQuery },
  async ({ params, query }) => ({ status: 200, body: await timeline(params.customerId, query) }),
);
