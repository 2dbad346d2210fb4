import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';
import { scanAll } from '../support/table.ts';
import { waitFor } from '../support/wait.ts';

const env = useStackEnv();
const { upsertCustomer } = await import('../../shared/customers/service.ts');
const { eraseCustomer, erasePage } = await import('../../shared/customers/erasure.ts');
const { customerUpsertSchema } = await import('../../shared/customers/schema.ts');
const { declareTopic, topicsByName } = await import('../../shared/consent/topics.ts');
const { store } = await import('../../shared/store/service.ts');
const { topicPutSchema } = await import('../../shared/consent/schema.ts');
const { setConsents, getConsents, confirmEmailConsents } = await import('../../shared/consent/service.ts');
const { putSuppression, deleteSuppression, hashedAddress } = await import(
  '../../shared/consent/suppression.ts'
);
const { mayContact } = await import('../../shared/consent/gate.ts');
const { verifyLink } = await import('../../shared/consent/links.ts');
const { UnprocessableError } = await import('../../shared/platform/errors.ts');

const actor = { keyId: 'TESTKEY', keyName: 'integration test' };
const unique = () => randomUUID().slice(0, 8);

async function customer(input: object = {}) {
  const result = await upsertCustomer(
    customerUpsertSchema.parse({ email: `c-${unique()}@example.com`, ...input }),
    actor,
  );
  return result.customer;
}

await declareTopic(
  'promotions',
  topicPutSchema.parse({ name: { en: 'Promotions', zh: '促销' }, channels: ['email', 'sms'] }),
);
await declareTopic(
  'service',
  topicPutSchema.parse({
    name: { en: 'Service notices', zh: '服务通知' },
    kind: 'service',
    channels: ['email', 'sms', 'push'],
  }),
);

interface StoredMail {
  destination: { to: string[] };
  subject: string;
  body: { text?: string };
}

async function mailTo(address: string): Promise<StoredMail | undefined> {
  const response = await fetch(`${env.SES_ENDPOINT}/store`);
  const { emails } = (await response.json()) as { emails: StoredMail[] };
  return emails.find((m) => m.destination.to.includes(address));
}

