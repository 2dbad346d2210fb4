import { etag, httpRoute } from '../../shared/platform/http.ts';
import { startRun } from '../../shared/segments/recompute.ts';
import { segmentIdParams } from '../../shared/segments/schema.ts';
import { archiveSegment, segmentView } from '../../shared/segments/service.ts';

export const handler = httpRoute({ scope: 'write', params: segmentIdParams }, async ({ params }) => {
  const { segment, changed } = await archiveSegment(params.segmentId);
  // Members leave through a recomputation of the segment, each exit through the membership writer.
  const run = changed ? await startRun('api', { segmentId: segment.segmentId }) : undefined;
  return {
    status: 200,
    body: { ...(await segmentView(segment)), ...(run && { recompute: run }) },
    headers: { ETag: etag(segment.version) },
  };
});
