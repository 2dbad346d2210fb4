import { campaignPlanMessage } from '../../events/schemas/index.ts';
import { stageDeps } from '../../shared/campaigns/deps.ts';
import { planStep } from '../../shared/campaigns/pipeline.ts';
import { sqsBatch } from '../../shared/platform/batch.ts';

export const handler = sqsBatch(campaignPlanMessage, async (message) => {
  await planStep(message, await stageDeps());
});
