import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EntityItem } from 'electrodb';
import type { CampaignPlanMessage, SendQueueMessage } from '../../events/schemas/index.ts';
import type { ChannelAdapters, OutboundMessage, SendResult } from '../channels/types.ts';
import { readCustomer } from '../customers/service.ts';
import type { GateAnswer, SendRequest } from '../delivery/contract.ts';
import { documentClient } from '../platform/aws.ts';
import { backoff, sleep } from '../platform/backoff.ts';
import { config, tableNameFromEnv } from '../platform/config.ts';
import { newId, shardOf } from '../platform/ids.ts';
import { log } from '../platform/log.ts';
import { sqsClient } from '../platform/sqs.ts';
import {
  recordExcluded,
  recordFeedbackMany,
  recordSendResult,
  recordSendResults,
  recordTargeted,
  registerMessage,
  registerMessages,
} from '../results/feedback.ts';
import { type MessageRef, refTags } from '../results/ref.ts';
import type { Campaign } from '../store/entities/campaign.ts';
import { RUN_COUNTER_SHARDS } from '../store/entities/campaign-run-counter.ts';
import type { Channel } from '../store/entities/consent.ts';
import { getMany } from '../store/get-many.ts';
import { store } from '../store/service.ts';
import { render } from '../templates/render.ts';
import { countSms } from '../templates/sms.ts';
import { chooseVariant, inHoldout } from './audience.ts';
import type { SendGate } from './deps.ts';
import type { RateLimiter } from './rate-limit.ts';
import { completeCampaignRun } from './service.ts';

/**
 * The fan-out: a planner lists the members of each include segment, shard by shard and page by page,
 * and enqueues them in messages of SEND_CHUNK recipients on the `send` queue; send workers take a
 * message, check the campaign's status, and for each recipient choose the variant (holdout, tier,
 * A/B/n), ask the send gate, take a rate-limit token, call the channel and confirm.
 *
 * Idempotency: a planner page is recorded by a marker written in one transaction with the run's
 * counters, so a redelivered page enqueues its recipients again (the gate's ledger makes those sends
 * duplicates) but is counted once; a send message is counted once by its own marker. A worker that
 * dies mid-message leaves the ledger to say who already got it.
 */
export const PAGE_SIZE = 500;
export const SEND_CHUNK = 50;
/** How long a paused run's messages wait before looking again. */
const PAUSE_RECHECK_SECONDS = 5;
const MAX_DELAY_SECONDS = 900;
/** A token wait longer than this hands the rest of the message back to the queue with a delay. */
const MAX_TOKEN_WAIT_MS = 3000;

export type CampaignItem = EntityItem<Campaign>;

export interface Variant {
  id: string;
  weight: number;
  tiers?: string[];
  locale: string;
  content: Record<string, Record<string, unknown> | undefined>;
}

export interface Audience {
  include: string[];
  exclude: string[];
  holdoutPercent: number;
}

export interface PipelineDeps {
  gate: SendGate;
  adapters: ChannelAdapters;
  limiter: RateLimiter;
  planQueueUrl: string;
  sendQueueUrl: string;
  /** Fault injection for the reliability test: called after each recipient is finished. */
  afterRecipient?: (customerId: string) => void;
}

const cache = new Map<string, { at: number; item: CampaignItem }>();

/** The campaign as a worker sees it: re-read at most every CAMPAIGN_STATE_CACHE_MS. */
export async function campaignState(campaignId: string): Promise<CampaignItem | undefined> {
  const hit = cache.get(campaignId);
  if (hit && Date.now() - hit.at < config().CAMPAIGN_STATE_CACHE_MS) return hit.item;
  const { data } = await store().entities.campaign.get({ campaignId }).go({ consistent: true });
  if (data) cache.set(campaignId, { at: Date.now(), item: data });
  return data ?? undefined;
}

export function sourceOf(campaignId: string, runId: string): string {
  // One-off runs use the campaign id itself; occurrences of a recurring campaign carry their run id.
  return runId === campaignId ? campaignId : `${campaignId}@${runId}`;
}

async function enqueue(queueUrl: string, bodies: unknown[], delaySeconds = 0): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const chunk = bodies.slice(i, i + 10);
    const out = await sqsClient().send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((body, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify(body),
          ...(delaySeconds > 0 && { DelaySeconds: Math.min(delaySeconds, MAX_DELAY_SECONDS) }),
        })),
      }),
    );
    if (out.Failed && out.Failed.length > 0) {
      throw new Error(`SendMessageBatch refused ${out.Failed.length} messages: ${out.Failed[0]?.Code}`);
    }
  }
}

