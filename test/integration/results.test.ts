import { randomUUID } from 'node:crypto';
import { ulid } from 'ulid';
import { describe, expect, inject, it } from 'vitest';
import { type SesMessage, type SesSample, sesEvent, sesMessage } from '../support/ses-events.ts';
import { useStackEnv } from '../support/stack-env.ts';
import { waitFor } from '../support/wait.ts';

useStackEnv();
const { sesEventDetail } = await import('../../events/schemas/index.ts');
const { applySesEvent } = await import('../../shared/results/ses.ts');
const { recordFeedbackMany, recordSendResult, registerMessage } = await import(
  '../../shared/results/feedback.ts'
);
const { emailTags } = await import('../../shared/channels/ses.ts');
const { UnknownMessageError } = await import('../../shared/results/ses.ts');
const { attributeOrder, setAttributionWindow } = await import('../../shared/results/conversions.ts');
const { readResults } = await import('../../shared/results/report.ts');
const { suppressionOf } = await import('../../shared/consent/suppression.ts');
const { store } = await import('../../shared/store/service.ts');

const unique = () => randomUUID().slice(0, 8);

function message(input: { variant?: string; campaignId?: string } = {}) {
  return sesMessage({
    address: `r-${unique()}@example.com`,
    customerId: ulid(),
    campaignId: input.campaignId ?? ulid(),
    ...(input.variant && { variant: input.variant }),
    tier: 'A',
  });
}

const source = (m: SesMessage) => `campaign:${m.tags['source-id']}`;

/** Applies an SES event as the bus consumer does, awaited (no bus in between). */
function apply(sample: SesSample, m: SesMessage, at?: string) {
  return applySesEvent(sesEventDetail.parse(sesEvent(sample, m, at).detail));
}

