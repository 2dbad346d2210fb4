import { scoringMessage } from '../../events/schemas/index.ts';
import { sqsBatch } from '../../shared/platform/batch.ts';
import { runStep } from '../../shared/scoring/runs.ts';

export const handler = sqsBatch(scoringMessage, async (message) => {
  await runStep(message);
});