async function enqueueOne(queueUrl: string, body: unknown, delaySeconds = 0): Promise<void> {
  await sqsClient().send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(body),
      ...(delaySeconds > 0 && { DelaySeconds: Math.min(Math.ceil(delaySeconds), MAX_DELAY_SECONDS) }),
    }),
  );
}

function isConditionFailure(error: unknown): boolean {
  // ElectroDB wraps the SDK's error; its cause carries the name.
  const names = [(error as { name?: string }).name, (error as { cause?: { name?: string } }).cause?.name];
  return names.some((n) => n === 'TransactionCanceledException' || n === 'ConditionalCheckFailedException');
}

// ---------------------------------------------------------------- planner

export async function planStep(message: CampaignPlanMessage, deps: PipelineDeps): Promise<void> {
  const campaign = await campaignState(message.campaignId);
  if (!campaign || campaign.status === 'cancelled') return;
  if (campaign.status === 'paused') {
    await enqueueOne(deps.planQueueUrl, message, PAUSE_RECHECK_SECONDS);
    return;
  }
  const audience = campaign.audience as Audience;
  if (message.kind === 'start') {
    await startRun(campaign, message.runId, audience, deps);
    return;
  }
  await planPage(message, audience, deps);
}

async function segmentShards(segmentIds: string[]): Promise<number[]> {
  return Promise.all(
    segmentIds.map(async (segmentId) => {
      const { data } = await store().entities.segment.get({ segmentId }).go();
      return data?.shards ?? 0;
    }),
  );
}

async function startRun(campaign: CampaignItem, runId: string, audience: Audience, deps: PipelineDeps) {
  const shards = await segmentShards(audience.include);
  const total = shards.reduce((a, b) => a + b, 0);
  const now = new Date().toISOString();
  try {
    await store()
      .entities.campaignRun.create({
        campaignId: campaign.campaignId,
        runId,
        source: sourceOf(campaign.campaignId, runId),
        kind: 'send',
        status: 'planning',
        shardsTotal: total,
        shardsLeft: total,
        messages: 0,
        recipients: 0,
        startedAt: now,
      })
      .go();
  } catch (error) {
    // A redelivered start: the run exists; enqueueing the first pages again is harmless (markers).
    if (!isConditionFailure(error)) throw error;
  }
  const pages: CampaignPlanMessage[] = shards.flatMap((count, include) =>
    Array.from({ length: count }, (_, shard) => ({
      kind: 'page' as const,
      campaignId: campaign.campaignId,
      runId,
      include,
      shard,
      page: 0,
    })),
  );
  await enqueue(deps.planQueueUrl, pages);
  if (total === 0) await finishIfDone(campaign.campaignId, runId);
}

async function isMember(customerIds: string[], segmentIds: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (segmentIds.length === 0 || customerIds.length === 0) return found;
  const keys = customerIds.flatMap((customerId) =>
    segmentIds.map((segmentId) => ({ customerId, segmentId })),
  );
  const { data } = await store().entities.segmentMembership.get(keys).go();
  for (const m of data) if (m.member) found.add(m.customerId);
  return found;
}

async function planPage(
  message: Extract<CampaignPlanMessage, { kind: 'page' }>,
  audience: Audience,
  deps: PipelineDeps,
): Promise<void> {
  const { campaignId, runId, include, shard, page } = message;
  const marker = `page:${include}:${shard}:${page}`;
  const done = await store()
    .entities.campaignMarker.get({ campaignId, runId, marker })
    .go({ consistent: true });
  if (done.data) {
    // Enqueued before; make sure the next page was asked for (the crash may have come before that).
    if (done.data.next)
      await enqueueOne(deps.planQueueUrl, { ...message, page: page + 1, cursor: done.data.next });
    return;
  }
  const segmentId = audience.include[include];
  if (segmentId === undefined) throw new Error(`Run ${runId} has no include segment ${include}`);
  const listed = await store()
    .entities.segmentMembership.query.members({ segmentId, shard })
    .go({ limit: PAGE_SIZE, ...(message.cursor && { cursor: message.cursor }) });
  const ids = listed.data.filter((m) => m.member).map((m) => m.customerId);
  // A customer in an exclude segment gets nothing; one in two include segments is sent from the first.
  const out = await isMember(ids, [...audience.exclude, ...audience.include.slice(0, include)]);
  const recipients = ids.filter((id) => !out.has(id));
  const bodies: SendQueueMessage[] = [];
  for (let i = 0; i < recipients.length; i += SEND_CHUNK) {
    bodies.push({
      campaignId,
      runId,
      id: `${include}.${shard}.${page}.${i / SEND_CHUNK}`,
      recipients: recipients.slice(i, i + SEND_CHUNK),
      backoffs: 0,
    });
  }
  await enqueue(deps.sendQueueUrl, bodies);
  const last = !listed.cursor;
  try {
    await documentClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableNameFromEnv(),
              Item: markerItem(campaignId, runId, marker, listed.cursor ?? undefined),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: tableNameFromEnv(),
              Key: runKey(campaignId, runId),
              UpdateExpression: `ADD messages :m, recipients :r${last ? ', shardsLeft :minus' : ''} SET #status = :sending`,
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':m': bodies.length,
                ':r': recipients.length,
                ':sending': 'sending',
                ...(last && { ':minus': -1 }),
              },
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Another delivery of this page got there first and counted it.
  }
  if (listed.cursor) {
    await enqueueOne(deps.planQueueUrl, { ...message, page: page + 1, cursor: listed.cursor });
  } else {
    await finishIfDone(campaignId, runId);
  }
}

