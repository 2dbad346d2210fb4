import { randomInt } from 'node:crypto';
import type { EntityItem } from 'electrodb';
import type { SendResult } from '../channels/types.ts';
import { suppressReported } from '../consent/suppression.ts';
import { documentClient } from '../platform/aws.ts';
import { backoff } from '../platform/backoff.ts';
import { tableNameFromEnv } from '../platform/config.ts';
import { ValidationError } from '../platform/errors.ts';
import { log } from '../platform/log.ts';
import { batchPut } from '../store/batch-io.ts';
import type { MessageOutcome } from '../store/entities/message-outcome.ts';
import type { SuppressionReason } from '../store/entities/suppression.ts';
import { getMany } from '../store/get-many.ts';
import { store } from '../store/service.ts';
import { MAX_TRANSACTION_ACTIONS } from '../store/transactions.ts';
import { applyFeedback, type Feedback, type OutcomeChange, type OutcomeState } from './outcome.ts';
import { type MessageRef, NONE } from './ref.ts';

/**
 * Counter shards per (source, run, variant, tier, channel, metric): concurrent transactions that touch
 * the same item conflict, so the shards are there for contention as much as for partition throughput.
 */
export const COUNTER_SHARDS = 16;
const ATTEMPTS = 20;

export interface Dimensions {
  source: string;
  run: string;
  variant: string;
  tier: string;
  channel: MessageRef['channel'];
}

export function dimensionsOf(ref: MessageRef): Dimensions {
  return {
    source: ref.source,
    run: ref.run ?? NONE,
    variant: ref.variant ?? NONE,
    tier: ref.tier ?? NONE,
    channel: ref.channel,
  };
}

type TransactionEntities = Parameters<Parameters<ReturnType<typeof store>['transaction']['write']>[0]>[0];

/** Counter updates of a transaction: one random shard per metric. */
export function counterAdds(
  resultCounter: TransactionEntities['resultCounter'],
  dimensions: Dimensions,
  amounts: Record<string, number>,
) {
  return Object.entries(amounts).map(([metric, n]) =>
    resultCounter
      .update({ ...dimensions, metric, shard: randomInt(COUNTER_SHARDS) })
      .add({ n })
      .commit(),
  );
}

type Outcome = EntityItem<MessageOutcome>;

function outcomeKey(ref: MessageRef) {
  return { customerId: ref.customerId, source: ref.source, channel: ref.channel };
}

/** The dimensions a message is counted under: the first writer's stay (later feedback may know less). */
function dimensionsFor(ref: MessageRef, existing: Outcome | undefined): Dimensions {
  return existing
    ? {
        source: ref.source,
        run: existing.run,
        variant: existing.variant,
        tier: existing.tier,
        channel: ref.channel,
      }
    : dimensionsOf(ref);
}

/**
 * Several pieces of feedback about one message applied in turn, as one change: what recording them one
 * after the other would do, in one write. The fields of the last piece win.
 */
function applyAll(
  existing: OutcomeState,
  feedback: readonly Feedback[],
): { change: OutcomeChange; merged: Feedback } {
  let state: OutcomeState = existing;
  let change: OutcomeChange = { statusChanged: false, newMetrics: [], changed: false, ...existing };
  const newMetrics: string[] = [];
  let statusChanged = false;
  let changed = false;
  for (const f of feedback) {
    change = applyFeedback(state, f);
    newMetrics.push(...change.newMetrics);
    statusChanged ||= change.statusChanged;
    changed ||= change.changed;
    state = { ...change, counted: [...(state.counted ?? []), ...change.newMetrics] };
  }
  const merged = Object.assign({}, ...feedback) as Feedback;
  return { change: { ...change, newMetrics, statusChanged, changed }, merged };
}

/**
 * The write of one piece of feedback to its message's outcome: created, or patched under the version
 * read, so a concurrent writer makes the transaction fail rather than count twice. With the dimensions
 * its counters are counted under (the first writer's stay: a later piece of feedback may know less).
 */
