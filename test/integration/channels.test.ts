import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';

const env = useStackEnv();
const apiUrl = inject('apiUrl');
const { channelAdapters } = await import('../../shared/channels/index.ts');
const { sesAdapter, customerTag } = await import('../../shared/channels/ses.ts');
const { webhookAdapter, verifyWebhook } = await import('../../shared/channels/webhook.ts');
const { newId } = await import('../../shared/platform/ids.ts');

const unique = () => randomUUID().slice(0, 8);
const customerId = '01KABCDEFGHJKMNPQRSTVWXYZ0';

interface StoredMail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  headers?: { name: string; value: string }[];
}

async function mailTo(address: string): Promise<StoredMail | undefined> {
  const response = await fetch(`${env.SES_ENDPOINT}/store`);
  const { emails } = (await response.json()) as { emails: StoredMail[] };
  return emails.find((m) => m.destination.to.includes(address));
}

interface Recorded {
  messageId: string;
  address: string;
  channelType: string;
  message: { Body?: string; Title?: string; Data?: Record<string, string>; SenderId?: string };
  addressContext?: Record<string, string>;
}

async function recordedFor(address: string): Promise<Recorded[]> {
  const { messages } = (await (await fetch(`${apiUrl}/_local/messages`)).json()) as { messages: Recorded[] };
  return messages.filter((m) => m.address === address);
}

