import { eventBatchSchema } from '../../shared/events/schema.ts';
import { ingestEvents } from '../../shared/events/service.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute(
  { scope: 'ingest', body: eventBatchSchema },
  async ({ body, principal }) => ({
    status: 200,
    body: await ingestEvents(body.events, principal),
  }),
);
