import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { call } from '../support/api.ts';
import { useStackEnv } from '../support/stack-env.ts';

useStackEnv();
const { preferenceUrl, unsubscribeUrl, signLink } = await import('../../shared/consent/links.ts');
const { mayContact } = await import('../../shared/consent/gate.ts');

const base = inject('apiUrl');
const unique = () => randomUUID().slice(0, 8);

async function newCustomer(extra: object = {}) {
  const created = await call('POST', '/v1/customers', {
    body: { email: `e2e-${unique()}@example.com`, ...extra },
  });
  expect(created.status).toBe(201);
  return created.body as { id: string; email: string; phone?: string };
}

async function topic(name: string, body: object) {
  const answer = await call('PUT', `/v1/topics/${name}`, { body });
  expect([200, 201]).toContain(answer.status);
}

await topic('newsletter', { name: { en: 'Newsletter', zh: '新闻简报' }, channels: ['email', 'sms'] });

describe('topics, consents and suppressions over HTTP', () => {
  it('declares and lists topics, with the default consent of their kind', async () => {
    // Act
    await topic('orders', {
      name: { en: 'Orders', zh: '订单' },
      kind: 'service',
      channels: ['email', 'push'],
    });
    const list = await call('GET', '/v1/topics');

    // Assess
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ topic: 'orders', kind: 'service', defaultStatus: 'opted_in' }),
        expect.objectContaining({ topic: 'newsletter', kind: 'marketing', defaultStatus: 'opted_out' }),
      ]),
    );
  });

  it('answers bad topics, consents and suppressions with 4xx naming the field, writing nothing', async () => {
    // Prepare
    const c = await newCustomer();

    // Act
    const badTopic = await call('PUT', '/v1/topics/weekly', {
      body: { name: { en: 'x' }, channels: ['fax'] },
    });
    const badTopicName = await call('PUT', '/v1/topics/Bad Name', {
      body: { name: { en: 'x', zh: 'x' }, channels: ['email'] },
    });
    const badConsents = await call('PUT', `/v1/customers/${c.id}/consents`, {
      body: {
        consents: [
          { channel: 'email', status: 'maybe' },
          { channel: 'pigeon', status: 'opted_in', extra: 1 },
        ],
      },
    });
    const undeclared = await call('PUT', `/v1/customers/${c.id}/consents`, {
      body: { consents: [{ channel: 'email', topic: `ghost-${unique()}`, status: 'opted_in' }] },
    });
    const badAddress = await call('PUT', '/v1/suppressions/email/not-an-email', {
      body: { reason: 'manual' },
    });
    const badReason = await call('PUT', `/v1/suppressions/email/${encodeURIComponent(c.email)}`, {
      body: { reason: 'bored' },
    });
    const stored = await call('GET', `/v1/customers/${c.id}/consents`);

    // Assess
    expect(badTopic.status).toBe(400);
    expect(badTopic.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'channels[0]',
      'name.zh',
    ]);
    expect(badTopicName.status).toBe(400);
    expect(badTopicName.body.errors[0].path).toBe('path.topic');
    expect(badConsents.status).toBe(400);
    expect(badConsents.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'consents[0].status',
      'consents[1].channel',
      'consents[1].extra',
    ]);
    expect(undeclared.status).toBe(422);
    expect(undeclared.body.errors[0].path).toBe('consents[0].topic');
    expect(badAddress.status).toBe(400);
    expect(badAddress.body.errors).toEqual([
      { path: 'path.address', message: 'must be a valid email address' },
    ]);
    expect(badReason.status).toBe(400);
    expect(badReason.body.errors[0].path).toBe('reason');
    expect(stored.body.items).toEqual([]);
  });

  it('records consents, suppresses and lifts an address by its normalized form', async () => {
    // Prepare
    const c = await newCustomer({ phone: `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}` });

    // Act
    const put = await call('PUT', `/v1/customers/${c.id}/consents`, {
      body: {
        consents: [
          {
            channel: 'sms',
            status: 'opted_in',
            source: 'import',
            proof: { file: 'crm-2026-11.csv', row: 12 },
          },
          { channel: 'sms', topic: 'newsletter', status: 'opted_out' },
        ],
      },
    });
    const got = await call('GET', `/v1/customers/${c.id}/consents`);
    const local = (c.phone ?? '').replace('+86', '');
    const suppressed = await call('PUT', `/v1/suppressions/sms/${local}`, {
      body: { reason: 'manual', detail: '客户要求' },
    });
    const read = await call('GET', `/v1/suppressions/sms/${encodeURIComponent(c.phone ?? '')}`);
    const lifted = await call('DELETE', `/v1/suppressions/sms/${local}`);
    const gone = await call('GET', `/v1/suppressions/sms/${local}`);

    // Assess
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ changed: 2, confirmationSent: false });
    expect(got.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          channel: 'sms',
          topic: '*',
          status: 'opted_in',
          source: 'import',
          proof: '{"file":"crm-2026-11.csv","row":12}',
        }),
        expect.objectContaining({ channel: 'sms', topic: 'newsletter', status: 'opted_out', source: 'api' }),
      ]),
    );
    expect(got.body.history).toHaveLength(2);
    expect(suppressed.status).toBe(201);
    expect(read.body).toMatchObject({
      channel: 'sms',
      address: c.phone,
      reason: 'manual',
      detail: '客户要求',
    });
    expect(lifted.status).toBe(204);
    expect(gone.status).toBe(404);
  });
});

