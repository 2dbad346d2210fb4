import { segmentMessage } from '../../events/schemas/index.ts';
import { sqsBatch } from '../../shared/platform/batch.ts';
import { runStep } from '../../shared/segments/recompute.ts';

export const handler = sqsBatch(segmentMessage, async (message) => {
  await runStep(message);
});
