import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { call } from '../support/api.ts';

const unique = () => randomUUID().slice(0, 8);
const paths = (body: { errors?: { path: string }[] }) => (body.errors ?? []).map((e) => e.path).sort();

async function newCustomer(extra: object = {}) {
  const created = await call('POST', '/v1/customers', {
    body: { email: `sg-${unique()}@example.com`, ...extra },
  });
  expect(created.status).toBe(201);
  return created.body as { id: string; email: string };
}

await call('PUT', '/v1/topics/receipts', {
  body: { name: { en: 'Receipts', zh: '收据' }, kind: 'service', channels: ['email', 'sms', 'push'] },
});
await call('PUT', '/v1/topics/sg-promos', {
  body: { name: { en: 'Promotions', zh: '促销' }, channels: ['email'] },
});

const template = {
  name: 'receipt',
  defaultLocale: 'en',
  variables: { 'event.orderId': { type: 'string' } },
  content: {
    email: { subject: 'Receipt {{ event.orderId }}', text: 'Thanks' },
    sms: { body: 'Receipt {{ event.orderId }}' },
  },
};

describe('delivery settings over HTTP', () => {
  it('reads the defaults with an ETag, replaces them under If-Match and refuses bad values naming the field', async () => {
    // Prepare
    const before = await call('GET', '/v1/delivery/settings');

    // Act
    const bad = await call('PUT', '/v1/delivery/settings', {
      headers: { 'if-match': before.headers.get('etag') as string },
      body: {
        defaultTimeZone: 'Mars/Olympus',
        caps: { email: { day: -1 }, fax: { day: 1 } },
        quietHours: { start: '25:00' },
      },
    });
    const noIfMatch = await call('PUT', '/v1/delivery/settings', { body: {} });
    const stored = await call('PUT', '/v1/delivery/settings', {
      headers: { 'if-match': before.headers.get('etag') as string },
      body: { ...before.body.settings, tierCaps: { A: { email: { day: 3, week: 8 } } } },
    });
    const stale = await call('PUT', '/v1/delivery/settings', {
      headers: { 'if-match': before.headers.get('etag') as string },
      body: {},
    });
    const after = await call('GET', '/v1/delivery/settings');

    // Assess
    expect(before.status).toBe(200);
    expect(before.body.settings).toMatchObject({
      defaultTimeZone: expect.any(String),
      quietHours: { start: '21:00', end: '08:00' },
    });
    expect(bad.status).toBe(400);
    expect(paths(bad.body)).toEqual(['caps.email.day', 'caps.fax', 'defaultTimeZone', 'quietHours.start']);
    expect(noIfMatch.status).toBe(428);
    expect(stored.status).toBe(200);
    expect(stale.status).toBe(412);
    expect(after.body.settings.tierCaps).toEqual({ A: { email: { day: 3, week: 8 } } });
    expect(after.headers.get('etag')).toBe(`"${before.body.version + 1}"`);
  });
});