function outcomeWrite(
  outcome: TransactionEntities['messageOutcome'],
  ref: MessageRef,
  existing: Outcome | undefined,
  change: OutcomeChange,
  feedback: Feedback,
  now: string,
) {
  const key = outcomeKey(ref);
  const dimensions = dimensionsFor(ref, existing);
  const fields = {
    ...(change.status !== undefined && { status: change.status }),
    ...(change.statusAt !== undefined && { statusAt: change.statusAt }),
    ...(change.statusChanged && feedback.detail !== undefined && { detail: feedback.detail }),
    ...(feedback.providerMessageId !== undefined && { providerMessageId: feedback.providerMessageId }),
    ...(feedback.responseStatus !== undefined && { responseStatus: feedback.responseStatus }),
    ...(feedback.latencyMs !== undefined && { latencyMs: feedback.latencyMs }),
    ...(ref.messageId !== undefined && !existing?.messageId && { messageId: ref.messageId }),
    ...(change.openedAt !== undefined && { openedAt: change.openedAt }),
    ...(change.lastOpenAt !== undefined && { lastOpenAt: change.lastOpenAt }),
    ...(change.lastClickAt !== undefined && { lastClickAt: change.lastClickAt }),
    updatedAt: now,
  };
  const action = existing
    ? outcome
        .patch(key)
        .set(fields)
        .add({ version: 1, ...(change.newMetrics.length > 0 && { counted: change.newMetrics }) })
        .where(({ version }, { eq }) => eq(version, existing.version))
        .commit()
    : outcome
        .create({
          ...key,
          run: dimensions.run,
          variant: dimensions.variant,
          tier: dimensions.tier,
          ...fields,
          ...(change.newMetrics.length > 0 && { counted: change.newMetrics }),
          createdAt: now,
          version: 1,
        })
        .commit();
  return { action, dimensions };
}

/**
 * Applies one piece of feedback to a message's outcome and counts the metrics it stands for, each once
 * per message: the outcome (with the metrics counted so far, under a version) and the counter shards are
 * written in one transaction, so a duplicate or a concurrent event can neither count twice nor lose a
 * count. Answers `duplicate` when the feedback changes nothing.
 */
export async function recordFeedback(ref: MessageRef, feedback: Feedback): Promise<'recorded' | 'duplicate'> {
  const { messageOutcome } = store().entities;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    await backoff(attempt);
    const existing = (await messageOutcome.get(outcomeKey(ref)).go({ consistent: true })).data ?? undefined;
    const change = applyFeedback(existing ?? {}, feedback);
    if (!change.changed) return 'duplicate';
    const now = new Date().toISOString();
    const counts = Object.fromEntries(change.newMetrics.map((m) => [m, 1]));
    const result = await store()
      .transaction.write(({ messageOutcome: outcome, resultCounter }) => {
        const { action, dimensions } = outcomeWrite(outcome, ref, existing, change, feedback, now);
        return [action, ...counterAdds(resultCounter, dimensions, counts)] as never;
      })
      .go();
    if (!result.canceled) return 'recorded';
    log.debug('outcome transaction collided; retrying', {
      source: ref.source,
      channel: ref.channel,
      codes: (result.data as { code?: string }[]).map((d) => d.code),
    });
  }
  throw new Error(`Could not record ${feedback.kind} for a ${ref.channel} message of ${ref.source}`);
}

/**
 * `recordFeedback` for many messages at once (a send batch's targeted or send results): their outcomes
 * read in one batch, and the writes of many messages in one transaction with their counters added once
 * per dimension and metric for all of them, so the counts stay exactly once per message. A cancelled
 * transaction (a concurrent event touched one of its messages) wrote nothing; each of its messages is
 * then recorded alone by `recordFeedback`.
 */
