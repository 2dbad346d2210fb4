import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { PipelineDeps } from '../../shared/campaigns/pipeline.ts';
import type { ChannelAdapters } from '../../shared/channels/types.ts';

/**
 * Drives the campaign send pipeline in this process against the local engines, for the reliability
 * test and the send-pipeline benchmark: seeds a population (customers, one segment with its sharded
 * members, a service topic), creates campaigns already approved and sending, creates a private pair of
 * queues with dead-letter queues (so the local runtime's own pollers do not take the messages), and
 * runs worker loops that receive, call the planner or the send worker, and delete — with faults when
 * asked: crashes after k recipients, lost deletes (redelivery), a throttling channel, failing
 * DynamoDB writes.
 *
 * Imported dynamically after the stack's environment is set (domain modules read it once).
 */

export interface Population {
  tag: string;
  segmentId: string;
  topic: string;
  customers: { customerId: string; email?: string; phone?: string }[];
}

export interface Faults {
  /** Probability that a message's processing crashes after a random number of recipients. */
  crash?: number;
  /** Probability that a processed message is not deleted (it comes back: a redelivery). */
  lostDelete?: number;
  /** Probability that the channel answers throttled. */
  throttle?: number;
  /** Probability that a DynamoDB write fails. */
  dynamoWrite?: number;
}

export interface Queues {
  plan: string;
  send: string;
  planDlq: string;
  sendDlq: string;
}

async function env() {
  const { store } = await import('../../shared/store/service.ts');
  const { documentClient } = await import('../../shared/platform/aws.ts');
  const { tableNameFromEnv } = await import('../../shared/platform/config.ts');
  const { batchPut } = await import('../../shared/store/batch-io.ts');
  const { newId, shardOf } = await import('../../shared/platform/ids.ts');
  const { sqsClient } = await import('../../shared/platform/sqs.ts');
  return { store, documentClient, tableNameFromEnv, batchPut, newId, shardOf, sqsClient };
}

/**
 * A fixed-offset zone where it is now between 12:00 and 13:00, so the default quiet hours (21:00-08:00)
 * never fall inside a test, whatever the time of day the tests run at.
 */
