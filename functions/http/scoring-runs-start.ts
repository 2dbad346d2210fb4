import { httpRoute } from '../../shared/platform/http.ts';
import { startRun } from '../../shared/scoring/runs.ts';

export const handler = httpRoute({ scope: 'admin' }, async () => {
  const run = await startRun('api');
  return { status: 202, body: run, headers: { Location: `/v1/scoring/runs/${run.id}` } };
});