function markerItem(campaignId: string, runId: string, marker: string, next?: string) {
  const keys = store()
    .entities.campaignMarker.put({
      campaignId,
      runId,
      marker,
      at: new Date().toISOString(),
      expiresAt: Math.floor(Date.now() / 1000) + 30 * 86_400,
      ...(next && { next }),
    })
    .params() as { Item: Record<string, unknown> };
  return keys.Item;
}

function runKey(campaignId: string, runId: string): Record<string, string> {
  const params = store().entities.campaignRun.get({ campaignId, runId }).params() as {
    Key: Record<string, string>;
  };
  return params.Key;
}

function counterKey(campaignId: string, runId: string, shard: number): Record<string, string> {
  const params = store().entities.campaignRunCounter.get({ campaignId, runId, shard }).params() as {
    Key: Record<string, string>;
  };
  return params.Key;
}

export interface RunTotals {
  done: number;
  counts: Record<string, number>;
}

/** The run's counters summed over their shards: `o:<outcome>`, `v:<variant>`, `c:<channel>`. */
export async function runTotals(campaignId: string, runId: string): Promise<RunTotals> {
  const pk = counterKey(campaignId, runId, 0).pk;
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: tableNameFromEnv(),
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    }),
  );
  const totals: RunTotals = { done: 0, counts: {} };
  for (const item of Items ?? []) {
    if (typeof item.sk !== 'string' || !item.sk.startsWith('COUNT#')) continue;
    totals.done += Number(item.done ?? 0);
    for (const [k, v] of Object.entries(item)) {
      if (/^[ovc]:/.test(k)) totals.counts[k] = (totals.counts[k] ?? 0) + Number(v);
    }
  }
  return totals;
}

/** Completes the run (and a one-off campaign) once planning is over and every message is counted. */
export async function finishIfDone(campaignId: string, runId: string): Promise<boolean> {
  const { data: run } = await store()
    .entities.campaignRun.get({ campaignId, runId })
    .go({ consistent: true });
  if (!run || run.status === 'completed' || run.status === 'cancelled' || run.shardsLeft > 0) return false;
  const totals = await runTotals(campaignId, runId);
  if (totals.done < run.messages) return false;
  const now = new Date().toISOString();
  try {
    await store()
      .entities.campaignRun.patch({ campaignId, runId })
      .set({ status: 'completed', completedAt: now, plannedAt: run.plannedAt ?? now })
      .where((a, op) => op.ne(a.status, 'completed'))
      .go();
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
  await completeCampaignRun(campaignId, runId);
  return true;
}

// ---------------------------------------------------------------- sender

type Outcome = string;

function toMessage(
  channel: Channel,
  address: string,
  rendered: Awaited<ReturnType<typeof render>>['content'],
  base: {
    messageId: string;
    customerId: string;
    campaignId: string;
    variantId: string;
    source: string;
    tags?: Record<string, string>;
  },
  variant: Variant,
): OutboundMessage {
  switch (rendered.channel) {
    case 'email':
      return {
        ...base,
        channel: 'email',
        to: address,
        subject: rendered.subject,
        ...(rendered.html !== undefined && { html: rendered.html }),
        ...(rendered.text !== undefined && { text: rendered.text }),
        ...(rendered.unsubscribeUrl && { unsubscribe: { url: rendered.unsubscribeUrl } }),
      };
    case 'sms':
      return { ...base, channel: 'sms', to: address, body: rendered.body };
    case 'push':
      return {
        ...base,
        channel: 'push',
        to: address,
        platform: 'GCM',
        title: rendered.title,
        body: rendered.body,
        ...(rendered.data && { data: rendered.data }),
        ...(rendered.url && { url: rendered.url }),
      };
    case 'webhook': {
      const url = String((variant.content.webhook as { url?: string } | undefined)?.url ?? address);
      return { ...base, channel: 'webhook', url, body: rendered.body };
    }
  }
  throw new Error(`No message for channel ${channel}`);
}

async function withRetries<T>(what: string, fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= attempts || isConditionFailure(error)) throw error;
      log.warn(`${what} failed; retrying`, { attempt: i, error });
      await backoff(i);
    }
  }
}