async function fault(address: string, body: object) {
  const response = await fetch(`${apiUrl}/_local/messages/faults/${encodeURIComponent(address)}`, {
    method: 'PUT',
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

/** A phone number no other test uses: the fictional +1 555 01xx range with random digits after it. */
const phone = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

describe('email through the SES emulator', () => {
  it('sends subject, HTML and text in UTF-8 with the one-click unsubscribe headers', async () => {
    // Prepare
    const to = `mail-${unique()}@example.com`;
    const unsubscribe = `${apiUrl}/v1/unsubscribe/token-${unique()}`;

    // Act
    const result = await channelAdapters().email.send({
      channel: 'email',
      messageId: newId(),
      customerId,
      campaignId: newId(),
      variantId: 'A',
      to,
      subject: '春季促销 🌸 Spring sale',
      html: '<p>您好，张三 😀</p>',
      text: '您好，张三 😀',
      unsubscribe: { url: unsubscribe, mailto: 'mailto:unsubscribe@example.com?subject=unsubscribe' },
    });
    const mail = await mailTo(to);

    // Assess
    expect(result).toMatchObject({
      status: 'accepted',
      retryable: false,
      providerMessageId: mail?.messageId,
    });
    expect(mail).toMatchObject({
      from: 'no-reply@cohort.local',
      subject: '春季促销 🌸 Spring sale',
      body: { html: '<p>您好，张三 😀</p>', text: '您好，张三 😀' },
    });
    expect(mail?.headers).toEqual([
      {
        name: 'List-Unsubscribe',
        value: `<${unsubscribe}>, <mailto:unsubscribe@example.com?subject=unsubscribe>`,
      },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ]);
  });

  it('answers a refused send as a result, not an exception, and sends nothing', async () => {
    // Prepare: the emulator refuses mail without a body
    const to = `refused-${unique()}@example.com`;

    // Act
    const result = await channelAdapters().email.send({
      channel: 'email',
      messageId: newId(),
      customerId,
      to,
      subject: 'x',
    });

    // Assess
    expect(result).toMatchObject({
      status: 'rejected',
      retryable: false,
      detail: expect.stringContaining('(400)'),
    });
    expect(await mailTo(to)).toBeUndefined();
  });

  it('maps an unreachable SES to a retryable failure', async () => {
    // Prepare: a port nothing listens on
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const client = new SESv2Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      maxAttempts: 1,
    });

    // Act
    const result = await sesAdapter({ client }).send({
      channel: 'email',
      messageId: newId(),
      customerId,
      to: 'x@example.com',
      subject: 'x',
      text: 'x',
    });

    // Assess
    expect(result).toMatchObject({ status: 'failed', retryable: true });
  });

  it('tags carry the message, campaign, variant and a customer hash, never the customer id', () => {
    // Act
    const tag = customerTag(customerId);

    // Assess
    expect(tag).toMatch(/^[0-9a-f]{32}$/);
    expect(tag).not.toContain(customerId);
  });
});

describe('SMS and push through the End User Messaging recorder', () => {
  it('sends each message of a batch with its own text, Chinese and emoji intact, and counts parts', async () => {
    // Prepare
    const [a, b] = [phone(), phone()];
    const ids = [newId(), newId()];

    // Act
    const results = await channelAdapters().sms.sendBatch([
      {
        channel: 'sms',
        messageId: ids[0] as string,
        customerId,
        campaignId: 'C1',
        to: a,
        body: '张三，您的订单已发货 🎉',
      },
      { channel: 'sms', messageId: ids[1] as string, customerId, to: b, body: 'Your order shipped' },
    ]);
    const [recordedA, recordedB] = await Promise.all([recordedFor(a), recordedFor(b)]);

    // Assess
    expect(results).toEqual([
      expect.objectContaining({ status: 'accepted', providerMessageId: recordedA[0]?.messageId, parts: 1 }),
      expect.objectContaining({ status: 'accepted', providerMessageId: recordedB[0]?.messageId, parts: 1 }),
    ]);
    expect(recordedA).toHaveLength(1);
    expect(recordedA[0]).toMatchObject({
      channelType: 'SMS',
      message: { Body: '张三，您的订单已发货 🎉' },
      addressContext: { messageId: ids[0], customerId, campaignId: 'C1' },
    });
    expect(recordedB[0]?.message.Body).toBe('Your order shipped');
  });

  it('maps each address result: throttled and temporary failures retry, opt-out and permanent ones do not', async () => {
    // Prepare
    const cases = [
      ['THROTTLED', { status: 'throttled', retryable: true }],
      ['TEMPORARY_FAILURE', { status: 'failed', retryable: true }],
      ['PERMANENT_FAILURE', { status: 'rejected', retryable: false }],
      ['OPT_OUT', { status: 'rejected', retryable: false }],
      ['DUPLICATE', { status: 'rejected', retryable: false }],
      ['UNKNOWN_FAILURE', { status: 'failed', retryable: false }],
    ] as const;
    const numbers = cases.map(() => phone());
    const fine = phone();
    for (const [i, [deliveryStatus]] of cases.entries())
      await fault(numbers[i] as string, { deliveryStatus });

    // Act
    const results = await channelAdapters().sms.sendBatch(
      [...numbers, fine].map((to) => ({
        channel: 'sms' as const,
        messageId: newId(),
        customerId,
        to,
        body: 'hi',
      })),
    );
    const recorded = await Promise.all([...numbers, fine].map(recordedFor));

    // Assess
    expect(results.slice(0, -1)).toEqual(cases.map(([, expected]) => expect.objectContaining(expected)));
    expect(results.at(-1)).toMatchObject({ status: 'accepted' });
    expect(recorded.map((r) => r.length)).toEqual([0, 0, 0, 0, 0, 0, 1]);
  });

  it('a throttled address recovers when the fault runs out, and is then sent once', async () => {
    // Prepare
    const to = phone();
    await fault(to, { deliveryStatus: 'THROTTLED', times: 1 });
    const message = { channel: 'sms' as const, messageId: newId(), customerId, to, body: 'retry me' };

    // Act
    const first = await channelAdapters().sms.send(message);
    const second = await channelAdapters().sms.send(message);

    // Assess
    expect(first).toMatchObject({ status: 'throttled', retryable: true });
    expect(second).toMatchObject({ status: 'accepted' });
    expect(await recordedFor(to)).toHaveLength(1);
  });

  it('sends push with title, body and data per platform', async () => {
    // Prepare
    const token = `device-${unique()}`;

    // Act
    const result = await channelAdapters().push.send({
      channel: 'push',
      messageId: newId(),
      customerId,
      to: token,
      platform: 'GCM',
      title: '已发货 📦',
      body: '订单 A-1',
      data: { orderId: 'A-1' },
    });
    const [recorded] = await recordedFor(token);

    // Assess
    expect(result).toMatchObject({ status: 'accepted', providerMessageId: recorded?.messageId });
    expect(recorded).toMatchObject({
      channelType: 'GCM',
      message: { Title: '已发货 📦', Body: '订单 A-1', Data: { orderId: 'A-1' } },
    });
  });
});

describe('webhooks against a local HTTP server', () => {
  const secret = `whsec_${Buffer.from('a-webhook-secret-of-enough-length').toString('base64')}`;
  const received: { headers: IncomingHttpHeaders; body: string; path: string }[] = [];
  /** Per path: the statuses to answer in turn (the last one repeats); `hang` never answers. */
  const script = new Map<string, (number | 'hang')[]>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), path });
      const plan = script.get(path) ?? [200];
      const next = plan.length > 1 ? plan.shift() : plan[0];
      if (next === 'hang') return;
      res.writeHead(next ?? 200, next === 429 ? { 'retry-after': '0' } : {}).end('{}');
    });
  });
  const listening = new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const adapter = webhookAdapter({ secret: async () => secret, timeoutMs: 300, budgetMs: 3_000 });
  const hook = async (path: string, body: unknown = { 你好: '世界 🌏' }) => ({
    channel: 'webhook' as const,
    messageId: newId(),
    customerId,
    url: `${await listening}${path}`,
    body,
  });

  it('signs id, timestamp and body; the receiver verifies them and Chinese and emoji arrive intact', async () => {
    // Prepare
    const message = await hook(`/ok-${unique()}`);

    // Act
    const result = await adapter.send(message);
    const request = received.find((r) => r.path === new URL(message.url).pathname);

    // Assess
    expect(result).toMatchObject({ status: 'accepted', providerMessageId: message.messageId });
    expect(request?.headers['webhook-id']).toBe(message.messageId);
    expect(JSON.parse(request?.body ?? '')).toEqual({ 你好: '世界 🌏' });
    const headers = {
      id: request?.headers['webhook-id'] as string,
      timestamp: request?.headers['webhook-timestamp'] as string,
      signature: request?.headers['webhook-signature'] as string,
    };
    expect(verifyWebhook(secret, headers, request?.body ?? '')).toBe(true);
    expect(verifyWebhook(secret, headers, `${request?.body} `)).toBe(false);
    expect(
      verifyWebhook('whsec_b3RoZXItc2VjcmV0LW9mLWVub3VnaC1sZW5ndGg=', headers, request?.body ?? ''),
    ).toBe(false);
  });

  it('retries 5xx with the same webhook id until it succeeds', async () => {
    // Prepare
    const path = `/flaky-${unique()}`;
    script.set(path, [503, 500, 200]);
    const message = await hook(path);

    // Act
    const result = await adapter.send(message);
    const attempts = received.filter((r) => r.path === path);

    // Assess
    expect(result).toMatchObject({ status: 'accepted', detail: 'HTTP 200 after 3 attempts' });
    expect(new Set(attempts.map((a) => a.headers['webhook-id']))).toEqual(new Set([message.messageId]));
    expect(attempts).toHaveLength(3);
  });

  it('does not retry a 4xx', async () => {
    // Prepare
    const path = `/refuse-${unique()}`;
    script.set(path, [422]);

    // Act
    const result = await adapter.send(await hook(path));

    // Assess
    expect(result).toMatchObject({
      status: 'rejected',
      retryable: false,
      detail: 'HTTP 422 after 1 attempt',
    });
    expect(received.filter((r) => r.path === path)).toHaveLength(1);
  });

  it('gives up on a receiver that never answers within the budget, as a retryable failure', async () => {
    // Prepare
    const path = `/hang-${unique()}`;
    script.set(path, ['hang']);

    // Act
    const result = await webhookAdapter({ secret: async () => secret, timeoutMs: 200, budgetMs: 700 }).send(
      await hook(path),
    );

    // Assess
    expect(result).toMatchObject({
      status: 'failed',
      retryable: true,
      detail: expect.stringContaining('timed out'),
    });
    expect(received.filter((r) => r.path === path).length).toBeGreaterThanOrEqual(1);
  });

  it('reports a receiver that keeps answering 429 as throttled', async () => {
    // Prepare
    const path = `/busy-${unique()}`;
    script.set(path, [429]);

    // Act: attempts get up to 2 s each (a loaded machine can take more than 200 ms to answer), the
    // retries only what is left of the 600 ms budget.
    const result = await webhookAdapter({ secret: async () => secret, timeoutMs: 2_000, budgetMs: 600 }).send(
      await hook(path),
    );

    // Assess
    expect(result).toMatchObject({ status: 'throttled', retryable: true });
  });

  it('keeps the receiver’s 429 when the retry the budget cut short times out', async () => {
    // Prepare: 429 first, then no answer at all.
    const path = `/busy-then-hang-${unique()}`;
    script.set(path, [429, 'hang']);

    // Act
    const result = await webhookAdapter({
      secret: async () => secret,
      timeoutMs: 5_000,
      budgetMs: 1_500,
    }).send(await hook(path));

    // Assess: the receiver's own answer stands, not the cut-short attempt's timeout.
    expect(result).toMatchObject({
      status: 'throttled',
      retryable: true,
      detail: 'HTTP 429 after 1 attempt',
    });
    expect(received.filter((r) => r.path === path).length).toBe(2);
  });
});
