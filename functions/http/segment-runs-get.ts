import { httpRoute } from '../../shared/platform/http.ts';
import { getRun } from '../../shared/segments/recompute.ts';
import { segmentRunParams } from '../../shared/segments/schema.ts';

export const handler = httpRoute({ scope: 'read', params: segmentRunParams }, async ({ params }) => ({
  status: 200,
  body: await getRun(params.runId),
}));