async function prepare(
  campaign: CampaignItem,
  variant: Variant,
  customer: Awaited<ReturnType<typeof readCustomer>>,
  customerId: string,
  answer: Extract<GateAnswer, { outcome: 'send' }>,
  source: string,
  deps: Pick<PipelineDeps, 'gate' | 'limiter'>,
  tags: Record<string, string> | undefined,
): Promise<OutboundMessage | 'throttled'> {
  const channel = answer.channel;
  const template = {
    name: campaign.name,
    defaultLocale: variant.locale,
    content: { [channel]: variant.content[channel] },
    ...(campaign.topic && { topic: campaign.topic }),
  };
  const data = { customer: { ...(customer ?? {}), id: customerId } };
  const rendered = await render(template as never, data as never, {
    channel,
    ...(customer?.timeZone && { timeZone: customer.timeZone }),
  });
  const tokens = rendered.content.channel === 'sms' ? countSms(rendered.content.body).parts : 1;
  for (let waited = 0; ; ) {
    const wait = await deps.limiter.take(channel, tokens);
    if (wait === 0) break;
    if (waited + wait > MAX_TOKEN_WAIT_MS) {
      await withRetries('release', () =>
        deps.gate.confirmFailed(answer.ticket, { detail: 'rate limit', retryable: true }),
      );
      return 'throttled';
    }
    waited += wait;
    await sleep(wait);
  }
  return toMessage(
    channel,
    answer.address,
    rendered.content,
    {
      messageId: answer.ticket.attemptId || newId(),
      customerId,
      campaignId: campaign.campaignId,
      variantId: variant.id,
      source,
      ...(tags && { tags }),
    },
    variant,
  );
}

export interface SendOutcome {
  outcome: Outcome;
  variant?: string;
  channel?: Channel;
  /** Quiet hours: the gate deferred the message to this instant (ISO 8601). */
  deferUntil?: string;
}

/** The message's reference for results: per campaign, an occurrence of a recurring one is its run. */
function refOf(
  campaign: CampaignItem,
  runId: string,
  customerId: string,
  channel: Channel,
  more: Partial<MessageRef> = {},
): MessageRef {
  return {
    source: `campaign:${campaign.campaignId}`,
    customerId,
    channel,
    ...(runId !== campaign.campaignId && { run: runId }),
    ...more,
  };
}

type Customer = Awaited<ReturnType<typeof readCustomer>>;

/** What the campaign asks the gate for one recipient. */
function requestFor(
  campaign: CampaignItem,
  runId: string,
  customerId: string,
  customer: Customer,
  variant: Variant,
  test: boolean,
): SendRequest {
  const source = test ? `test:${campaign.campaignId}:${runId}` : sourceOf(campaign.campaignId, runId);
  return {
    source: test ? { kind: 'transactional', id: source } : { kind: 'campaign', id: source },
    customerId,
    channels: campaign.channels as Channel[],
    topic: campaign.topic ?? undefined,
    caps: test ? 'exempt' : 'apply',
    capOverrides: (campaign.caps ?? undefined) as never,
    quietHours: test ? 'bypass' : 'defer',
    meta: {
      campaign: campaign.campaignId,
      run: runId,
      variant: variant.id,
      ...(customer?.tier && { tier: customer.tier }),
    },
  };
}

