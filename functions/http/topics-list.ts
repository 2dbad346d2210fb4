import { listTopics } from '../../shared/consent/topics.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute({ scope: 'read' }, async () => ({
  status: 200,
  body: { items: await listTopics() },
}));
