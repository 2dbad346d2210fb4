import { importReadMessage } from '../../events/schemas/index.ts';
import { readImport } from '../../shared/imports/reader.ts';
import { sendReadMessage } from '../../shared/imports/service.ts';
import { sqsBatch } from '../../shared/platform/batch.ts';

/** Time kept back from the Lambda timeout: the chunk being sent finishes, the hand-over is sent. */
const RESERVE_MS = 60_000;

export const handler = sqsBatch(importReadMessage, async ({ jobId }, _record, context) => {
  const budgetMs = Math.max(5_000, context.getRemainingTimeInMillis() - RESERVE_MS);
  // A large file spans many invocations: each reads until its budget is spent and hands over.
  if ((await readImport(jobId, { budgetMs })) === 'more') await sendReadMessage(jobId);
});