describe('transactional sends and the why listing over HTTP', () => {
  it('answers bad messages with 400/422 naming the field and records nothing', async () => {
    // Prepare
    const c = await newCustomer();

    // Act
    const bad = await call('POST', '/v1/messages', {
      body: {
        customerId: 'nope',
        topic: '',
        channels: ['fax', 'email'],
        template: { content: {} },
        extra: 1,
      },
    });
    const noChannels = await call('POST', '/v1/messages', {
      body: { customerId: c.id, topic: 'receipts', channels: [], template },
    });
    const marketing = await call('POST', '/v1/messages', {
      body: { customerId: c.id, topic: 'sg-promos', channels: ['email'], template },
    });
    const undeclared = await call('POST', '/v1/messages', {
      body: { customerId: c.id, topic: `ghost-${unique()}`, channels: ['email'], template },
    });
    const unknownCustomer = await call('POST', '/v1/messages', {
      body: { customerId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', topic: 'receipts', channels: ['email'], template },
    });
    const noContent = await call('POST', '/v1/messages', {
      body: { customerId: c.id, topic: 'receipts', channels: ['push'], template },
    });
    const ledger = await call('GET', `/v1/customers/${c.id}/deliveries`);

    // Assess
    expect(bad.status).toBe(400);
    expect(paths(bad.body)).toEqual(
      expect.arrayContaining(['channels[0]', 'customerId', 'extra', 'template.name', 'topic']),
    );
    expect(noChannels.status).toBe(400);
    expect(paths(noChannels.body)).toEqual(['channels']);
    expect([marketing.status, paths(marketing.body)]).toEqual([422, ['topic']]);
    expect([undeclared.status, paths(undeclared.body)]).toEqual([422, ['topic']]);
    expect([unknownCustomer.status, paths(unknownCustomer.body)]).toEqual([422, ['customerId']]);
    expect([noContent.status, paths(noContent.body)]).toEqual([422, ['channels[0]']]);
    expect(ledger.body.items).toEqual([]);
  });

  it('a message the customer may not get is answered not_sent, and the listing says why, per channel', async () => {
    // Prepare: no phone, and the email opted out of receipts
    const c = await newCustomer();
    await call('PUT', `/v1/customers/${c.id}/consents`, {
      body: { consents: [{ channel: 'email', topic: 'receipts', status: 'opted_out' }] },
    });
    const key = `receipt-${unique()}`;

    // Act
    const sent = await call('POST', '/v1/messages', {
      headers: { 'idempotency-key': key },
      body: {
        customerId: c.id,
        topic: 'receipts',
        channels: ['sms', 'email'],
        template,
        data: { orderId: 'SO-9' },
      },
    });
    const replay = await call('POST', '/v1/messages', {
      headers: { 'idempotency-key': key },
      body: {
        customerId: c.id,
        topic: 'receipts',
        channels: ['sms', 'email'],
        template,
        data: { orderId: 'SO-9' },
      },
    });
    const why = await call(
      'GET',
      `/v1/customers/${c.id}/deliveries?source=${encodeURIComponent(sent.body.source)}`,
    );
    const byKind = await call('GET', `/v1/customers/${c.id}/deliveries?source=transactional:&limit=1`);
    const badQuery = await call(
      'GET',
      `/v1/customers/${c.id}/deliveries?source=newsletter&limit=0&cursor=zzz`,
    );

    // Assess
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({
      status: 'not_sent',
      source: expect.stringMatching(/^transactional:/),
      skipped: [
        { channel: 'sms', reason: 'no_address' },
        { channel: 'email', reason: 'opted_out' },
      ],
    });
    expect(replay.body).toEqual(sent.body);
    expect(why.status).toBe(200);
    expect(
      why.body.items.map((e: { channel: string; state: string; reason: string }) => [
        e.channel,
        e.state,
        e.reason,
      ]),
    ).toEqual([
      ['email', 'skipped', 'opted_out'],
      ['sms', 'skipped', 'no_address'],
    ]);
    expect(byKind.body.items).toHaveLength(1);
    expect(byKind.body.next).toEqual(expect.any(String));
    expect(badQuery.status).toBe(400);
    expect(paths(badQuery.body)).toEqual(['query.limit', 'query.source']);
  });

  it('the listing answers 404 for an unknown customer and 410 for an erased one', async () => {
    // Prepare
    const c = await newCustomer();
    await call('DELETE', `/v1/customers/${c.id}`);

    // Act
    const unknown = await call('GET', '/v1/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV/deliveries');
    const erased = await call('GET', `/v1/customers/${c.id}/deliveries`);
    const badId = await call('GET', '/v1/customers/nope/deliveries');

    // Assess
    expect(unknown.status).toBe(404);
    expect(erased.status).toBe(410);
    expect([badId.status, paths(badId.body)]).toEqual([400, ['path.customerId']]);
  });
});

interface Recorded {
  address: string;
  message: { Body?: string };
}

async function recordedFor(address: string): Promise<Recorded[]> {
  const { messages } = (await (await fetch(`${inject('apiUrl')}/_local/messages`)).json()) as {
    messages: Recorded[];
  };
  return messages.filter((m) => m.address === address);
}

/** A mobile number no other test uses: random digits after a Chinese mobile prefix. */
const phone = () => `+86139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

describe('transactional sends through the channel adapters on the local stack', () => {
  it('sends once to the End User Messaging recorder under five concurrent requests with one key', async () => {
    // Prepare
    const to = phone();
    const c = await newCustomer({ phone: to, timeZone: 'Asia/Shanghai' });
    const key = `sms-${unique()}`;
    const body = {
      customerId: c.id,
      topic: 'receipts',
      channels: ['sms', 'email'],
      template,
      data: { orderId: 'SO-7' },
    };

    // Act
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        call('POST', '/v1/messages', { headers: { 'idempotency-key': key }, body }),
      ),
    );
    const replay = await call('POST', '/v1/messages', { headers: { 'idempotency-key': key }, body });
    const recorded = await recordedFor(to);
    const sent = answers.find((a) => a.status === 201);
    const why = await call(
      'GET',
      `/v1/customers/${c.id}/deliveries?source=${encodeURIComponent(sent?.body.source)}`,
    );

    // Assess: the others were told the first is still running (409) or got its answer
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    for (const a of answers) expect([201, 409]).toContain(a.status);
    expect(sent?.body).toMatchObject({
      status: 'sent',
      channel: 'sms',
      providerMessageId: expect.any(String),
    });
    expect(replay.body).toEqual(sent?.body);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.message.Body).toBe('Receipt SO-7');
    expect(why.body.items).toEqual([
      expect.objectContaining({ channel: 'sms', state: 'sent', address: to, timeZoneFrom: 'profile' }),
    ]);
  });

  it('a number the carrier refuses is answered and recorded as failed, with the provider’s detail', async () => {
    // Prepare
    const to = phone();
    const c = await newCustomer({ phone: to });
    await fetch(`${inject('apiUrl')}/_local/messages/faults/${encodeURIComponent(to)}`, {
      method: 'PUT',
      body: JSON.stringify({ deliveryStatus: 'PERMANENT_FAILURE', statusMessage: 'unreachable number' }),
    });
    const key = `fail-${unique()}`;
    const body = {
      customerId: c.id,
      topic: 'receipts',
      channels: ['sms', 'email'],
      template,
      data: { orderId: 'SO-8' },
    };

    // Act
    const refused = await call('POST', '/v1/messages', { headers: { 'idempotency-key': key }, body });
    const why = await call(
      'GET',
      `/v1/customers/${c.id}/deliveries?source=${encodeURIComponent(refused.body.source)}`,
    );

    // Assess
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ status: 'failed', channel: 'sms' });
    expect(why.body.items).toEqual([
      expect.objectContaining({
        channel: 'sms',
        state: 'failed',
        reason: 'channel_rejected',
        detail: expect.any(String),
      }),
    ]);
    expect(await recordedFor(to)).toEqual([]);
  });
});