export async function recordFeedbackMany(
  items: readonly { ref: MessageRef; feedback: Feedback | readonly Feedback[] }[],
): Promise<('recorded' | 'duplicate')[]> {
  const results: ('recorded' | 'duplicate')[] = new Array(items.length);
  const existing = (await getMany(
    items.map(({ ref }) => ({ entity: 'messageOutcome', key: outcomeKey(ref) })),
  )) as (Outcome | undefined)[];
  const now = new Date().toISOString();
  const seen = new Set<string>();
  const alone: number[] = [];
  type Member = { index: number; change: OutcomeChange; merged: Feedback };
  const groups: Member[][] = [];
  let group: Member[] = [];
  let metrics = new Set<string>();
  items.forEach(({ ref, feedback }, index) => {
    const { change, merged } = applyAll(
      existing[index] ?? {},
      Array.isArray(feedback) ? feedback : [feedback],
    );
    if (!change.changed) {
      results[index] = 'duplicate';
      return;
    }
    const key = `${ref.customerId}|${ref.source}|${ref.channel}`;
    if (seen.has(key)) {
      alone.push(index);
      return;
    }
    seen.add(key);
    // Room for this message and for every counter the group may add (one per dimension and metric).
    const dimensions = JSON.stringify(dimensionsFor(ref, existing[index]));
    const mine = change.newMetrics.map((m) => `${dimensions}|${m}`);
    const after = new Set([...metrics, ...mine]);
    if (group.length > 0 && group.length + 1 + after.size > MAX_TRANSACTION_ACTIONS) {
      groups.push(group);
      group = [];
      metrics = new Set(mine);
    } else metrics = after;
    group.push({ index, change, merged });
  });
  if (group.length > 0) groups.push(group);
  const one = async (index: number) => {
    const item = items[index] as (typeof items)[number];
    let result: 'recorded' | 'duplicate' = 'duplicate';
    for (const f of Array.isArray(item.feedback) ? item.feedback : [item.feedback])
      if ((await recordFeedback(item.ref, f)) === 'recorded') result = 'recorded';
    results[index] = result;
  };
  await Promise.all([
    ...alone.map(one),
    ...groups.map(async (members) => {
      const result = await store()
        .transaction.write(({ messageOutcome: outcome, resultCounter }) => {
          const sums = new Map<string, { dimensions: Dimensions; metric: string; n: number }>();
          const actions: unknown[] = members.map(({ index, change, merged }) => {
            const { ref } = items[index] as (typeof items)[number];
            const write = outcomeWrite(outcome, ref, existing[index], change, merged, now);
            for (const metric of change.newMetrics) {
              const key = `${JSON.stringify(write.dimensions)}|${metric}`;
              const sum = sums.get(key) ?? { dimensions: write.dimensions, metric, n: 0 };
              sum.n++;
              sums.set(key, sum);
            }
            return write.action;
          });
          for (const { dimensions, metric, n } of sums.values())
            actions.push(...counterAdds(resultCounter, dimensions, { [metric]: n }));
          return actions as never;
        })
        .go();
      if (!result.canceled) {
        for (const { index } of members) results[index] = 'recorded';
        return;
      }
      await Promise.all(members.map(({ index }) => one(index)));
    }),
  ]);
  return results;
}

/**
 * Adds an address to the suppression list because of what a provider reported, naming the message it
 * came from. An address the list cannot hold (malformed) is logged and left: a retry would not fix it.
 */
export async function suppressFromFeedback(
  channel: MessageRef['channel'],
  address: string,
  reason: SuppressionReason,
  source: string,
  reference: string,
): Promise<void> {
  try {
    await suppressReported(channel, address, { reason, source, detail: reference });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    log.warn('feedback names an address the suppression list cannot hold', { channel, reason, reference });
  }
}

/** How long a message id resolves to its message: as long as opens, clicks and complaints come in. */
const MESSAGE_REF_DAYS = 400;

/**
 * Registers a message before its channel is called, so feedback that names only the message id (SES
 * tags, the Pinpoint Context) finds its ledger key and result dimensions. Idempotent: a retry writes
 * the same item.
 */
export async function registerMessage(ref: MessageRef & { messageId: string }): Promise<void> {
  await store()
    .entities.messageRef.put({
      messageId: ref.messageId,
      customerId: ref.customerId,
      source: ref.source,
      channel: ref.channel,
      ...(ref.run !== undefined && { run: ref.run }),
      ...(ref.variant !== undefined && { variant: ref.variant }),
      ...(ref.tier !== undefined && { tier: ref.tier }),
      expiresAt: Math.floor(Date.now() / 1000) + MESSAGE_REF_DAYS * 86_400,
    })
    .go();
}

/** `registerMessage` for many messages: their items put 25 a request, all at once. */
export async function registerMessages(refs: readonly (MessageRef & { messageId: string })[]): Promise<void> {
  const expiresAt = Math.floor(Date.now() / 1000) + MESSAGE_REF_DAYS * 86_400;
  const items = refs.map(
    (ref) =>
      (
        store()
          .entities.messageRef.put({
            messageId: ref.messageId,
            customerId: ref.customerId,
            source: ref.source,
            channel: ref.channel,
            ...(ref.run !== undefined && { run: ref.run }),
            ...(ref.variant !== undefined && { variant: ref.variant }),
            ...(ref.tier !== undefined && { tier: ref.tier }),
            expiresAt,
          })
          .params() as { Item: Record<string, unknown> }
      ).Item,
  );
  await batchPut(documentClient(), tableNameFromEnv(), items);
}

