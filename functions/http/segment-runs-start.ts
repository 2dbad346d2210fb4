import { httpRoute } from '../../shared/platform/http.ts';
import { startRun } from '../../shared/segments/recompute.ts';
import { runStartSchema } from '../../shared/segments/schema.ts';

export const handler = httpRoute({ scope: 'admin', body: runStartSchema }, async ({ body }) => {
  const run = await startRun('api', body.segmentId ? { segmentId: body.segmentId } : {});
  return { status: 202, body: run, headers: { Location: `/v1/segments/runs/${run.id}` } };
});
