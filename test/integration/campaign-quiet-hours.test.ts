import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';

/**
 * A campaign that reaches its customers inside their quiet hours: the gate defers them, and the send
 * worker must bring them back when the quiet hours end (a continuation of the send message that waits on
 * the queue), not drop them. The quiet window is the current minute in the customers' zone, so the
 * test waits at most about a minute for it to pass.
 */

useStackEnv();
process.env.SEND_RATE_SMS_PARTS = '2000';
const harness = await import('../support/send-harness.ts');
const { deliveryGate } = await import('../../shared/campaigns/deps.ts');
const { channelAdapters } = await import('../../shared/channels/index.ts');
const { configuredRates, rateLimiter } = await import('../../shared/campaigns/rate-limit.ts');
const { sqsClient } = await import('../../shared/platform/sqs.ts');
const { store } = await import('../../shared/store/service.ts');
const { readDeliverySettings, putDeliverySettings, forgetDeliverySettings } = await import(
  '../../shared/delivery/settings-store.ts'
);

const actor = { keyId: 'TESTKEY', keyName: 'integration test' };
const hhmm = (ms: number, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    ms,
  );

let restore: (() => Promise<void>) | undefined;
afterAll(async () => {
  await restore?.();
});

interface Recorded {
  messages: { receivedAt: string; addressContext?: Record<string, string> }[];
}

describe('campaign sends in quiet hours', () => {
  it('defers recipients to the end of their quiet hours and sends them then, once each', async () => {
    // Prepare: a minute of quiet hours that has just begun in the customers' zone
    if (new Date().getUTCSeconds() > 45)
      await new Promise((r) => setTimeout(r, 61_000 - (Date.now() % 60_000)));
    const tag = randomUUID().slice(0, 8);
    const timeZone = harness.middayZone();
    const start = Date.now();
    const windowEnd = Math.floor(start / 60_000) * 60_000 + 60_000;
    const previous = await readDeliverySettings();
    const quiet = await putDeliverySettings(
      {
        ...previous.settings,
        quietHours: { start: hhmm(start, timeZone), end: hhmm(windowEnd, timeZone), channels: ['sms'] },
      },
      previous.version,
      actor,
    );
    restore = async () => {
      await putDeliverySettings(previous.settings, quiet.version, actor);
      forgetDeliverySettings();
    };
    const population = await harness.seedPopulation({ n: 4, smsShare: 1, shards: 1, tag, timeZone });
    const campaignId = await harness.createSendingCampaign(population, { name: 'quiet' });
    const queues = await harness.createQueues(tag, 4, 30);
    const deps = {
      gate: deliveryGate,
      adapters: channelAdapters(),
      limiter: rateLimiter(await configuredRates()),
    };
    await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: queues.plan,
        MessageBody: JSON.stringify({ kind: 'start', campaignId, runId: campaignId }),
      }),
    );
    const done = async () => {
      const run = await store()
        .entities.campaignRun.get({ campaignId, runId: campaignId })
        .go({ consistent: true });
      return run.data?.status === 'completed' && (await harness.queueDepth(queues.send)) === 0;
    };

    // Act
    await harness.runWorkers({ queues, deps, concurrency: 2, faults: {}, random: Math.random, done });
    const recorded = (await (
      await fetch(`${inject('apiUrl')}/_local/messages?channelType=SMS`)
    ).json()) as Recorded;

    // Assess
    const sent = recorded.messages.filter((m) => m.addressContext?.campaignId === campaignId);
    const customers = sent.map((m) => m.addressContext?.customerId).sort();
    expect(customers).toEqual(population.customers.map((c) => c.customerId).sort());
    for (const m of sent) expect(Date.parse(m.receivedAt)).toBeGreaterThanOrEqual(windowEnd);
  }, 180_000);
});