export function middayZone(now = Date.now()): string {
  const offset = 12 - new Date(now).getUTCHours();
  // Etc/GMT zones have their sign inverted: Etc/GMT-8 is UTC+8.
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

/** n customers, `smsShare` of them with a phone only and the rest with an email only, all in one segment. */
export async function seedPopulation(options: {
  n: number;
  smsShare: number;
  shards: number;
  tag: string;
  /** The customers' zone; by default one where it is midday now. */
  timeZone?: string;
}) {
  const { store, documentClient, tableNameFromEnv, batchPut, newId, shardOf } = await env();
  const { declareTopic } = await import('../../shared/consent/topics.ts');
  const { tag, n, shards } = options;
  const topic = `svc-${tag}`.toLowerCase().slice(0, 60);
  await declareTopic(topic, {
    name: { en: 'Service notices', zh: '服务通知' },
    kind: 'service',
    channels: ['email', 'sms', 'push'],
    defaultStatus: 'opted_in',
  });
  const now = new Date().toISOString();
  const segmentId = newId();
  const items: Record<string, unknown>[] = [];
  const customers: Population['customers'] = [];
  const counts = new Array<number>(shards).fill(0);
  const s = store().entities;
  const itemOf = (params: unknown) => (params as { Item: Record<string, unknown> }).Item;
  for (let i = 0; i < n; i++) {
    const customerId = newId();
    const sms = i < Math.round(n * options.smsShare);
    const email = sms ? undefined : `c${i}.${tag}@example.com`.toLowerCase();
    const phone = sms ? `+86139${String(10_000_000 + i).slice(-8)}` : undefined;
    customers.push({ customerId, ...(email && { email }), ...(phone && { phone }) });
    items.push(
      itemOf(
        s.customer
          .put({
            customerId,
            ...(email && { email, emails: [email] }),
            ...(phone && { phone, phones: [phone] }),
            name: `客户 ${i}`,
            timeZone: options.timeZone ?? middayZone(),
            owner: '',
            tags: [],
            attributes: {},
            version: 1,
            createdAt: now,
            updatedAt: now,
            shard: shardOf(customerId, 16),
          } as never)
          .params(),
      ),
    );
    const shard = shardOf(customerId, shards);
    counts[shard] = (counts[shard] ?? 0) + 1;
    items.push(
      itemOf(
        s.segmentMembership
          .put({
            customerId,
            segmentId,
            member: true,
            shard,
            evaluatedAt: Date.now(),
            enteredAt: now,
            reason: 'static',
          })
          .params(),
      ),
    );
    if (items.length >= 2000) await batchPut(documentClient(), tableNameFromEnv(), items.splice(0));
  }
  items.push(
    itemOf(
      s.segment
        .put({
          segmentId,
          name: `reliability ${tag}`,
          kind: 'static',
          status: 'active',
          freshnessMinutes: 60,
          shards,
          sizeHistory: [],
          version: 1,
          createdAt: now,
          updatedAt: now,
        })
        .params(),
    ),
    ...counts.map((count, shard) => itemOf(s.segmentShardCount.put({ segmentId, shard, count }).params())),
  );
  await batchPut(documentClient(), tableNameFromEnv(), items);
  return { tag, segmentId, topic, customers } satisfies Population;
}

/** A campaign past approval, already `sending` with its one-off run id, as the scheduler leaves it. */
export async function createSendingCampaign(
  population: Population,
  options: { caps?: Record<string, { day?: number }>; holdoutPercent?: number; name?: string } = {},
) {
  const { store, newId } = await env();
  const campaignId = newId();
  const now = new Date().toISOString();
  await store()
    .entities.campaign.create({
      campaignId,
      name: options.name ?? `reliability ${population.tag}`,
      status: 'sending',
      topic: population.topic,
      channels: ['sms', 'email'],
      audience: { include: [population.segmentId], exclude: [], holdoutPercent: options.holdoutPercent ?? 0 },
      variants: [
        {
          id: 'A',
          weight: 1,
          locale: 'zh-CN',
          content: {
            sms: { body: `${campaignId} A {{ customer.name }}` },
            email: { subject: `${campaignId} A`, text: '您好 {{ customer.name }}' },
          },
        },
        {
          id: 'B',
          weight: 1,
          locale: 'zh-CN',
          content: {
            sms: { body: `${campaignId} B {{ customer.name }}` },
            email: { subject: `${campaignId} B`, text: 'Hello {{ customer.name }}' },
          },
        },
      ],
      schedule: { kind: 'now' },
      ...(options.caps && { caps: options.caps }),
      testRecipients: [],
      createdBy: 'test',
      currentRunId: campaignId,
      runs: 1,
      version: 1,
      createdAt: now,
      updatedAt: now,
    })
    .go();
  return campaignId;
}

export async function createQueues(tag: string, maxReceiveCount: number, visibilitySeconds: number) {
  const { sqsClient } = await env();
  const make = async (name: string, attributes: Record<string, string> = {}) => {
    const { QueueUrl } = await sqsClient().send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    );
    const { Attributes } = await sqsClient().send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    return { url: QueueUrl as string, arn: Attributes?.QueueArn as string };
  };
  const planDlq = await make(`t-${tag}-plan-dlq`);
  const sendDlq = await make(`t-${tag}-send-dlq`);
  const redrive = (arn: string) => ({
    VisibilityTimeout: String(visibilitySeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount }),
  });
  const plan = await make(`t-${tag}-plan`, redrive(planDlq.arn));
  const send = await make(`t-${tag}-send`, redrive(sendDlq.arn));
  return { plan: plan.url, send: send.url, planDlq: planDlq.url, sendDlq: sendDlq.url } satisfies Queues;
}

export async function queueDepth(url: string): Promise<number> {
  const { sqsClient } = await env();
  const { Attributes } = await sqsClient().send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** A channel that answers `throttled` with probability p without calling the provider. */
export function throttling(adapters: ChannelAdapters, p: number, random: () => number): ChannelAdapters {
  const wrap = <A extends { send: (m: never) => Promise<unknown> }>(a: A): A => ({
    ...a,
    send: (m: never) =>
      random() < p
        ? Promise.resolve({
            status: 'throttled',
            retryable: true,
            detail: 'injected throttle',
            retryAfterMs: 200,
          })
        : a.send(m),
  });
  return {
    email: wrap(adapters.email),
    sms: wrap(adapters.sms),
    push: wrap(adapters.push),
    webhook: wrap(adapters.webhook),
  };
}

export class InjectedFault extends Error {
  override name = 'InjectedFault';
}

const writeCommands = /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem)Command$/;