describe('signed links over HTTP', () => {
  it('serves the preference page as HTML in the customer’s language, and a tampered link as a 400 page or problem', async () => {
    // Prepare
    const c = await newCustomer({ name: '<script>alert(1)</script>王芳', locale: 'zh-CN' });
    const url = await preferenceUrl(c.id);
    const token = url.slice(url.lastIndexOf('/') + 1);
    const [body = '', signature = ''] = token.split('.');
    const tampered = url.replace(token, `${body}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`);

    // Act
    const page = await fetch(url);
    const html = await page.text();
    const english = await (await fetch(`${url}?lang=en`)).text();
    const bad = await fetch(tampered, { headers: { 'accept-language': 'zh-CN' } });
    const badHtml = await bad.text();
    const badJson = await fetch(tampered, { headers: { accept: 'application/json' } });

    // Assess
    expect(url.startsWith(`${base}/v1/preferences/`)).toBe(true);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;王芳');
    expect(html).not.toContain('<script>');
    expect(english).toContain('<html lang="en">');
    expect(bad.status).toBe(400);
    expect(badHtml).toContain('此链接无效');
    expect(badJson.status).toBe(400);
    expect(badJson.headers.get('content-type')).toBe('application/problem+json');
  });

  it('an expired link answers 410, a link for another purpose 400', async () => {
    // Prepare
    const c = await newCustomer();
    const expired = await signLink({ customerId: c.id, purpose: 'preferences' }, -1);
    const unsubscribe = await signLink({
      customerId: c.id,
      purpose: 'unsubscribe',
      channel: 'email',
      topic: '*',
    });

    // Act
    const old = await fetch(`${base}/v1/preferences/${expired}`);
    const wrong = await fetch(`${base}/v1/preferences/${unsubscribe}`);

    // Assess
    expect(old.status).toBe(410);
    expect(await old.text()).toContain('This link has expired');
    expect(wrong.status).toBe(400);
  });

  it('a GET of an unsubscribe link changes nothing; the one-click POST opts out at once, and again idempotently', async () => {
    // Prepare
    const c = await newCustomer();
    await call('PUT', `/v1/customers/${c.id}/consents`, {
      body: { consents: [{ channel: 'email', status: 'opted_in' }] },
    });
    const url = await unsubscribeUrl(c.id, 'email', 'newsletter');
    const ask = { customerId: c.id, channel: 'email' as const, topic: 'newsletter' };

    // Act
    const page = await fetch(url);
    const pageHtml = await page.text();
    const afterGet = await mayContact(ask);
    const post = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
    const first = await post();
    const afterPost = await mayContact(ask);
    const second = await post();
    const history = await call('GET', `/v1/customers/${c.id}/consents`);
    const missingBody = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'confirm=yes',
    });

    // Assess
    expect(page.status).toBe(200);
    expect(pageHtml).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(afterGet).toMatchObject({ allowed: true });
    expect(first.status).toBe(200);
    expect(afterPost).toMatchObject({ allowed: false, reason: 'opted_out' });
    expect(second.status).toBe(200);
    const unsubscribes = history.body.history.filter(
      (h: { source: string }) => h.source === 'unsubscribe_link',
    );
    expect(unsubscribes).toHaveLength(1);
    expect(missingBody.status).toBe(400);
    const problem = (await missingBody.json()) as { errors: { path: string }[] };
    expect(problem.errors[0]?.path).toBe('List-Unsubscribe');
  });

  it('accepts the one-click POST as multipart/form-data too', async () => {
    // Prepare
    const c = await newCustomer();
    const url = await unsubscribeUrl(c.id, 'email');
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');

    // Act
    const answer = await fetch(url, { method: 'POST', body: form });
    const decision = await mayContact({ customerId: c.id, channel: 'email' });

    // Assess
    expect(answer.status).toBe(200);
    expect(decision).toMatchObject({ allowed: false, reason: 'opted_out' });
  });
});
