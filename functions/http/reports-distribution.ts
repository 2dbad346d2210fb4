import { httpRoute } from '../../shared/platform/http.ts';
import { distribution } from '../../shared/scoring/reports.ts';
import { distributionQuery } from '../../shared/scoring/schema.ts';

export const handler = httpRoute({ scope: 'read', query: distributionQuery }, async ({ query }) => ({
  status: 200,
  body: await distribution(query.of),
}));
