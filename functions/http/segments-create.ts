import { etag, httpRoute } from '../../shared/platform/http.ts';
import { idempotency } from '../../shared/platform/idempotency.ts';
import { startRun } from '../../shared/segments/recompute.ts';
import { segmentCreateSchema } from '../../shared/segments/schema.ts';
import { createSegment, segmentView } from '../../shared/segments/service.ts';

export const handler = httpRoute(
  { scope: 'write', body: segmentCreateSchema },
  async ({ body }) => {
    const segment = await createSegment(body);
    // A dynamic segment fills by a recomputation of that segment; a static one was filled from its list.
    const run =
      segment.kind === 'dynamic' ? await startRun('api', { segmentId: segment.segmentId }) : undefined;
    return {
      status: 201,
      body: { ...(await segmentView(segment)), ...(run && { recompute: run }) },
      headers: { Location: `/v1/segments/${segment.segmentId}`, ETag: etag(segment.version) },
    };
  },
  [idempotency()],
);