async function postToBus(events: unknown[]) {
  const response = await fetch(`${inject('apiUrl')}/_local/bus/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  return { status: response.status, body: (await response.json()) as { message?: string } };
}

async function outcome(m: SesMessage) {
  const data = (
    await store()
      .entities.messageOutcome.get({ customerId: m.tags.customer ?? '', source: source(m), channel: 'email' })
      .go({ consistent: true })
  ).data;
  return data ?? undefined;
}

describe('SES events through the local bus', () => {
  it('a delivery then a hard bounce: the outcome is bounced, the address suppressed with the message named', async () => {
    // Prepare
    const m = message();
    // Act
    const posted = await postToBus([sesEvent('delivery', m)]);
    await waitFor(async () => ((await outcome(m))?.status === 'delivered' ? true : undefined), 'delivered');
    await postToBus([sesEvent('bounce-permanent', m)]);
    const bounced = await waitFor(
      async () => ((await outcome(m))?.status === 'bounced' ? outcome(m) : undefined),
      'bounced',
    );
    const suppression = await waitFor(() => suppressionOf('email', m.address), 'the suppression entry');
    // Assess
    expect(posted.status).toBe(202);
    expect(bounced?.detail).toBe('Permanent/General 5.1.1');
    expect(bounced?.providerMessageId).toBe(m.sesMessageId);
    expect(suppression.reason).toBe('hard_bounce');
    expect(suppression.detail).toContain(`ses ${m.sesMessageId}`);
    expect(suppression.detail).toContain(source(m));
  });

  it('a complaint suppresses; a soft bounce does not', async () => {
    // Prepare
    const complained = message();
    const soft = message();
    // Act
    await postToBus([sesEvent('complaint', complained), sesEvent('bounce-transient', soft)]);
    const entry = await waitFor(() => suppressionOf('email', complained.address), 'the complaint entry');
    await waitFor(async () => ((await outcome(soft))?.status === 'soft_bounced' ? true : undefined), 'soft');
    // Assess
    expect(entry.reason).toBe('complaint');
    expect(await suppressionOf('email', soft.address)).toBeUndefined();
    expect((await outcome(complained))?.status).toBe('complained');
  });

  it('a bounce of a mail without Cohort tags (a confirmation mail) still suppresses', async () => {
    // Prepare
    const m = { ...message(), tags: {} };
    // Act
    await apply('bounce-permanent', m);
    // Assess
    expect((await suppressionOf('email', m.address))?.reason).toBe('hard_bounce');
  });

  it('rejects an event that is not an AWS service event and puts nothing on the bus', async () => {
    // Prepare
    const m = message();
    // Act
    const answer = await postToBus([
      sesEvent('delivery', m),
      { source: 'cohort', 'detail-type': 'x', detail: {} },
    ]);
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/event 1: source/);
    expect(await outcome(m)).toBeUndefined();
  });
});

describe('mail tagged by the SES adapter (message id and a hash of the customer)', () => {
  function adapterTagged(campaignId: string) {
    const customerId = ulid();
    const messageId = ulid();
    const address = `t-${unique()}@example.com`;
    const tags = emailTags({
      channel: 'email',
      to: address,
      subject: 'x',
      messageId,
      customerId,
      campaignId,
      variantId: 'B',
    });
    const m: SesMessage = {
      address,
      sesMessageId: `0100019a${ulid().toLowerCase()}-000000`,
      tags: Object.fromEntries(tags.map((t) => [t.Name ?? '', t.Value ?? ''])),
    };
    return { customerId, messageId, m };
  }

  it('finds a registered message by its id and keeps its outcome under the real customer', async () => {
    // Prepare
    const campaignId = ulid();
    const { customerId, messageId, m } = adapterTagged(campaignId);
    await registerMessage({
      messageId,
      customerId,
      source: `campaign:${campaignId}`,
      channel: 'email',
      variant: 'B',
      tier: 'C',
    });
    // Act
    await apply('delivery', m);
    await apply('open', m);
    const stored = (
      await store()
        .entities.messageOutcome.get({ customerId, source: `campaign:${campaignId}`, channel: 'email' })
        .go()
    ).data;
    const results = await readResults(`campaign:${campaignId}`);
    // Assess
    expect(m.tags.customer).not.toBe(customerId);
    expect(stored).toMatchObject({ status: 'delivered', variant: 'B', tier: 'C', messageId });
    expect(results.rows).toEqual([
      expect.objectContaining({ variant: 'B', tier: 'C', counts: { sent: 1, delivered: 1, opened: 1 } }),
    ]);
  });

  it('asks for a retry while an unregistered message id is recent, suppressing a hard bounce at once; later drops it', async () => {
    // Prepare
    const { m } = adapterTagged(ulid());
    const detail = sesEventDetail.parse(sesEvent('bounce-permanent', m).detail);
    const sentAt = Date.parse(detail.mail.timestamp);
    // Act
    const recent = await applySesEvent(detail, sentAt + 60_000).catch((error: unknown) => error);
    const late = await applySesEvent(detail, sentAt + 3_600_000);
    // Assess
    expect(recent).toBeInstanceOf(UnknownMessageError);
    expect(late).toBeUndefined();
    expect((await suppressionOf('email', m.address))?.reason).toBe('hard_bounce');
  });
});

describe('results counters', () => {
  it('count exactly once per message and metric under duplicate and concurrent delivery, and never regress', async () => {
    // Prepare
    const campaignId = ulid();
    const messages = Array.from({ length: 12 }, (_, i) =>
      message({ campaignId, variant: i % 2 ? 'B' : 'A' }),
    );
    const samples: SesSample[] = ['click', 'send', 'open', 'delivery', 'open', 'click', 'send', 'delivery'];
    const burst = messages[1] as SesMessage;
    // Act: messages at once; each message's events out of order and twice over (EventBridge delivers at
    // least once), three bounces of three messages doubled, and one burst of the same event at once
    await Promise.all([
      ...messages.map(async (m, i) => {
        for (const s of samples) await apply(s, m);
        if (i < 3) for (let k = 0; k < 2; k++) await apply('bounce-permanent', m);
      }),
      ...Array.from({ length: 4 }, () => apply('open', burst)),
    ]);
    await apply('delivery', messages[0] as SesMessage);
    const results = await readResults(`campaign:${campaignId}`);
    // Assess
    expect(results.total.counts).toEqual({ sent: 12, delivered: 12, opened: 12, clicked: 12, bounced: 3 });
    expect(results.variants.map((v) => [v.variant, v.counts.sent])).toEqual([
      ['A', 6],
      ['B', 6],
    ]);
    expect((await outcome(messages[0] as SesMessage))?.status).toBe('bounced');
    expect(results.total.rates.clickRate).toBe(1);
  });

  it('a send batch’s results are counted once per message when the batch is recorded again, at once and after', async () => {
    // Prepare: 60 messages of two variants, one of them delivered already through an SES event
    const campaignId = ulid();
    const refs = Array.from({ length: 60 }, (_, i) => ({
      source: `campaign:${campaignId}`,
      customerId: ulid(),
      channel: 'sms' as const,
      variant: i % 2 ? 'B' : 'A',
    }));
    const at = new Date().toISOString();
    const targeted = refs.map((ref) => ({ ref, feedback: { kind: 'target' as const, at } }));
    const delivered = refs.map((ref) => ({ ref, feedback: { kind: 'delivery' as const, at } }));
    await recordFeedbackMany([delivered[0] as (typeof delivered)[number]]);

    // Act: a redelivered batch records the same results twice at once, then once more
    const [first, second] = await Promise.all([recordFeedbackMany(targeted), recordFeedbackMany(targeted)]);
    await Promise.all([recordFeedbackMany(delivered), recordFeedbackMany(delivered)]);
    const third = await recordFeedbackMany(delivered);
    const results = await readResults(`campaign:${campaignId}`);

    // Assess
    expect([...(first ?? []), ...(second ?? [])].filter((r) => r === 'recorded')).toHaveLength(60);
    expect(third).toEqual(refs.map(() => 'duplicate'));
    expect(results.total.counts).toEqual({ targeted: 60, sent: 60, delivered: 60 });
    expect(results.variants.map((v) => [v.variant, v.counts.delivered])).toEqual([
      ['A', 30],
      ['B', 30],
    ]);
  });

  it('compares variants with a z-test on rates over delivered', async () => {
    // Prepare
    const campaignId = ulid();
    const a = Array.from({ length: 10 }, () => message({ campaignId, variant: 'A' }));
    const b = Array.from({ length: 10 }, () => message({ campaignId, variant: 'B' }));
    // Act
    await Promise.all([...a, ...b].map((m) => apply('delivery', m)));
    await Promise.all([...a.slice(0, 8), ...b.slice(0, 2)].map((m) => apply('click', m)));
    const results = await readResults(`campaign:${campaignId}`);
    // Assess
    const click = results.significance.find((s) => s.metric === 'clicked');
    expect(click?.test).toBe('two-proportion-z');
    expect(click?.statistic).toBeCloseTo(2.683281572999748, 9);
    expect(click?.pValue).toBeLessThan(0.01);
  });
});

describe('push, SMS and webhook results', () => {
  it('an SMS opt-out is recorded and suppresses the number; a webhook answer keeps status and latency', async () => {
    // Prepare
    const customerId = ulid();
    const phone = `+861380013${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
    const sms = { source: `campaign:${ulid()}`, customerId, channel: 'sms' as const, variant: 'A' };
    const hook = { source: `automation:${ulid()}`, customerId, channel: 'webhook' as const };
    // Act
    const optOut = await recordSendResult(sms, phone, {
      status: 'rejected',
      retryable: false,
      detail: 'OPT_OUT',
      providerStatus: 'OPT_OUT',
      providerMessageId: 'pp-1',
    });
    const again = await recordSendResult(sms, phone, {
      status: 'rejected',
      retryable: false,
      detail: 'OPT_OUT',
      providerStatus: 'OPT_OUT',
    });
    await recordSendResult(hook, 'https://hooks.example.com/x', {
      status: 'accepted',
      retryable: false,
      detail: 'HTTP 202',
      httpStatus: 202,
      latencyMs: 118,
    });
    const throttled = await recordSendResult(hook, 'https://hooks.example.com/x', {
      status: 'throttled',
      retryable: true,
      detail: 'HTTP 429',
    });
    const { messageOutcome } = store().entities;
    const smsOutcome = (await messageOutcome.get({ customerId, source: sms.source, channel: 'sms' }).go())
      .data;
    const hookOutcome = (
      await messageOutcome.get({ customerId, source: hook.source, channel: 'webhook' }).go()
    ).data;
    // Assess
    expect([optOut, again, throttled]).toEqual(['recorded', 'duplicate', 'ignored']);
    expect(smsOutcome?.status).toBe('opted_out');
    expect((await suppressionOf('sms', phone))?.reason).toBe('carrier_opt_out');
    expect(hookOutcome).toMatchObject({ status: 'delivered', responseStatus: 202, latencyMs: 118 });
    expect((await readResults(sms.source)).total.counts).toEqual({ sent: 1, failed: 1, opted_out: 1 });
  });
});