/** Fails DynamoDB writes with probability `p()` before they are sent; returns how many were failed. */
export async function injectDynamoFaults(p: () => number, random: () => number) {
  const { documentClient } = await env();
  const stats = { failed: 0, calls: 0 };
  documentClient().middlewareStack.add(
    (next, context) => async (args) => {
      stats.calls++;
      // The first transaction always fails (when faults are on), so a small run with few writes sees one.
      const first = stats.failed === 0 && context.commandName === 'TransactWriteItemsCommand' && p() > 0;
      if (writeCommands.test(String(context.commandName)) && (first || random() < p())) {
        stats.failed++;
        throw new InjectedFault(`injected failure of ${context.commandName}`);
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectedFaults', override: true },
  );
  return stats;
}

export interface WorkerStats {
  processed: number;
  crashed: number;
  lostDeletes: number;
  failed: number;
}

/**
 * Worker loops over both queues until `done()` says so. Each message is handled as a Lambda invocation
 * would be: success deletes it (unless a lost delete is injected), a throw leaves it to come back after
 * the visibility timeout and, after maxReceiveCount, to go to the dead-letter queue.
 */
export async function runWorkers(options: {
  queues: Queues;
  deps: Omit<PipelineDeps, 'planQueueUrl' | 'sendQueueUrl'>;
  concurrency: number;
  faults: Faults;
  random: () => number;
  done: () => Promise<boolean>;
}): Promise<WorkerStats> {
  const { sqsClient } = await env();
  const { planStep, sendStep } = await import('../../shared/campaigns/pipeline.ts');
  const { campaignPlanMessage, sendMessage } = await import('../../events/schemas/index.ts');
  const { queues, faults, random } = options;
  const stats: WorkerStats = { processed: 0, crashed: 0, lostDeletes: 0, failed: 0 };
  let stop = false;

  /** A crashed invocation's message returns at once rather than after the visibility timeout: same path, shorter test. */
  async function returnSoon(queueUrl: string, message: Message): Promise<void> {
    if (!message.ReceiptHandle) return;
    await sqsClient()
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 1,
        }),
      )
      .catch(() => {});
  }

  async function handle(queueUrl: string, message: Message): Promise<boolean> {
    // The first send message always crashes (after its first recipient) so a small run is sure to see one.
    const first = (faults.crash ?? 0) > 0 && queueUrl === queues.send && stats.crashed === 0;
    let left = first
      ? 1
      : random() < (faults.crash ?? 0)
        ? 1 + Math.floor(random() * 60)
        : Number.POSITIVE_INFINITY;
    const deps: PipelineDeps = {
      ...options.deps,
      planQueueUrl: queues.plan,
      sendQueueUrl: queues.send,
      afterRecipient: () => {
        left--;
        if (left <= 0) {
          stats.crashed++;
          throw new InjectedFault('worker crashed mid-batch');
        }
      },
    };
    try {
      const started = performance.now();
      const body = JSON.parse(message.Body ?? '{}');
      if (queueUrl === queues.plan) await planStep(campaignPlanMessage.parse(body), deps);
      else await sendStep(sendMessage.parse(body), deps);
      stats.processed++;
      if (process.env.RELIABILITY_DEBUG)
        console.error(`handled in ${Math.round(performance.now() - started)} ms`);
      const firstLost = (faults.lostDelete ?? 0) > 0 && stats.lostDeletes === 0 && queueUrl === queues.send;
      if (firstLost || random() < (faults.lostDelete ?? 0)) {
        stats.lostDeletes++;
        return false;
      }
      return true;
    } catch (error) {
      if (!(error instanceof InjectedFault) && (error as { name?: string }).name !== 'InjectedFault') {
        stats.failed++;
        if (stats.failed <= 3) console.error('worker error', error);
      }
      await returnSoon(queueUrl, message);
      return false;
    }
  }

  async function loop(queueUrl: string): Promise<void> {
    while (!stop) {
      const { Messages } = await sqsClient().send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (!Messages?.length) continue;
      const results = await Promise.all(Messages.map((m) => handle(queueUrl, m)));
      const entries = Messages.flatMap((m, i) =>
        results[i] && m.ReceiptHandle ? [{ Id: String(i), ReceiptHandle: m.ReceiptHandle }] : [],
      );
      if (entries.length > 0) {
        await sqsClient().send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      }
    }
  }

  const loops = [loop(queues.plan), ...Array.from({ length: options.concurrency }, () => loop(queues.send))];
  while (!(await options.done())) await new Promise((r) => setTimeout(r, 250));
  stop = true;
  await Promise.all(loops);
  return stats;
}

/** The send gate's ledger entries of the given campaign sources (one scan of the table). */
export async function ledgerEntries(sources: string[]) {
  const { documentClient, tableNameFromEnv } = await env();
  const entries: { source: string; customerId: string; channel: string; state: string }[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new ScanCommand({
        TableName: tableNameFromEnv(),
        // The send gate's ledger (deliveryEntry): `CUST#<customerId>` / `DLV#campaign:<source>#<channel>`.
        FilterExpression: 'begins_with(sk, :p)',
        ExpressionAttributeValues: { ':p': 'DLV#campaign:' },
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const source = String(item.source).replace(/^campaign:/, '');
      if (!sources.includes(source)) continue;
      entries.push({
        source,
        customerId: String(item.customerId),
        channel: String(item.channel),
        state: String(item.state),
      });
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return entries;
}