/** One recipient through holdout, variant, gate, rate limit, channel and confirmation (test sends). */
export async function sendOne(
  campaign: CampaignItem,
  runId: string,
  customerId: string,
  deps: Pick<PipelineDeps, 'gate' | 'adapters' | 'limiter'>,
  options: { test?: boolean } = {},
): Promise<SendOutcome | { throttled: number }> {
  const audience = campaign.audience as Audience;
  const order = campaign.channels as Channel[];
  const ref = (channel: Channel, more: Partial<MessageRef> = {}) =>
    refOf(campaign, runId, customerId, channel, more);
  const excluded = async (channel: Channel, reason: string, more: Partial<MessageRef> = {}) => {
    if (!options.test) await withRetries('recordExcluded', () => recordExcluded(ref(channel, more), reason));
  };
  if (!options.test && inHoldout(campaign.campaignId, customerId, audience.holdoutPercent)) {
    await excluded(order[0] as Channel, 'holdout');
    return { outcome: 'holdout' };
  }
  const customer = await readCustomer(customerId);
  const variants = campaign.variants as Variant[];
  const variant = chooseVariant(campaign.campaignId, customerId, customer?.tier ?? undefined, variants);
  if (!variant) {
    await excluded(order[0] as Channel, 'no_variant_for_tier');
    return { outcome: 'skipped:no_variant_for_tier' };
  }
  const dims = { variant: variant.id, ...(customer?.tier && { tier: customer.tier }) };
  const request = requestFor(campaign, runId, customerId, customer, variant, options.test === true);
  const source = request.source.id;
  const answer: GateAnswer = await deps.gate.admit(request);
  if (answer.outcome === 'skip') {
    const first = answer.skipped[0];
    await excluded(first?.channel ?? (order[0] as Channel), first?.reason ?? 'unknown', dims);
    return { outcome: `skipped:${first?.reason ?? 'unknown'}`, variant: variant.id };
  }
  if (answer.outcome === 'duplicate')
    return { outcome: 'duplicate', variant: variant.id, channel: answer.channel };
  if (answer.outcome === 'defer')
    return {
      outcome: 'deferred',
      variant: variant.id,
      channel: answer.channel,
      deferUntil: answer.deferUntil,
    };
  const channel = answer.channel;
  const messageRef = ref(channel, { ...dims, messageId: answer.ticket.attemptId });
  const tags = options.test ? undefined : refTags(messageRef);
  let message: OutboundMessage;
  try {
    const prepared = await prepare(campaign, variant, customer, customerId, answer, source, deps, tags);
    if (prepared === 'throttled') return { throttled: 1 };
    message = prepared;
    // Before the channel call: feedback that names only the message id must find it.
    if (!options.test) {
      await registerMessage({ ...messageRef, messageId: message.messageId });
      await recordTargeted(messageRef);
    }
  } catch (error) {
    // Between the reservation and the channel call nothing may be lost: a failure here (a rate-limit
    // write, a template error) hands the reservation back, so a redelivery sends instead of answering
    // "duplicate" for a message that never went out.
    await withRetries('release', () =>
      deps.gate.confirmFailed(answer.ticket, { detail: String(error).slice(0, 200), retryable: true }),
    );
    throw error;
  }
  const result: SendResult = await deps.adapters[channel].send(message as never);
  const recordResult = async () => {
    if (!options.test)
      await withRetries('recordSendResult', () => recordSendResult(messageRef, answer.address, result));
  };
  if (result.status === 'accepted') {
    await withRetries('confirmSent', () => deps.gate.confirmSent(answer.ticket, result.providerMessageId));
    await recordResult();
    return { outcome: 'sent', variant: variant.id, channel };
  }
  if (result.status === 'throttled' || (result.status === 'failed' && result.retryable)) {
    await withRetries('release', () =>
      deps.gate.confirmFailed(answer.ticket, { detail: result.detail, retryable: true }),
    );
    return { throttled: result.retryAfterMs ?? 1000 };
  }
  await withRetries('confirmFailed', () =>
    deps.gate.confirmFailed(answer.ticket, { detail: result.detail, retryable: false }),
  );
  await recordResult();
  return { outcome: `failed:${result.status}`, variant: variant.id, channel };
}

type Settled = SendOutcome | { throttled: number } | { error: unknown };

/**
 * The recipients of one send message through holdout, variant, gate, rate limit, channel and
 * confirmation, as `sendOne` takes one, but a step at a time for all of them: one batch read of the
 * profiles, one `admitMany`, the message refs and targeted results written together, one channel call
 * per channel batch, one `confirmSentMany`, the send results written together. Each recipient settles
 * on its own: a recipient whose step failed is an error (the message comes back, and the ledger says
 * who already got it), and a reservation never outlives a failure before its channel call — it is
 * handed back, so a redelivery sends instead of answering "duplicate" for a message never sent.
 */
