import { erasureMessage } from '../../events/schemas/index.ts';
import { enqueueErasure, erasePage } from '../../shared/customers/erasure.ts';
import { sqsBatch } from '../../shared/platform/batch.ts';

export const handler = sqsBatch(erasureMessage, async ({ customerId }) => {
  // Large histories are erased a page per message, so no invocation runs into its timeout.
  if ((await erasePage(customerId)) === 'more') await enqueueErasure(customerId);
});
