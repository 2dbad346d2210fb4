import { httpRoute } from '../../shared/platform/http.ts';
import { timeseries } from '../../shared/scoring/reports.ts';
import { timeseriesQuery } from '../../shared/scoring/schema.ts';

export const handler = httpRoute({ scope: 'read', query: timeseriesQuery }, async ({ query }) => ({
  status: 200,
  body: await timeseries(query.of, query.from, query.to),
}));