async function sendMany(
  campaign: CampaignItem,
  runId: string,
  customerIds: readonly string[],
  deps: Pick<PipelineDeps, 'gate' | 'adapters' | 'limiter'>,
): Promise<Settled[]> {
  const audience = campaign.audience as Audience;
  const order = campaign.channels as Channel[];
  const results: Settled[] = new Array(customerIds.length);
  const excluded: { index: number; ref: MessageRef; reason: string }[] = [];
  const candidates: number[] = [];
  customerIds.forEach((customerId, index) => {
    if (!inHoldout(campaign.campaignId, customerId, audience.holdoutPercent)) candidates.push(index);
    else {
      excluded.push({
        index,
        ref: refOf(campaign, runId, customerId, order[0] as Channel),
        reason: 'holdout',
      });
      results[index] = { outcome: 'holdout' };
    }
  });
  const customers = (await getMany(
    candidates.map((index) => ({ entity: 'customer', key: { customerId: customerIds[index] } })),
  )) as Customer[];
  const asking: { index: number; customerId: string; customer: Customer; variant: Variant }[] = [];
  candidates.forEach((index, k) => {
    const customerId = customerIds[index] as string;
    const customer = customers[k];
    const variants = campaign.variants as Variant[];
    const variant = chooseVariant(campaign.campaignId, customerId, customer?.tier ?? undefined, variants);
    if (variant) asking.push({ index, customerId, customer, variant });
    else {
      const ref = refOf(campaign, runId, customerId, order[0] as Channel);
      excluded.push({ index, ref, reason: 'no_variant_for_tier' });
      results[index] = { outcome: 'skipped:no_variant_for_tier' };
    }
  });
  const answers = await deps.gate.admitMany(
    asking.map((a) => requestFor(campaign, runId, a.customerId, a.customer, a.variant, false)),
  );
  const sending: ((typeof asking)[number] & {
    answer: Extract<GateAnswer, { outcome: 'send' }>;
    ref: MessageRef;
  })[] = [];
  asking.forEach((a, k) => {
    const settled = answers[k] as PromiseSettledResult<GateAnswer>;
    if (settled.status === 'rejected') {
      results[a.index] = { error: settled.reason };
      return;
    }
    const answer = settled.value;
    const variant = a.variant.id;
    const dims = { variant, ...(a.customer?.tier && { tier: a.customer.tier }) };
    if (answer.outcome === 'skip') {
      const first = answer.skipped[0];
      const ref = refOf(campaign, runId, a.customerId, first?.channel ?? (order[0] as Channel), dims);
      excluded.push({ index: a.index, ref, reason: first?.reason ?? 'unknown' });
      results[a.index] = { outcome: `skipped:${first?.reason ?? 'unknown'}`, variant };
    } else if (answer.outcome === 'duplicate')
      results[a.index] = { outcome: 'duplicate', variant, channel: answer.channel };
    else if (answer.outcome === 'defer')
      results[a.index] = {
        outcome: 'deferred',
        variant,
        channel: answer.channel,
        deferUntil: answer.deferUntil,
      };
    else {
      const ref = refOf(campaign, runId, a.customerId, answer.channel, {
        ...dims,
        messageId: answer.ticket.attemptId,
      });
      sending.push({ ...a, answer, ref });
    }
  });
  if (excluded.length > 0) {
    const at = new Date().toISOString();
    try {
      await withRetries('recordExcluded', () =>
        recordFeedbackMany(
          excluded.map((e) => ({ ref: e.ref, feedback: { kind: 'exclude', reason: e.reason, at } })),
        ),
      );
    } catch (error) {
      for (const e of excluded) results[e.index] = { error };
    }
  }

  const release = async (s: (typeof sending)[number], detail: string) =>
    withRetries('release', () => deps.gate.confirmFailed(s.answer.ticket, { detail, retryable: true }));
  // Render and take rate-limit tokens in order; once the channel's rate runs out, the rest go back too.
  let ready: ((typeof sending)[number] & { message: OutboundMessage })[] = [];
  let throttled = false;
  for (const s of sending) {
    if (throttled) {
      await release(s, 'rate limit');
      results[s.index] = { throttled: 1 };
      continue;
    }
    const source = sourceOf(campaign.campaignId, runId);
    try {
      const prepared = await prepare(
        campaign,
        s.variant,
        s.customer,
        s.customerId,
        s.answer,
        source,
        deps,
        refTags(s.ref),
      );
      if (prepared === 'throttled') {
        throttled = true;
        results[s.index] = { throttled: 1 };
      } else ready.push({ ...s, message: prepared });
    } catch (error) {
      await release(s, String(error).slice(0, 200));
      results[s.index] = { error };
    }
  }
  const targetedAt = new Date().toISOString();
  if (ready.length > 0) {
    try {
      // Before the channel call: feedback that names only the message id must find it. (Targeted is
      // counted with the channel's answer, in the same write.)
      await registerMessages(ready.map((r) => ({ ...r.ref, messageId: r.message.messageId })));
    } catch (error) {
      await Promise.all(ready.map((r) => release(r, String(error).slice(0, 200))));
      for (const r of ready) results[r.index] = { error };
      ready = [];
    }
  }

  // One call per channel batch; an adapter that throws leaves its reservations: whether the provider
  // took them is unknown.
  const sent: { r: (typeof ready)[number]; result: SendResult }[] = [];
  for (const channel of new Set(ready.map((r) => r.answer.channel))) {
    const mine = ready.filter((r) => r.answer.channel === channel);
    const adapter = deps.adapters[channel];
    for (let i = 0; i < mine.length; i += adapter.maxBatch) {
      const chunk = mine.slice(i, i + adapter.maxBatch);
      try {
        const answered = await adapter.sendBatch(chunk.map((r) => r.message) as never);
        for (const [k, r] of chunk.entries()) sent.push({ r, result: answered[k] as SendResult });
      } catch (error) {
        for (const r of chunk) results[r.index] = { error };
      }
    }
  }
  const accepted = sent.filter((x) => x.result.status === 'accepted');
  try {
    await withRetries('confirmSent', () =>
      deps.gate.confirmSentMany(
        accepted.map((x) => ({ ticket: x.r.answer.ticket, providerMessageId: x.result.providerMessageId })),
      ),
    );
    for (const { r } of accepted)
      results[r.index] = { outcome: 'sent', variant: r.variant.id, channel: r.answer.channel };
  } catch (error) {
    for (const { r } of accepted) results[r.index] = { error };
  }
  const recorded: typeof sent = accepted.filter((x) => !('error' in (results[x.r.index] as Settled)));
  for (const x of sent) {
    if (x.result.status === 'accepted') continue;
    const { r, result } = x;
    try {
      if (result.status === 'throttled' || (result.status === 'failed' && result.retryable)) {
        await release(r, result.detail);
        results[r.index] = { throttled: result.retryAfterMs ?? 1000 };
        continue;
      }
      await withRetries('confirmFailed', () =>
        deps.gate.confirmFailed(r.answer.ticket, { detail: result.detail, retryable: false }),
      );
      results[r.index] = {
        outcome: `failed:${result.status}`,
        variant: r.variant.id,
        channel: r.answer.channel,
      };
      recorded.push(x);
    } catch (error) {
      results[r.index] = { error };
    }
  }
  if (recorded.length > 0) {
    try {
      await withRetries('recordSendResult', () =>
        recordSendResults(
          recorded.map(({ r, result }) => ({ ref: r.ref, address: r.answer.address, result })),
          new Date(),
          [{ kind: 'target', at: targetedAt }],
        ),
      );
    } catch (error) {
      for (const { r } of recorded) results[r.index] = { error };
    }
  }
  return results;
}