/** The message a message id stands for, read consistently (feedback may follow the send by a second). */
export async function messageRef(messageId: string): Promise<MessageRef | undefined> {
  const item = (await store().entities.messageRef.get({ messageId }).go({ consistent: true })).data;
  if (!item) return undefined;
  return {
    messageId,
    customerId: item.customerId,
    source: item.source,
    channel: item.channel,
    run: item.run,
    variant: item.variant,
    tier: item.tier,
  };
}

/** Provider statuses of Pinpoint SendMessages (per address) that settle a message's fate. */
const pinpointFinal: Record<string, Feedback['kind']> = {
  SUCCESSFUL: 'delivery',
  PERMANENT_FAILURE: 'failure',
  OPT_OUT: 'opt_out',
};

/**
 * Records what a channel answered for one message at send time: Pinpoint's per-address delivery status
 * for push and SMS (an SMS opt-out also suppresses the number), a webhook's HTTP status and latency, an
 * email accepted by SES (its later fate comes through SES events). Throttled and retryable failures
 * record nothing: the sender tries again.
 */
export async function recordSendResult(
  ref: MessageRef,
  address: string,
  result: SendResult,
  at = new Date(),
): Promise<'recorded' | 'duplicate' | 'ignored'> {
  const feedback = await sendResultFeedback(ref, address, result, at);
  if (!feedback) return 'ignored';
  return recordFeedback(ref, feedback);
}

/**
 * `recordSendResult` for the messages of one send batch, their outcomes written together; `before` is
 * feedback recorded with each in the same write (the sender's `target`), whatever the channel said.
 */
export async function recordSendResults(
  items: readonly { ref: MessageRef; address: string; result: SendResult }[],
  at = new Date(),
  before: readonly Feedback[] = [],
): Promise<void> {
  const feedback = await Promise.all(items.map((i) => sendResultFeedback(i.ref, i.address, i.result, at)));
  await recordFeedbackMany(
    items.flatMap((item, i) => {
      const f = [...before, ...(feedback[i] ? [feedback[i]] : [])];
      return f.length > 0 ? [{ ref: item.ref, feedback: f }] : [];
    }),
  );
}

/** What a channel's answer at send time says as feedback, if anything; an SMS opt-out also suppresses the number. */
async function sendResultFeedback(
  ref: MessageRef,
  address: string,
  result: SendResult,
  at: Date,
): Promise<Feedback | undefined> {
  const base = {
    at: at.toISOString(),
    providerMessageId: result.providerMessageId,
    detail: result.detail,
    responseStatus: result.httpStatus,
    latencyMs: result.latencyMs,
  };
  let kind: Feedback['kind'] | undefined;
  if ((ref.channel === 'sms' || ref.channel === 'push') && result.providerStatus) {
    kind = pinpointFinal[result.providerStatus];
  } else if (result.status === 'accepted') {
    kind = ref.channel === 'webhook' ? 'delivery' : 'send';
  } else if (result.status === 'rejected' || (result.status === 'failed' && !result.retryable)) {
    kind = 'failure';
  }
  if (!kind) return undefined;
  if (kind === 'opt_out' && ref.channel === 'sms') {
    await suppressFromFeedback('sms', address, 'carrier_opt_out', 'pinpoint', reference(ref, result));
  }
  return { kind, ...base };
}

function reference(ref: MessageRef, result: SendResult): string {
  return [
    ref.source,
    ref.messageId && `message ${ref.messageId}`,
    result.providerMessageId && `provider ${result.providerMessageId}`,
  ]
    .filter(Boolean)
    .join(', ');
}

/** The planner's and the gate's part of the results: targeted, and excluded by reason, once per message. */
export function recordTargeted(ref: MessageRef, at = new Date()): Promise<'recorded' | 'duplicate'> {
  return recordFeedback(ref, { kind: 'target', at: at.toISOString() });
}

export function recordExcluded(ref: MessageRef, reason: string, at = new Date()) {
  return recordFeedback(ref, { kind: 'exclude', reason, at: at.toISOString() });
}

/** An unsubscribe through a message's link counts against the source that sent it, once per message. */
export function recordUnsubscribe(ref: MessageRef, at = new Date()): Promise<'recorded' | 'duplicate'> {
  return recordFeedback(ref, { kind: 'unsubscribe', at: at.toISOString() });
}
