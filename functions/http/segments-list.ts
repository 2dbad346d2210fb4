import { httpRoute } from '../../shared/platform/http.ts';
import { segmentListQuery } from '../../shared/segments/schema.ts';
import { listSegments } from '../../shared/segments/service.ts';

export const handler = httpRoute({ scope: 'read', query: segmentListQuery }, async ({ query }) => ({
  status: 200,
  body: await listSegments(query),
}));
