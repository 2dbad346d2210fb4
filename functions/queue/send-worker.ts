import { sendMessage } from '../../events/schemas/index.ts';
import { stageDeps } from '../../shared/campaigns/deps.ts';
import { sendStep } from '../../shared/campaigns/pipeline.ts';
import { sqsBatch } from '../../shared/platform/batch.ts';

export const handler = sqsBatch(sendMessage, async (message) => {
  await sendStep(message, await stageDeps());
});