export async function sendStep(message: SendQueueMessage, deps: PipelineDeps): Promise<void> {
  const campaign = await campaignState(message.campaignId);
  if (!campaign) return;
  if (campaign.status === 'paused') {
    await enqueueOne(deps.sendQueueUrl, message, PAUSE_RECHECK_SECONDS);
    return;
  }
  // A deferred continuation waits out its recipients' quiet hours, in steps of SQS's longest delay.
  const waitMs = message.notBefore === undefined ? 0 : Date.parse(message.notBefore) - Date.now();
  if (waitMs > 0 && campaign.status !== 'cancelled') {
    await enqueueOne(deps.sendQueueUrl, message, waitMs / 1000);
    return;
  }
  const counts = new Map<string, number>();
  const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  if (campaign.status === 'cancelled') {
    for (const _ of message.recipients) add('o:cancelled');
  } else {
    const requeue: string[] = [];
    const deferred: string[] = [];
    let deferUntil: string | undefined;
    let throttledMs = 0;
    let crash: unknown;
    const settled = await sendMany(campaign, message.runId, message.recipients, deps);
    settled.forEach((result, i) => {
      const customerId = message.recipients[i] as string;
      if ('error' in result) {
        crash ??= result.error;
        return;
      }
      if ('throttled' in result) {
        requeue.push(customerId);
        throttledMs = Math.max(throttledMs, result.throttled);
        return;
      }
      if (result.deferUntil !== undefined) {
        // Not dropped: the recipient comes back when its quiet hours end, and the gate decides again.
        deferred.push(customerId);
        if (deferUntil === undefined || result.deferUntil < deferUntil) deferUntil = result.deferUntil;
        return;
      }
      add(`o:${result.outcome}`);
      if (result.outcome === 'sent') {
        if (result.variant) add(`v:${result.variant}`);
        if (result.channel) add(`c:${result.channel}`);
      }
      // As a worker that dies: nothing after the crash is reported.
      if (crash === undefined)
        try {
          deps.afterRecipient?.(customerId);
        } catch (error) {
          crash = error;
        }
    });
    // A crash leaves the message to come back whole: the recipients already settled are duplicates then.
    if (crash !== undefined) throw crash;
    if (requeue.length > 0) {
      // Back off: the throttled recipients and those not yet started go back on the queue with a
      // doubling delay; the ones settled here are counted under a part marker.
      const backoffs = (message.backoffs ?? 0) + 1;
      const delay = Math.max(Math.ceil(throttledMs / 1000), Math.min(2 ** backoffs, MAX_DELAY_SECONDS));
      await enqueueOne(
        deps.sendQueueUrl,
        { ...message, recipients: [...requeue, ...deferred], backoffs },
        delay,
      );
      await countPartial(message, counts);
      return;
    }
    if (deferred.length > 0) {
      // The message continues with the deferred recipients at the earliest end of their quiet hours
      // (those whose quiet hours last longer are deferred again then); it is done only after them.
      const deferrals = (message.deferrals ?? 0) + 1;
      const continuation = { ...message, recipients: deferred, deferrals, notBefore: deferUntil };
      await enqueueOne(
        deps.sendQueueUrl,
        continuation,
        (Date.parse(deferUntil as string) - Date.now()) / 1000,
      );
      await countPartial(message, counts);
      return;
    }
  }
  await countDone(message, counts);
  await finishIfDone(message.campaignId, message.runId);
}

