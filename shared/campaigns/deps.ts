import { envNames } from '../../functions/env-names.ts';
import { channelAdapters } from '../channels/index.ts';
import type { GateAnswer, SendRequest, SendTicket } from '../delivery/contract.ts';
import {
  admit,
  admitMany,
  confirmFailed,
  confirmSent,
  confirmSentMany,
  evaluate,
  releaseReservation,
} from '../delivery/gate.ts';
import { queueUrl } from '../platform/config.ts';
import type { PipelineDeps } from './pipeline.ts';
import { configuredRates, rateLimiter } from './rate-limit.ts';

/**
 * What the campaign pipeline asks of the send gate (shared/delivery): the dry run evaluates without
 * writing, and a failure is either for good (`confirmFailed`: that channel is skipped from then on) or
 * retryable (`releaseReservation`: the entry goes back to skipped and its cap counts are given back,
 * so the redelivered message decides again). An interface so tests can put faults in between.
 */
export interface SendGate {
  admit(request: SendRequest): Promise<GateAnswer>;
  /** `admit` for the recipients of one send message; each answer fulfilled or rejected on its own. */
  admitMany(requests: readonly SendRequest[]): Promise<PromiseSettledResult<GateAnswer>[]>;
  evaluate(request: SendRequest): Promise<GateAnswer>;
  confirmSent(ticket: SendTicket, providerMessageId?: string): Promise<void>;
  confirmSentMany(
    confirmations: readonly { ticket: SendTicket; providerMessageId?: string | undefined }[],
  ): Promise<void>;
  confirmFailed(ticket: SendTicket, failure: { detail: string; retryable: boolean }): Promise<void>;
}

export const deliveryGate: SendGate = {
  admit,
  admitMany,
  evaluate,
  confirmSent,
  confirmSentMany,
  confirmFailed: (ticket, failure) =>
    failure.retryable
      ? releaseReservation(ticket, 'channel_retry', failure.detail)
      : confirmFailed(ticket, { detail: failure.detail }),
};

let deps: PipelineDeps | undefined;

/** The pipeline's parts for this stage, created once per process; queues the function did not declare stay empty. */
export async function stageDeps(): Promise<PipelineDeps> {
  deps ??= {
    gate: deliveryGate,
    adapters: channelAdapters(),
    limiter: rateLimiter(await configuredRates()),
    planQueueUrl: process.env[envNames.queueUrl('campaign-plan')] ?? '',
    sendQueueUrl: queueUrl(envNames.queueUrl('send')),
  };
  return deps;
}
