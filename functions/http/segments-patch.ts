import { etag, httpRoute } from '../../shared/platform/http.ts';
import { expectedVersion } from '../../shared/platform/preconditions.ts';
import { startRun } from '../../shared/segments/recompute.ts';
import { segmentIdParams, segmentPatchSchema } from '../../shared/segments/schema.ts';
import { patchSegment, segmentView } from '../../shared/segments/service.ts';

export const handler = httpRoute(
  {
    scope: 'write',
    params: segmentIdParams,
    body: segmentPatchSchema,
    bodyTypes: ['application/merge-patch+json'],
  },
  async ({ params, body, headers }) => {
    const version = expectedVersion(headers);
    const { segment, reevaluate } = await patchSegment(params.segmentId, body, version);
    // A new rule re-evaluates every customer against this segment.
    const run = reevaluate ? await startRun('api', { segmentId: segment.segmentId }) : undefined;
    return {
      status: 200,
      body: { ...(await segmentView(segment)), ...(run && { recompute: run }) },
      headers: { ETag: etag(segment.version) },
    };
  },
);
