import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';

useStackEnv();
const { upsertCustomer } = await import('../../shared/customers/service.ts');
const { customerUpsertSchema } = await import('../../shared/customers/schema.ts');
const { declareTopic } = await import('../../shared/consent/topics.ts');
const { topicPutSchema } = await import('../../shared/consent/schema.ts');
const { setConsents } = await import('../../shared/consent/service.ts');
const { admit, admitMany, confirmSent, confirmSentMany, confirmFailed, evaluate } = await import(
  '../../shared/delivery/gate.ts'
);
const { putSuppression } = await import('../../shared/consent/suppression.ts');
const { putDeliverySettings, readDeliverySettings, forgetDeliverySettings, deliverySettings } = await import(
  '../../shared/delivery/settings-store.ts'
);
const { deliverySettingsSchema } = await import('../../shared/delivery/settings.ts');
const { store } = await import('../../shared/store/service.ts');
const { documentClient } = await import('../../shared/platform/aws.ts');

const actor = { keyId: 'TESTKEY', keyName: 'integration test' };
const unique = () => randomUUID().slice(0, 8);

/** Counts the DynamoDB calls this process makes, by command, for the calls-per-recipient figure. */
const calls: string[] = [];
documentClient().middlewareStack.add(
  (next, context) => async (args) => {
    calls.push(String(context.commandName));
    return next(args);
  },
  { step: 'initialize', name: 'countCalls' },
);