describe('conversions', () => {
  it('credit an order once to the last click in its window, counting the conversion once per message', async () => {
    // Prepare
    const m = message();
    const customerId = m.tags.customer as string;
    const clickAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
    await apply('click', m, clickAt);
    const order = (eventId: string, amount: number) => ({
      eventId,
      customerId,
      type: 'order',
      occurredAt: new Date().toISOString(),
      orderId: eventId,
      amount,
      currency: 'CNY',
    });
    const first = order(`order:${unique()}`, 199.9);
    // Act
    const answers = await Promise.all([attributeOrder(first), attributeOrder(first), attributeOrder(first)]);
    const second = await attributeOrder(order(`order:${unique()}`, 0.1));
    const results = await readResults(source(m));
    // Assess
    expect(answers.filter((a) => a === 'attributed')).toHaveLength(1);
    expect(answers.filter((a) => a === 'duplicate')).toHaveLength(2);
    expect(second).toBe('attributed');
    expect(results.total.counts.converted).toBe(1);
    expect(results.total.counts['revenue:CNY']).toBe(200);
  });

  it('leave an order outside the source’s own window unattributed', async () => {
    // Prepare
    const m = message();
    await setAttributionWindow(source(m), { clickHours: 1, openHours: 1 });
    await apply('click', m, new Date(Date.now() - 2 * 3_600_000).toISOString());
    // Act
    const answer = await attributeOrder({
      eventId: `order:${unique()}`,
      customerId: m.tags.customer as string,
      type: 'order',
      occurredAt: new Date().toISOString(),
      amount: 10,
      currency: 'CNY',
    });
    // Assess
    expect(answer).toBe('none');
  });
});
