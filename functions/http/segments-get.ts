import { etag, httpRoute } from '../../shared/platform/http.ts';
import { segmentIdParams } from '../../shared/segments/schema.ts';
import { requireSegment, segmentView } from '../../shared/segments/service.ts';

export const handler = httpRoute({ scope: 'read', params: segmentIdParams }, async ({ params }) => {
  const segment = await requireSegment(params.segmentId);
  return { status: 200, body: await segmentView(segment), headers: { ETag: etag(segment.version) } };
});
