import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';

useStackEnv();
const { upsertCustomer } = await import('../../shared/customers/service.ts');
const { customerUpsertSchema } = await import('../../shared/customers/schema.ts');
const { declareTopic } = await import('../../shared/consent/topics.ts');
const { topicPutSchema } = await import('../../shared/consent/schema.ts');
const { setConsents } = await import('../../shared/consent/service.ts');
const { sendTransactional, transactionalSourceId } = await import('../../shared/delivery/messages.ts');
const { messageSendSchema } = await import('../../shared/delivery/schema.ts');
const { listDeliveries } = await import('../../shared/delivery/ledger.ts');
const { ServiceUnavailableError, UnprocessableError } = await import('../../shared/platform/errors.ts');
type Adapters = import('../../shared/channels/types.ts').ChannelAdapters;
type Outbound = import('../../shared/channels/types.ts').OutboundMessage;
type Result = import('../../shared/channels/types.ts').SendResult;

const actor = { keyId: 'TESTKEY', keyName: 'integration test' };
const unique = () => randomUUID().slice(0, 8);

/** A channel that records what it is given and answers as told: the local recorder's role, in process. */
function recorder(
  answer: (m: Outbound) => Result = () => ({
    status: 'accepted',
    retryable: false,
    detail: 'ok',
    providerMessageId: `p-${unique()}`,
  }),
) {
  const sent: Outbound[] = [];
  const adapter = (channel: string) => ({
    channel,
    maxBatch: 1,
    async send(m: Outbound) {
      sent.push(m);
      return answer(m);
    },
    async sendBatch(ms: Outbound[]) {
      return Promise.all(ms.map((m) => this.send(m)));
    },
  });
  const adapters = {
    email: adapter('email'),
    sms: adapter('sms'),
    push: adapter('push'),
    webhook: adapter('webhook'),
  } as unknown as Adapters;
  return { sent, adapters: () => adapters };
}

await declareTopic(
  'orders-tx',
  topicPutSchema.parse({
    name: { en: 'Orders', zh: '订单' },
    kind: 'service',
    channels: ['email', 'sms', 'push'],
  }),
);
await declareTopic(
  'promos-tx',
  topicPutSchema.parse({ name: { en: 'Promotions', zh: '促销' }, channels: ['email'] }),
);

async function customer() {
  const { customer: c } = await upsertCustomer(
    customerUpsertSchema.parse({
      email: `t-${unique()}@example.com`,
      name: '王芳',
      locale: 'zh-CN',
      timeZone: 'Asia/Shanghai',
    }),
    actor,
  );
  return c;
}

const template = {
  name: 'order-shipped',
  defaultLocale: 'en',
  variables: { 'event.orderId': { type: 'string', required: true } },
  content: {
    email: { subject: 'Order {{ event.orderId }} shipped', text: 'Hello {{ customer.name }}' },
    sms: { body: 'Order {{ event.orderId }} shipped' },
  },
  locales: {
    zh: { email: { subject: '订单 {{ event.orderId }} 已发货', text: '{{ customer.name }}，您好' } },
  },
};

const input = (customerId: string, extra: object = {}) =>
  messageSendSchema.parse({
    customerId,
    topic: 'orders-tx',
    channels: ['email'],
    template,
    data: { orderId: 'SO-1' },
    ...extra,
  });

