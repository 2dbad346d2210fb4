import { exportMessage } from '../../events/schemas/index.ts';
import { enqueueExportStep, runExportStep } from '../../shared/exports/service.ts';
import { sqsBatch } from '../../shared/platform/batch.ts';

export const handler = sqsBatch(exportMessage, async ({ exportId }, _record, context) => {
  // A large export spans invocations: each writes parts until its time runs short, then hands on.
  const step = await runExportStep(exportId, { remainingMs: () => context.getRemainingTimeInMillis() });
  if (step === 'more') await enqueueExportStep(exportId);
});