describe('consents and the send gate', () => {
  it('a promotion needs an explicit opt-in; a topic opt-out beats the channel opt-in', async () => {
    // Prepare
    const c = await customer();
    const ask = { customerId: c.id, channel: 'email' as const, topic: 'promotions' };
    const before = await mayContact(ask);

    // Act
    await setConsents(c.id, [{ channel: 'email', topic: '*', status: 'opted_in', source: 'api' }], 'K1');
    const afterChannel = await mayContact(ask);
    await setConsents(
      c.id,
      [{ channel: 'email', topic: 'promotions', status: 'opted_out', source: 'import' }],
      'K1',
    );
    const afterTopic = await mayContact(ask);
    const service = await mayContact({ ...ask, topic: 'service' });

    // Assess
    expect(before).toMatchObject({ allowed: false, reason: 'no_consent' });
    expect(afterChannel).toMatchObject({ allowed: true, reason: 'ok', address: c.email, basis: 'channel' });
    expect(afterTopic).toMatchObject({ allowed: false, reason: 'opted_out' });
    expect(service).toMatchObject({ allowed: true, reason: 'ok' });
  });

  it('keeps the history of every change with source and proof, and a repeated change writes nothing', async () => {
    // Prepare
    const c = await customer();
    const change = {
      channel: 'sms' as const,
      topic: 'promotions',
      status: 'opted_in' as const,
      source: 'api',
      proof: '{"form":"signup-7","ip":"203.0.113.9"}',
    };

    // Act
    const first = await setConsents(c.id, [change], 'K1');
    const again = await setConsents(c.id, [change], 'K1');
    await setConsents(c.id, [{ ...change, status: 'opted_out', source: 'api', proof: 'reply STOP' }], 'K2');
    const consents = await getConsents(c.id);

    // Assess
    expect(first.changed).toBe(1);
    expect(again.changed).toBe(0);
    expect(consents.items).toEqual([
      expect.objectContaining({ channel: 'sms', topic: 'promotions', status: 'opted_out' }),
    ]);
    expect(consents.history.map((h) => [h.status, h.previousStatus, h.source, h.actor, h.proof])).toEqual([
      ['opted_out', 'opted_in', 'api', 'K2', 'reply STOP'],
      ['opted_in', undefined, 'api', 'K1', change.proof],
    ]);
  });

  it('20 concurrent identical opt-outs (a mail provider retrying) all succeed and record one change', async () => {
    // Prepare
    const c = await customer();
    await setConsents(c.id, [{ channel: 'email', topic: '*', status: 'opted_in', source: 'api' }], 'K1');
    const optOut = {
      channel: 'email' as const,
      topic: 'promotions',
      status: 'opted_out' as const,
      source: 'unsubscribe_link',
    };

    // Act
    const results = await Promise.all(
      Array.from({ length: 20 }, () => setConsents(c.id, [optOut], 'unsubscribe link')),
    );
    const consents = await getConsents(c.id);

    // Assess
    expect(results.reduce((sum, r) => sum + r.changed, 0)).toBe(1);
    expect(consents.history.filter((h) => h.topic === 'promotions')).toHaveLength(1);
  });

  it('refuses undeclared topics and topics not offered on the channel, naming the item, writing nothing', async () => {
    // Prepare
    const c = await customer();

    // Act
    const error = await setConsents(
      c.id,
      [
        { channel: 'email', topic: '*', status: 'opted_in', source: 'api' },
        { channel: 'email', topic: `nope-${unique()}`, status: 'opted_in', source: 'api' },
        { channel: 'push', topic: 'promotions', status: 'opted_in', source: 'api' },
      ],
      'K1',
    ).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(UnprocessableError);
    expect((error as InstanceType<typeof UnprocessableError>).errors.map((e) => e.path)).toEqual([
      'consents[1].topic',
      'consents[2].channel',
    ]);
    expect((await getConsents(c.id)).items).toEqual([]);
  });

  it('suppression beats consent, for every customer with the address, until it is lifted', async () => {
    // Prepare
    const c = await customer({ phone: `+86139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}` });
    await setConsents(c.id, [{ channel: 'sms', topic: '*', status: 'opted_in', source: 'api' }], 'K1');

    // Act
    await putSuppression('sms', c.phone as string, { reason: 'complaint', source: 'api' });
    const suppressed = await mayContact({ customerId: c.id, channel: 'sms', topic: 'promotions' });
    await deleteSuppression('sms', c.phone as string);
    const lifted = await mayContact({ customerId: c.id, channel: 'sms', topic: 'promotions' });

    // Assess
    expect(suppressed).toMatchObject({ allowed: false, reason: 'suppressed:complaint' });
    expect(lifted).toMatchObject({ allowed: true, reason: 'ok', address: c.phone });
  });

  it('push and webhook addresses come from the caller; without one there is no address', async () => {
    // Prepare
    const c = await customer();
    await setConsents(c.id, [{ channel: 'push', topic: '*', status: 'opted_in', source: 'api' }], 'K1');

    // Act
    const without = await mayContact({ customerId: c.id, channel: 'push', topic: 'service' });
    const withToken = await mayContact({
      customerId: c.id,
      channel: 'push',
      topic: 'service',
      address: 'fcm-token-0123456789',
    });

    // Assess
    expect(without).toMatchObject({ allowed: false, reason: 'no_address' });
    expect(withToken).toMatchObject({ allowed: true, address: 'fcm-token-0123456789' });
  });
});

