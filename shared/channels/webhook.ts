import { createHmac, timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pMap from 'p-map';
import { sleep as defaultSleep } from '../platform/backoff.ts';
import { config } from '../platform/config.ts';
import { result } from './errors.ts';
import type { ChannelAdapter, SendResult, WebhookMessage } from './types.ts';

/**
 * Webhooks (WeChat/WeCom bridges, a CRM, anything with an HTTPS endpoint), signed the Standard Webhooks
 * way: `webhook-id` (Cohort's message id, the same on every retry, so receivers dedupe on it),
 * `webhook-timestamp` (seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 over id.timestamp.body>`.
 * Each attempt has a timeout; 5xx, 429 and network failures are retried with jittered back-off while
 * the message's time budget lasts; any other 4xx is the receiver saying no, and is not retried.
 */

export interface WebhookAdapterOptions {
  /** The signing secret by name (undefined: the default secret). */
  secret?: (name: string | undefined) => Promise<string>;
  timeoutMs?: number;
  /** Time all attempts of one message may take, back-off included. */
  budgetMs?: number;
  concurrency?: number;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** `whsec_<base64>` secrets carry their key bytes; any other string is used as UTF-8. */
export function secretKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret))
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/**
 * What a receiver does: recompute the signature over the raw body and compare in constant time, and
 * refuse timestamps too far from now (replays). Exported for receivers written in TypeScript and tests.
 */
export function verifyWebhook(
  secret: string,
  headers: { id: string | undefined; timestamp: string | undefined; signature: string | undefined },
  body: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(webhookSignature(secret, id, Number(timestamp), body));
  // The header may list several space-separated signatures while a secret is being rotated.
  return signature.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const secretCache = new Map<string, { value: Promise<string>; until: number }>();
const SECRET_TTL_MS = 5 * 60_000;

/**
 * The default secret comes from WEBHOOK_SECRET (local stack) or the Secrets Manager secret WEBHOOK_SECRET_ARN;
 * a named one from the secret `cohort/<stage>/webhooks/<name>`. Cached for minutes, so a rotation lands
 * without a deploy; never logged.
 */
export function settingsSecret(name: string | undefined): Promise<string> {
  const c = config();
  if (!name && c.WEBHOOK_SECRET) return Promise.resolve(c.WEBHOOK_SECRET);
  const secretId = name ? `cohort/${c.STAGE}/webhooks/${name}` : c.WEBHOOK_SECRET_ARN;
  if (!secretId) {
    return Promise.reject(
      new Error('Invalid configuration: neither WEBHOOK_SECRET nor WEBHOOK_SECRET_ARN is set'),
    );
  }
  const cached = secretCache.get(secretId);
  if (cached && cached.until > Date.now()) return cached.value;
  const value = (async () => {
    const client = new SecretsManagerClient(c.AWS_REGION ? { region: c.AWS_REGION } : {});
    try {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (!SecretString || SecretString.length < 24)
        throw new Error('The webhook secret is empty or too short');
      return SecretString;
    } finally {
      client.destroy();
    }
  })();
  value.catch(() => secretCache.delete(secretId));
  secretCache.set(secretId, { value, until: Date.now() + SECRET_TTL_MS });
  return value;
}

/** Reserved: the adapter sets these, a message cannot. */
const reserved = new Set([
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-type',
  'content-length',
  'host',
]);

export function webhookAdapter(options: WebhookAdapterOptions = {}): ChannelAdapter<'webhook'> {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const secretOf = options.secret ?? settingsSecret;

  async function attempt(message: WebhookMessage, body: string, secret: string, timeoutMs: number) {
    const timestamp = Math.floor(now() / 1000);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      if (!reserved.has(name.toLowerCase())) headers[name] = value;
    }
    Object.assign(headers, {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Cohort-Webhooks/1',
      'webhook-id': message.messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': webhookSignature(secret, message.messageId, timestamp, body),
    });
    return doFetch(message.url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  async function send(message: WebhookMessage): Promise<SendResult> {
    let body: string;
    try {
      body = JSON.stringify(message.body ?? null);
    } catch {
      return result.rejected('The body is not JSON-serializable');
    }
    let secret: string;
    try {
      secret = await secretOf(message.secretName);
    } catch {
      return result.failed('The webhook signing secret could not be read', true);
    }
    const c = config();
    const timeoutMs = options.timeoutMs ?? c.WEBHOOK_TIMEOUT_MS;
    const deadline = now() + (options.budgetMs ?? c.WEBHOOK_RETRY_BUDGET_MS);
    let last: SendResult = result.failed('not attempted', true);
    for (let n = 0; ; n++) {
      const remaining = deadline - now();
      if (n > 0 && remaining <= 0) break;
      const attemptMs = n === 0 ? timeoutMs : Math.min(timeoutMs, remaining);
      try {
        const response = await attempt(message, body, secret, attemptMs);
        // The body is not needed; reading it frees the connection for the next request.
        await response.arrayBuffer().catch(() => undefined);
        const status = response.status;
        const detail = `HTTP ${status} after ${n + 1} attempt${n === 0 ? '' : 's'}`;
        if (status >= 200 && status < 300) {
          return { status: 'accepted', retryable: false, detail, providerMessageId: message.messageId };
        }
        if (status === 429) {
          const retryAfter = Number(response.headers.get('retry-after'));
          last = result.throttled(
            detail,
            Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
          );
        } else if (status >= 500 || status === 408) {
          last = result.failed(detail, true);
        } else if (status >= 300 && status < 400) {
          // Redirects are not followed: the signature covers a URL the operator chose, not another one.
          return result.rejected(`${detail}: redirects are not followed`);
        } else {
          return result.rejected(detail);
        }
      } catch (error) {
        const timedOut =
          error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
        // A last attempt that the budget cut short says less than the receiver's own earlier answer
        // (a 429 with its Retry-After, a 503), so that answer stands.
        // (Only retries are cut short: the first attempt always has the full timeout.)
        if (timedOut && attemptMs < timeoutMs) break;
        last = result.failed(
          `${timedOut ? 'timed out' : 'network error'} after ${n + 1} attempt${n === 0 ? '' : 's'}`,
          true,
        );
      }
      const backoff = Math.min(8_000, 250 * 2 ** n) * (0.5 + Math.random() / 2);
      const wait = Math.max(last.retryAfterMs ?? 0, backoff);
      if (now() + wait >= deadline) break;
      await sleep(wait);
    }
    return last;
  }

  const concurrency = options.concurrency ?? 16;
  return {
    channel: 'webhook',
    maxBatch: 50,
    send,
    sendBatch: (messages) => pMap(messages, (m) => send(m as WebhookMessage), { concurrency }),
  };
}
