import { AsyncLocalStorage } from 'node:async_hooks';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { LocalStack } from '../infra/local/stack.ts';
import { parseOptions } from './support/args.ts';
import { fixed } from './support/report.ts';
import { withLocalStack } from './support/stack.ts';

/**
 * `send-pipeline`: recipients per second from the planner to the channel adapter (the Pinpoint
 * recorder of the local stack as the channel, SMS) against the raw rate of SQS itself — SendMessageBatch
 * of the same number of messages, then ReceiveMessage and DeleteMessageBatch of all of them — through
 * the same SQS emulator, with the same number of consumers. The pipeline runs in this process with the
 * send workers' code (planner, gate, rate limiter, adapter, confirmation, counters), as the reliability
 * test does. Also reports the gate's DynamoDB calls per recipient.
 */
const TARGET = 0.5;

const defaults = {
  recipients: 10_000,
  /** Consumers of the send queue (and of the baseline queue). */
  workers: 4,
  shards: 8,
};

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, defaults);
  process.env.SEND_RATE_SMS_PARTS = '1000000';
  process.env.SEND_RATE_EMAIL = '1000000';
  await withLocalStack((stack) => measure(stack, options));
}

async function measure(_stack: LocalStack, options: typeof defaults): Promise<void> {
  const harness = await import('../test/support/send-harness.ts');
  const { deliveryGate } = await import('../shared/campaigns/deps.ts');
  const { channelAdapters } = await import('../shared/channels/index.ts');
  const { configuredRates, rateLimiter } = await import('../shared/campaigns/rate-limit.ts');
  const { documentClient } = await import('../shared/platform/aws.ts');
  const { sqsClient } = await import('../shared/platform/sqs.ts');
  const { store } = await import('../shared/store/service.ts');
  const { runTotals } = await import('../shared/campaigns/pipeline.ts');

  const tag = `bench${Date.now().toString(36)}`;
  const n = options.recipients;
  const population = await harness.seedPopulation({ n, smsShare: 1, shards: options.shards, tag });
  const campaignId = await harness.createSendingCampaign(population, {});
  const queues = await harness.createQueues(tag, 5, 120);

  // The gate's share of DynamoDB calls: calls made while inside a gate method.
  // The profile: calls by command and by gate method, and the time spent waiting on DynamoDB.
  const inGate = new AsyncLocalStorage<string>();
  const calls = { gate: 0, all: 0, waitMs: 0 };
  const byCommand = new Map<string, number>();
  const msByCommand = new Map<string, number>();
  let lastResponse = 0;
  const bump = (key: string) => byCommand.set(key, (byCommand.get(key) ?? 0) + 1);
  documentClient().middlewareStack.add(
    (next, context) => async (a) => {
      calls.all++;
      const site = inGate.getStore();
      if (site) calls.gate++;
      const key = `${site ?? 'other'}:${String(context.commandName).replace(/Command$/, '')}`;
      bump(key);
      const t = performance.now();
      try {
        return await next(a);
      } finally {
        const end = performance.now();
        calls.waitMs += end - t;
        const cost = end - Math.max(t, lastResponse);
        lastResponse = end;
        msByCommand.set(key, (msByCommand.get(key) ?? 0) + cost);
      }
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  const counted = <F extends (...a: never[]) => Promise<unknown>>(name: string, f: F) =>
    ((...a: Parameters<F>) => inGate.run(name, () => f(...a))) as unknown as F;
  const gate = {
    admit: counted('admit', deliveryGate.admit),
    admitMany: counted('admitMany', deliveryGate.admitMany),
    evaluate: counted('evaluate', deliveryGate.evaluate),
    confirmSent: counted('confirmSent', deliveryGate.confirmSent),
    confirmSentMany: counted('confirmSentMany', deliveryGate.confirmSentMany),
    confirmFailed: counted('confirmFailed', deliveryGate.confirmFailed),
  } satisfies typeof deliveryGate;
  const deps = { gate, adapters: channelAdapters(), limiter: rateLimiter(await configuredRates()) };

  // Pipeline: from the start message to the run's completion.
  const started = performance.now();
  const cpu = process.cpuUsage();
  await sqsClient().send(
    new SendMessageCommand({
      QueueUrl: queues.plan,
      MessageBody: JSON.stringify({ kind: 'start', campaignId, runId: campaignId }),
    }),
  );
  await harness.runWorkers({
    queues,
    deps,
    concurrency: options.workers,
    faults: {},
    random: Math.random,
    done: async () => {
      const { data } = await store().entities.campaignRun.get({ campaignId, runId: campaignId }).go();
      return data?.status === 'completed';
    },
  });
  const pipelineSeconds = (performance.now() - started) / 1000;
  const cpuUsed = process.cpuUsage(cpu);
  const cpuSeconds = (cpuUsed.user + cpuUsed.system) / 1e6;
  const totals = await runTotals(campaignId, campaignId);
  const sent = totals.counts['o:sent'] ?? 0;

  // Baseline: the same number of messages through the same SQS emulator.
  const { QueueUrl } = await sqsClient().send(new CreateQueueCommand({ QueueName: `${tag}-raw` }));
  const url = QueueUrl as string;
  const baseStart = performance.now();
  const batches = Math.ceil(n / 10);
  let nextBatch = 0;
  await Promise.all(
    Array.from({ length: options.workers }, async () => {
      while (nextBatch < batches) {
        const b = nextBatch++;
        const size = Math.min(10, n - b * 10);
        await sqsClient().send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: Array.from({ length: size }, (_, i) => ({
              Id: String(i),
              MessageBody: JSON.stringify({
                campaignId,
                customerId: population.customers[b * 10 + i]?.customerId,
              }),
            })),
          }),
        );
      }
    }),
  );
  let received = 0;
  await Promise.all(
    Array.from({ length: options.workers }, async () => {
      while (received < n) {
        const { Messages } = await sqsClient().send(
          new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        if (!Messages?.length) continue;
        received += Messages.length;
        await sqsClient().send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
          }),
        );
      }
    }),
  );
  const baseSeconds = (performance.now() - baseStart) / 1000;

  const pipelineRate = sent / pipelineSeconds;
  const baseRate = received / baseSeconds;
  const ratio = pipelineRate / baseRate;
  console.log(`pipeline: ${sent} of ${n} recipients sent in ${fixed(pipelineSeconds)} s`);
  console.log(`baseline: ${received} messages sent and received in ${fixed(baseSeconds)} s`);
  const perRecipient = [...byCommand]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => {
      const engine = msByCommand.get(k) ?? 0;
      return `${k}=${fixed(v / Math.max(1, sent))}/recipient ${Math.round(engine / v)} ms/call ${fixed(engine / 1000)} s`;
    });
  // Engine time: DynamoDB Local works its queue about one request at a time, so the time from the later
  // of a request's start and the previous response to its own response is roughly what it cost.
  console.log(
    `DynamoDB calls by gate method (or other) and command, with engine time: ${perRecipient.join(' ')}`,
  );
  console.log(
    `DynamoDB request time (summed over concurrent requests): ${fixed(calls.waitMs / 1000)} s in ${fixed(pipelineSeconds)} s of pipeline; this process used ${fixed(cpuSeconds)} s of CPU`,
  );
  console.log(
    [
      `send-pipeline ratio=${fixed(ratio)} target=${TARGET} met=${ratio >= TARGET ? 'yes' : 'no'}`,
      `pipeline_recipients_per_s=${fixed(pipelineRate)}`,
      `baseline_messages_per_s=${fixed(baseRate)}`,
      `gate_dynamodb_calls_per_recipient=${fixed(calls.gate / Math.max(1, sent))}`,
      `all_dynamodb_calls_per_recipient=${fixed(calls.all / Math.max(1, sent))}`,
      `recipients=${n}`,
      `sent=${sent}`,
      `workers=${options.workers}`,
      `shards=${options.shards}`,
    ].join(' '),
  );
}
