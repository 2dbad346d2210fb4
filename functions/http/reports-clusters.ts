import { httpRoute } from '../../shared/platform/http.ts';
import { clusters } from '../../shared/scoring/reports.ts';
import { clustersQuery } from '../../shared/scoring/schema.ts';

export const handler = httpRoute({ scope: 'read', query: clustersQuery }, async ({ query }) => ({
  status: 200,
  body: await clusters(query.k),
}));
