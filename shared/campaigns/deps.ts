import { envNames } from '../../functions/manifest.ts';
import { queueUrl } from '../platform/config.ts';
import { interimAdapters } from './channels.ts';
import { interimGate } from './gate.ts';
import type { PipelineDeps } from './pipeline.ts';
import { configuredRates, rateLimiter } from './rate-limit.ts';

let deps: PipelineDeps | undefined;

/** The pipeline's parts for this stage, created once per process; queues the function did not declare stay empty. */
export async function stageDeps(): Promise<PipelineDeps> {
  deps ??= {
    gate: interimGate,
    adapters: interimAdapters(),
    limiter: rateLimiter(await configuredRates()),
    planQueueUrl: process.env[envNames.queueUrl('campaign-plan')] ?? '',
    sendQueueUrl: queueUrl(envNames.queueUrl('send')),
  };
  return deps;
}