async function customer(input: object = {}) {
  const { customer: c } = await upsertCustomer(
    customerUpsertSchema.parse({
      email: `g-${unique()}@example.com`,
      phone: `+86138${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
      ...input,
    }),
    actor,
  );
  await setConsents(
    c.id,
    [
      { channel: 'email', topic: '*', status: 'opted_in', source: 'api' },
      { channel: 'sms', topic: '*', status: 'opted_in', source: 'api' },
    ],
    'K1',
  );
  return c;
}

// 2026-11-23 12:00 in Shanghai (04:00 UTC): outside the default quiet hours.
const NOON_SHANGHAI = new Date('2026-11-23T04:00:00Z');

beforeAll(async () => {
  await declareTopic(
    'gate-promos',
    topicPutSchema.parse({ name: { en: 'Promotions', zh: '促销' }, channels: ['email', 'sms', 'push'] }),
  );
  const current = await readDeliverySettings();
  await putDeliverySettings(
    deliverySettingsSchema.parse({
      defaultTimeZone: 'Asia/Shanghai',
      caps: { email: { day: 2, week: 3 }, sms: { day: 1 } },
      tierCaps: { A: { email: { day: 4 } } },
    }),
    current.version,
    actor,
  );
  forgetDeliverySettings();
});

const campaign = (id = unique()) => ({ kind: 'campaign' as const, id });

describe('the send gate against DynamoDB Local', () => {
  it('many parallel sends of different campaigns to one customer never exceed the daily cap', async () => {
    // Prepare
    const c = await customer({ timeZone: 'Asia/Shanghai' });

    // Act: 20 campaigns at once, email only (cap 2 a day)
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        admit({
          source: campaign(),
          customerId: c.id,
          channels: ['email'],
          topic: 'gate-promos',
          at: NOON_SHANGHAI,
        }),
      ),
    );

    // Assess
    const sent = answers.filter((a) => a.outcome === 'send');
    expect(sent).toHaveLength(2);
    const skipped = answers.filter((a) => a.outcome === 'skip');
    expect(skipped).toHaveLength(18);
    for (const a of skipped)
      expect(a.skipped).toEqual([{ channel: 'email', reason: 'cap_reached:email:day' }]);
    const counter = await store()
      .entities.capCounter.get({ customerId: c.id, key: 'ch:email#D2026-11-23' })
      .go();
    expect(counter.data?.count).toBe(2);
  });

  it('the same campaign redelivered 20 times at once reserves once, and later deliveries are duplicates', async () => {
    // Prepare
    const c = await customer();
    const source = campaign();
    const request = {
      source,
      customerId: c.id,
      channels: ['sms', 'email'] as const,
      topic: 'gate-promos',
      at: NOON_SHANGHAI,
    };

    // Act
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => admit({ ...request, channels: [...request.channels] })),
    );
    const winner = answers.find((a) => a.outcome === 'send');
    if (winner?.outcome === 'send') await confirmSent(winner.ticket, 'provider-1');
    const again = await admit({ ...request, channels: [...request.channels] });

    // Assess
    expect(answers.filter((a) => a.outcome === 'send')).toHaveLength(1);
    expect(answers.filter((a) => a.outcome === 'duplicate')).toHaveLength(19);
    expect(again).toMatchObject({ outcome: 'duplicate', channel: 'sms', state: 'sent', inDoubt: false });
    const entries = await store().entities.deliveryEntry.query.byCustomer({ customerId: c.id }).go();
    expect(entries.data.map((e) => [e.channel, e.state, e.providerMessageId])).toEqual([
      ['sms', 'sent', 'provider-1'],
    ]);
    const smsCount = await store()
      .entities.capCounter.get({ customerId: c.id, key: 'ch:sms#D2026-11-23' })
      .go();
    expect(smsCount.data?.count).toBe(1);
  });

  it('falls back along the channel order and records every skipped channel with its reason', async () => {
    // Prepare: no push token; SMS suppressed by its daily cap after one send
    const c = await customer();
    const first = await admit({
      source: campaign(),
      customerId: c.id,
      channels: ['sms'],
      topic: 'gate-promos',
      at: NOON_SHANGHAI,
    });
    const source = campaign();

    // Act
    const answer = await admit({
      source,
      customerId: c.id,
      channels: ['push', 'sms', 'email'],
      topic: 'gate-promos',
      at: NOON_SHANGHAI,
    });

    // Assess
    expect(first.outcome).toBe('send');
    expect(answer).toMatchObject({
      outcome: 'send',
      channel: 'email',
      address: c.email,
      skipped: [
        { channel: 'push', reason: 'no_address' },
        { channel: 'sms', reason: 'cap_reached:sms:day' },
      ],
    });
    const entries = await store()
      .entities.deliveryEntry.query.byCustomer({ customerId: c.id })
      .begins({ source: `campaign:${source.id}` })
      .go();
    expect(entries.data.map((e) => [e.channel, e.state, e.reason]).sort()).toEqual([
      ['email', 'reserved', undefined],
      ['push', 'skipped', 'no_address'],
      ['sms', 'skipped', 'cap_reached:sms:day'],
    ]);
  });

  it('defers in quiet hours in the customer’s zone, the default zone when the profile has none', async () => {
    // Prepare: 23:30 in Shanghai is 10:30 in New York
    const late = new Date('2026-11-23T15:30:00Z');
    const shanghai = await customer();
    const newYork = await customer({ timeZone: 'America/New_York' });

    // Act
    const deferred = await admit({
      source: campaign(),
      customerId: shanghai.id,
      channels: ['email'],
      topic: 'gate-promos',
      at: late,
    });
    const daytime = await admit({
      source: campaign(),
      customerId: newYork.id,
      channels: ['email'],
      topic: 'gate-promos',
      at: late,
    });

    // Assess
    expect(deferred).toMatchObject({
      outcome: 'defer',
      channel: 'email',
      deferUntil: '2026-11-24T00:00:00.000Z',
      timeZone: 'Asia/Shanghai',
      from: 'default',
    });
    expect(daytime).toMatchObject({ outcome: 'send', timeZone: 'America/New_York', from: 'profile' });
  });

  it('a refused send gives its cap back; the next delivery falls back past the refused channel', async () => {
    // Prepare
    const c = await customer();
    const source = campaign();
    const request = () => ({
      source,
      customerId: c.id,
      channels: ['sms' as const, 'email' as const],
      topic: 'gate-promos',
      at: NOON_SHANGHAI,
    });
    const first = await admit(request());
    if (first.outcome !== 'send') throw new Error('expected a reservation');

    // Act
    await confirmFailed(first.ticket, { detail: 'invalid number' });
    const second = await admit(request());
    const smsCount = await store()
      .entities.capCounter.get({ customerId: c.id, key: 'ch:sms#D2026-11-23' })
      .go();

    // Assess
    expect(smsCount.data?.count).toBe(0);
    expect(second).toMatchObject({
      outcome: 'send',
      channel: 'email',
      skipped: [{ channel: 'sms', reason: 'channel_rejected' }],
    });
  });

  it('a reservation left by a crashed sender is a duplicate, in doubt after the lease, and may be taken over', async () => {
    // Prepare
    const c = await customer();
    const source = campaign();
    const request = { source, customerId: c.id, channels: ['email' as const], topic: 'gate-promos' };
    const crashed = await admit({ ...request, at: NOON_SHANGHAI });
    const later = new Date(NOON_SHANGHAI.getTime() + 10 * 60_000);

    // Act
    const soon = await admit({ ...request, at: new Date(NOON_SHANGHAI.getTime() + 1000) });
    const inDoubt = await admit({ ...request, at: later });
    const resend = await admit({ ...request, at: later, inDoubt: 'resend' });
    const counter = await store()
      .entities.capCounter.get({ customerId: c.id, key: 'ch:email#D2026-11-23' })
      .go();

    // Assess
    expect(crashed.outcome).toBe('send');
    expect(soon).toMatchObject({ outcome: 'duplicate', state: 'reserved', inDoubt: false });
    expect(inDoubt).toMatchObject({ outcome: 'duplicate', state: 'reserved', inDoubt: true });
    expect(resend).toMatchObject({ outcome: 'send', channel: 'email' });
    expect(counter.data?.count).toBe(1);
  });

  it('no consent: nothing reserved, the reason recorded; transactional sends skip caps', async () => {
    // Prepare
    const c = await customer();
    await setConsents(
      c.id,
      [{ channel: 'email', topic: 'gate-promos', status: 'opted_out', source: 'api' }],
      'K1',
    );

    // Act
    const refused = await admit({
      source: campaign(),
      customerId: c.id,
      channels: ['email'],
      topic: 'gate-promos',
      at: NOON_SHANGHAI,
    });
    const transactional = await Promise.all(
      Array.from({ length: 4 }, () =>
        admit({
          source: { kind: 'transactional', id: unique() },
          customerId: c.id,
          channels: ['sms'],
          at: NOON_SHANGHAI,
        }),
      ),
    );

    // Assess
    expect(refused).toEqual({ outcome: 'skip', skipped: [{ channel: 'email', reason: 'opted_out' }] });
    expect(transactional.map((a) => a.outcome)).toEqual(['send', 'send', 'send', 'send']);
  });

  it('evaluate answers as admit would, caps read and not counted, and writes nothing', async () => {
    // Prepare: one email of the day's two already taken by another campaign
    const c = await customer({ timeZone: 'Asia/Shanghai' });
    await admit({
      source: campaign(),
      customerId: c.id,
      channels: ['email'],
      topic: 'gate-promos',
      at: NOON_SHANGHAI,
    });
    const full = await customer({ timeZone: 'Asia/Shanghai' });
    for (let i = 0; i < 2; i++)
      await admit({
        source: campaign(),
        customerId: full.id,
        channels: ['email'],
        topic: 'gate-promos',
        at: NOON_SHANGHAI,
      });
    const ledgerBefore = async (id: string) =>
      (await store().entities.deliveryEntry.query.byCustomer({ customerId: id }).go()).data.length;
    const before = [await ledgerBefore(c.id), await ledgerBefore(full.id)];
    const request = (customerId: string) => ({
      source: campaign(),
      customerId,
      channels: ['push', 'email'] as ('push' | 'email')[],
      topic: 'gate-promos',
      at: NOON_SHANGHAI,
    });

    // Act
    const open = await evaluate(request(c.id));
    const capped = await evaluate(request(full.id));
    const night = await evaluate({ ...request(c.id), at: new Date('2026-11-23T15:00:00Z') });

    // Assess
    expect(open).toMatchObject({ outcome: 'send', channel: 'email', ticket: { attemptId: '' } });
    expect(open.skipped).toEqual([{ channel: 'push', reason: 'no_address' }]);
    expect(capped).toMatchObject({ outcome: 'skip' });
    expect(capped.skipped.at(-1)).toEqual({ channel: 'email', reason: 'cap_reached:email:day' });
    expect(night.outcome).toBe('defer');
    expect([await ledgerBefore(c.id), await ledgerBefore(full.id)]).toEqual(before);
    const counter = await store()
      .entities.capCounter.get({ customerId: c.id, key: 'ch:email#D2026-11-23' })
      .go();
    expect(counter.data?.count).toBe(1);
  });

  it('admitMany answers a batch as admit would: already sent, capped, suppressed and unknown recipients among new ones', async () => {
    // Prepare: caps of the suite are email 2 a day, sms 1 a day
    const [fresh, sent, capped, suppressed, other] = [
      await customer(),
      await customer(),
      await customer(),
      await customer(),
      await customer(),
    ] as const;
    const source = campaign();
    const request = (customerId: string) => ({
      source,
      customerId,
      channels: ['sms', 'email'] as ('sms' | 'email')[],
      topic: 'gate-promos',
      at: NOON_SHANGHAI,
    });
    const earlier = await admit(request(sent.id));
    if (earlier.outcome === 'send') await confirmSent(earlier.ticket, 'p-earlier');
    // The capped customer had today's one SMS from another campaign: the batch falls back to email.
    const elsewhere = await admit({ ...request(capped.id), source: campaign() });
    if (elsewhere.outcome === 'send') await confirmSent(elsewhere.ticket);
    await putSuppression('sms', suppressed.phone as string, { reason: 'carrier_opt_out', source: 'test' });
    await putSuppression('email', suppressed.email as string, { reason: 'hard_bounce', source: 'test' });
    const unknown = `01UNKNOWN${unique().toUpperCase()}`.padEnd(26, '0').slice(0, 26);

    // Act
    const batch = [fresh.id, sent.id, capped.id, suppressed.id, unknown, other.id].map(request);
    const answers = (await admitMany(batch)).map((r) => (r.status === 'fulfilled' ? r.value : r.reason));
    await confirmSentMany(
      answers.flatMap((a) =>
        a.outcome === 'send' ? [{ ticket: a.ticket, providerMessageId: `p-${a.ticket.customerId}` }] : [],
      ),
    );

    // Assess
    expect(answers.map((a) => [a.outcome, a.channel])).toEqual([
      ['send', 'sms'],
      ['duplicate', 'sms'],
      ['send', 'email'],
      ['skip', undefined],
      ['skip', undefined],
      ['send', 'sms'],
    ]);
    expect(answers[2]?.skipped).toEqual([{ channel: 'sms', reason: 'cap_reached:sms:day' }]);
    expect(answers[3]?.skipped).toEqual([
      { channel: 'sms', reason: 'suppressed:carrier_opt_out' },
      { channel: 'email', reason: 'suppressed:hard_bounce' },
    ]);
    expect(answers[4]?.skipped.map((s: { reason: string }) => s.reason)).toEqual([
      'unknown_customer',
      'unknown_customer',
    ]);
    const ledger = async (customerId: string) =>
      (await store().entities.deliveryEntry.query.byCustomer({ customerId }).go()).data
        .filter((e) => e.source === `campaign:${source.id}`)
        .map((e) => [e.channel, e.state, e.reason ?? e.providerMessageId]);
    expect(await ledger(fresh.id)).toEqual([['sms', 'sent', `p-${fresh.id}`]]);
    expect(await ledger(sent.id)).toEqual([['sms', 'sent', 'p-earlier']]);
    expect(await ledger(capped.id)).toEqual([
      ['email', 'sent', `p-${capped.id}`],
      ['sms', 'skipped', 'cap_reached:sms:day'],
    ]);
    expect(await ledger(suppressed.id)).toEqual([
      ['email', 'skipped', 'suppressed:hard_bounce'],
      ['sms', 'skipped', 'suppressed:carrier_opt_out'],
    ]);
    expect(await ledger(unknown)).toEqual([]);
    const smsCount = await store()
      .entities.capCounter.get({ customerId: fresh.id, key: 'ch:sms#D2026-11-23' })
      .go();
    expect(smsCount.data?.count).toBe(1);
  });

  it('a batch redelivered while it is being sent, and again after, reserves each recipient once and counts each cap once', async () => {
    // Prepare
    const customers = await Promise.all(Array.from({ length: 12 }, () => customer()));
    const source = campaign();
    const batch = customers.map((c) => ({
      source,
      customerId: c.id,
      channels: ['sms', 'email'] as ('sms' | 'email')[],
      topic: 'gate-promos',
      at: NOON_SHANGHAI,
    }));

    // Act: three deliveries of the same batch at once, then a fourth after the sends were confirmed
    const rounds = await Promise.all([admitMany(batch), admitMany(batch), admitMany(batch)]);
    const answers = rounds.flat().map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
    await confirmSentMany(answers.flatMap((a) => (a.outcome === 'send' ? [{ ticket: a.ticket }] : [])));
    const again = (await admitMany(batch)).map((r) =>
      r.status === 'fulfilled' ? r.value.outcome : r.reason,
    );

    // Assess
    const sends = answers.filter((a) => a.outcome === 'send');
    expect(sends.map((a) => a.outcome === 'send' && a.ticket.customerId).sort()).toEqual(
      customers.map((c) => c.id).sort(),
    );
    expect(answers.filter((a) => a.outcome === 'duplicate')).toHaveLength(24);
    expect(again).toEqual(customers.map(() => 'duplicate'));
    for (const c of customers) {
      const entries = (await store().entities.deliveryEntry.query.byCustomer({ customerId: c.id }).go()).data;
      expect(
        entries.filter((e) => e.source === `campaign:${source.id}`).map((e) => [e.channel, e.state]),
      ).toEqual([['sms', 'sent']]);
      const counter = await store()
        .entities.capCounter.get({ customerId: c.id, key: 'ch:sms#D2026-11-23' })
        .go();
      expect(counter.data?.count).toBe(1);
    }
  });

  it('DynamoDB calls per recipient: counted on the send path', async () => {
    // Prepare
    const c = await customer({ timeZone: 'Asia/Tokyo' });
    await admit({
      source: campaign(),
      customerId: c.id,
      channels: ['email'],
      topic: 'gate-promos',
      at: NOON_SHANGHAI,
    });
    // Settings and topics are cached per process (10 s, 60 s): warm, so the count is the per-recipient one.
    await deliverySettings();
    calls.length = 0;

    // Act
    const answer = await admit({
      source: campaign(),
      customerId: c.id,
      channels: ['push', 'email'],
      topic: 'gate-promos',
      at: NOON_SHANGHAI,
    });
    if (answer.outcome === 'send') await confirmSent(answer.ticket, 'm-1');

    // Assess
    expect(answer.outcome).toBe('send');
    console.log(`send gate DynamoDB calls per recipient: ${calls.length} (${calls.join(', ')})`);
    // Two rounds of batch reads (profile, consents, frequency, ledger; then suppressions and caps), the
    // reservation's transaction, the confirmation.
    expect(calls).toEqual([
      'BatchGetItemCommand',
      'BatchGetItemCommand',
      'TransactWriteItemsCommand',
      'UpdateItemCommand',
    ]);
  });
});
