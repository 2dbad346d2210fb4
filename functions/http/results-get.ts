import { httpRoute } from '../../shared/platform/http.ts';
import { readResults } from '../../shared/results/report.ts';
import { resultsParams, resultsQuery } from '../../shared/results/schema.ts';

export const handler = httpRoute(
  { scope: 'read', params: resultsParams, query: resultsQuery },
  async ({ params, query }) => ({
    status: 200,
    body: await readResults(`${params.kind}:${params.sourceId}`, query.run),
  }),
);
