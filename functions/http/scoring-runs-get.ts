import { httpRoute } from '../../shared/platform/http.ts';
import { getRun } from '../../shared/scoring/runs.ts';
import { runIdParams } from '../../shared/scoring/schema.ts';

export const handler = httpRoute({ scope: 'read', params: runIdParams }, async ({ params }) => ({
  status: 200,
  body: await getRun(params.runId),
}));