describe('transactional sends through the gate', () => {
  it('renders in the customer’s locale, sends once per Idempotency-Key under 10 concurrent retries', async () => {
    // Prepare
    const c = await customer();
    const channel = recorder();
    const sourceId = transactionalSourceId('KEY1', `order-SO-1-${unique()}`);

    // Act
    const results = await Promise.all(
      Array.from({ length: 10 }, () => sendTransactional(input(c.id), sourceId, channel.adapters)),
    );
    const later = await sendTransactional(input(c.id), sourceId, channel.adapters);
    const ledger = await listDeliveries(c.id, { source: `transactional:${sourceId}`, limit: 10 });

    // Assess
    expect(channel.sent).toHaveLength(1);
    expect(channel.sent[0]).toMatchObject({ channel: 'email', to: c.email, subject: '订单 SO-1 已发货' });
    expect(results.filter((r) => r.status === 'sent')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(9);
    expect(later.status).toBe('duplicate');
    expect(ledger.items).toEqual([
      expect.objectContaining({
        channel: 'email',
        state: 'sent',
        providerMessageId: expect.any(String),
        createdAt: expect.any(String),
      }),
    ]);
  });

  it('consent still applies: an opt-out of the service topic is recorded as the reason', async () => {
    // Prepare
    const c = await customer();
    await setConsents(
      c.id,
      [{ channel: 'email', topic: 'orders-tx', status: 'opted_out', source: 'api' }],
      'K1',
    );
    const channel = recorder();

    // Act
    const result = await sendTransactional(
      input(c.id, { channels: ['sms', 'email'] }),
      transactionalSourceId('K', unique()),
      channel.adapters,
    );

    // Assess
    expect(channel.sent).toHaveLength(0);
    expect(result).toMatchObject({
      status: 'not_sent',
      skipped: [
        { channel: 'sms', reason: 'no_address' },
        { channel: 'email', reason: 'opted_out' },
      ],
    });
    const ledger = await listDeliveries(c.id, { source: result.source, limit: 10 });
    expect(ledger.items.map((e) => [e.channel, e.state, e.reason]).sort()).toEqual([
      ['email', 'skipped', 'opted_out'],
      ['sms', 'skipped', 'no_address'],
    ]);
  });

  it('a throttled channel answers 503 and gives the message back; the retry sends it', async () => {
    // Prepare
    const c = await customer();
    let throttle = true;
    const channel = recorder(() =>
      throttle
        ? { status: 'throttled', retryable: true, detail: 'slow down', retryAfterMs: 2000 }
        : { status: 'accepted', retryable: false, detail: 'ok', providerMessageId: 'p-2' },
    );
    const sourceId = transactionalSourceId('K', unique());

    // Act
    const first = await sendTransactional(input(c.id), sourceId, channel.adapters).catch((e: unknown) => e);
    throttle = false;
    const retry = await sendTransactional(input(c.id), sourceId, channel.adapters);

    // Assess
    expect(first).toBeInstanceOf(ServiceUnavailableError);
    expect((first as InstanceType<typeof ServiceUnavailableError>).headers['Retry-After']).toBe('2');
    expect(retry).toMatchObject({ status: 'sent', providerMessageId: 'p-2' });
    expect(channel.sent).toHaveLength(2);
  });

  it('refuses a marketing topic, an unknown customer and a template without the channel, writing nothing', async () => {
    // Prepare
    const c = await customer();
    const channel = recorder();
    const sourceId = transactionalSourceId('K', unique());

    // Act
    const marketing = await sendTransactional(
      input(c.id, { topic: 'promos-tx' }),
      sourceId,
      channel.adapters,
    ).catch((e: unknown) => e);
    const unknown = await sendTransactional(
      input('01ARZ3NDEKTSV4RRFFQ69G5FAV'),
      sourceId,
      channel.adapters,
    ).catch((e: unknown) => e);
    const noPush = await sendTransactional(
      input(c.id, { channels: ['push'] }),
      sourceId,
      channel.adapters,
    ).catch((e: unknown) => e);
    const ledger = await listDeliveries(c.id, { limit: 10 });

    // Assess
    expect(marketing).toBeInstanceOf(UnprocessableError);
    expect((marketing as InstanceType<typeof UnprocessableError>).errors[0]?.path).toBe('topic');
    expect((unknown as InstanceType<typeof UnprocessableError>).errors[0]?.path).toBe('customerId');
    expect((noPush as InstanceType<typeof UnprocessableError>).errors[0]?.path).toBe('channels[0]');
    expect(ledger.items).toEqual([]);
    expect(channel.sent).toHaveLength(0);
  });
});
