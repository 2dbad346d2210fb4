import { mergeMessage } from '../../events/schemas/index.ts';
import { enqueueMerge, mergePage } from '../../shared/customers/merge.ts';
import { sqsBatch } from '../../shared/platform/batch.ts';

export const handler = sqsBatch(mergeMessage, async ({ mergeId }) => {
  // Large histories move a page per message, so no invocation runs into its timeout.
  if ((await mergePage(mergeId)) === 'more') await enqueueMerge(mergeId);
});