/**
 * Outcomes of recipients settled before a throttle are counted under a part marker, so the message's
 * final count (after the remainder is re-sent) does not count them twice.
 */
async function countPartial(message: SendQueueMessage, counts: Map<string, number>): Promise<void> {
  if (counts.size === 0) return;
  await writeCounts(
    message,
    `msg:${message.id}:part:${message.backoffs ?? 0}:${message.deferrals ?? 0}`,
    counts,
    0,
  );
}

async function countDone(message: SendQueueMessage, counts: Map<string, number>): Promise<void> {
  await writeCounts(message, `msg:${message.id}`, counts, 1);
}

async function writeCounts(
  message: SendQueueMessage,
  marker: string,
  counts: Map<string, number>,
  done: number,
): Promise<void> {
  const shard = shardOf(message.id, RUN_COUNTER_SHARDS);
  const names: Record<string, string> = { '#done': 'done' };
  const values: Record<string, number> = { ':done': done };
  const adds = ['#done :done'];
  [...counts].forEach(([key, n], i) => {
    names[`#k${i}`] = key;
    values[`:k${i}`] = n;
    adds.push(`#k${i} :k${i}`);
  });
  const key = counterKey(message.campaignId, message.runId, shard);
  try {
    await documentClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableNameFromEnv(),
              Item: markerItem(message.campaignId, message.runId, marker),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: tableNameFromEnv(),
              Key: key,
              UpdateExpression: `ADD ${adds.join(', ')} SET #campaignId = :cid, #runId = :rid, #shard = :shard, #entity = :entity, #version = :ver`,
              ExpressionAttributeNames: {
                ...names,
                '#campaignId': 'campaignId',
                '#runId': 'runId',
                '#shard': 'shard',
                '#entity': '__edb_e__',
                '#version': '__edb_v__',
              },
              ExpressionAttributeValues: {
                ...values,
                ':cid': message.campaignId,
                ':rid': message.runId,
                ':shard': shard,
                ':entity': 'campaignRunCounter',
                ':ver': '1',
              } as Record<string, unknown> as Record<string, number>,
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** Marks a run cancelled; its queued messages are dropped (and counted) as workers meet them. */
export async function cancelRun(campaignId: string, runId: string): Promise<void> {
  await documentClient()
    .send(
      new UpdateCommand({
        TableName: tableNameFromEnv(),
        Key: runKey(campaignId, runId),
        UpdateExpression: 'SET #status = :cancelled',
        ConditionExpression: 'attribute_exists(pk) AND #status <> :completed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':cancelled': 'cancelled', ':completed': 'completed' },
      }),
    )
    .catch((error) => {
      if (!isConditionFailure(error)) throw error;
    });
}