describe('double opt-in', () => {
  it('an email opt-in waits for the click on the link mailed through SES, then holds with proof', async () => {
    // Prepare
    const c = await customer({ locale: 'zh-CN' });
    const ask = { customerId: c.id, channel: 'email' as const, topic: 'promotions' };

    // Act
    const result = await setConsents(
      c.id,
      [{ channel: 'email', topic: 'promotions', status: 'opted_in', source: 'api' }],
      'K1',
      { doubleOptIn: true },
    );
    const pending = await mayContact(ask);
    const mail = await waitFor(() => mailTo(c.email as string), 'the confirmation mail');
    const url = /https?:\/\/\S+\/v1\/consents\/confirm\/(\S+)/.exec(mail.body.text ?? '');
    const link = await verifyLink(url?.[1] ?? '', 'confirm');
    const confirmed = await confirmEmailConsents(c.id, link.ref ?? '', {
      ip: '198.51.100.7',
      userAgent: 'test',
    });
    const after = await mayContact(ask);
    const again = await confirmEmailConsents(c.id, link.ref ?? '', { ip: '198.51.100.7' });

    // Assess
    expect(result.confirmationSent).toBe(true);
    expect(pending).toMatchObject({ allowed: false, reason: 'pending_confirmation' });
    expect(mail.subject).toBe('请确认您的订阅');
    expect(url?.[0]?.startsWith(env.PUBLIC_BASE_URL as string)).toBe(true);
    expect(confirmed).toBe(1);
    expect(after).toMatchObject({ allowed: true, reason: 'ok', basis: 'topic' });
    expect(again).toBe(0);
    const item = (await getConsents(c.id)).items[0];
    expect(item).toMatchObject({ status: 'opted_in', source: 'double_opt_in' });
    expect(JSON.parse(item?.proof ?? '{}')).toMatchObject({ confirmationId: link.ref, ip: '198.51.100.7' });
  });
});

describe('erasure', () => {
  it('removes consents, their history and preferences, and keeps a bounce only as a hash', async () => {
    // Prepare
    const c = await customer({ phone: `+86137${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}` });
    await setConsents(c.id, [{ channel: 'email', topic: '*', status: 'opted_in', source: 'api' }], 'K1');
    await putSuppression('email', c.email as string, {
      reason: 'hard_bounce',
      source: 'ses',
      detail: 'mailbox unknown',
    });
    await putSuppression('sms', c.phone as string, { reason: 'manual', source: 'api' });

    // Act
    await eraseCustomer(c.id, actor);
    await waitFor(async () => ((await erasePage(c.id)) === 'done' ? true : undefined), 'the erasure');
    const decision = await mayContact({ customerId: c.id, channel: 'email', topic: 'promotions' });
    const items = await scanAll();
    const other = await customer({ email: c.email });
    const reused = await mayContact({ customerId: other.id, channel: 'email', topic: 'service' });

    // Assess
    expect(decision).toMatchObject({ allowed: false, reason: 'customer_erased' });
    expect(items.filter((i) => i.pk === `CUST#${c.id}` && String(i.sk).startsWith('CONSENT'))).toEqual([]);
    expect(JSON.stringify(items)).not.toContain(c.email);
    expect(JSON.stringify(items)).not.toContain(c.phone);
    const kept = items.find((i) => i.pk === `SUPP#email#${hashedAddress('email', c.email as string)}`);
    expect(kept).toMatchObject({ reason: 'hard_bounce' });
    expect(kept?.detail).toBeUndefined();
    expect(reused).toMatchObject({ allowed: false, reason: 'suppressed:hard_bounce' });
  });
});

describe('topics declared by another process', () => {
  it('are known to the gate as soon as it asks for them by name, though its list is cached', async () => {
    // Prepare: this process has read the list; another one (the API) then declares a topic, which
    // clears that process's cache, not this one's
    const c = await customer();
    await setConsents(c.id, [{ channel: 'email', topic: '*', status: 'opted_in', source: 'api' }], 'K1');
    await topicsByName();
    const topic = `late-${unique()}`;
    const now = new Date().toISOString();
    await store()
      .entities.topic.put({
        topic,
        nameEn: 'Late',
        nameZh: '迟到',
        kind: 'service',
        channels: ['email'],
        defaultStatus: 'opted_in',
        createdAt: now,
        updatedAt: now,
      })
      .go();
    // A cached list younger than a second is trusted even for a missing name.
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    // Act
    const decision = await mayContact({ customerId: c.id, channel: 'email', topic });

    // Assess
    expect(decision).toMatchObject({ allowed: true });
  });
});
