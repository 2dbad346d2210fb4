import { createHmac, timingSafeEqual } from 'node:crypto';
import { config } from '../platform/config.ts';
import { DomainError } from '../platform/errors.ts';
import { linkSecret } from '../platform/secrets.ts';
import type { Channel } from '../store/entities/consent.ts';

/**
 * Signed links that stand in for a login: base64url(JSON payload) "." base64url(HMAC-SHA256). The
 * payload is readable but not forgeable; the purpose is signed with it, so an unsubscribe link cannot
 * be replayed as a preference link.
 */
export type LinkPurpose = 'preferences' | 'unsubscribe' | 'confirm';

export interface LinkPayload {
  customerId: string;
  purpose: LinkPurpose;
  channel?: Channel;
  topic?: string;
  /** Id of what the link confirms (a double opt-in request), kept as proof. */
  ref?: string;
  /** Unsubscribe links in a message: the ledger source (`campaign:…`) the unsubscribe counts against. */
  source?: string;
  /** Expiry, epoch seconds. */
  exp: number;
}

/** How long each kind of link works. Unsubscribe links live long: mail is read months after it is sent. */
export const LINK_LIFETIME_SECONDS: Record<LinkPurpose, number> = {
  preferences: 30 * 24 * 3600,
  unsubscribe: 365 * 24 * 3600,
  confirm: 7 * 24 * 3600,
};

export type LinkProblem = 'malformed' | 'bad_signature' | 'expired' | 'wrong_purpose';

/** A link that cannot be used; `problem` picks the page or problem shown (expired is 410, the rest 400). */
export class InvalidLinkError extends DomainError {
  override name = 'InvalidLinkError';
  readonly status: number;
  readonly title: string;
  constructor(readonly problem: LinkProblem) {
    super(
      problem === 'expired'
        ? 'This link has expired'
        : 'This link is not valid: it was changed or cut short, or is for another page',
    );
    this.status = problem === 'expired' ? 410 : 400;
    this.title = problem === 'expired' ? 'Gone' : 'Invalid request';
  }
}

function mac(secret: Buffer, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

export function signWith(secret: Buffer, payload: LinkPayload): string {
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

const TOKEN = /^[A-Za-z0-9_-]{10,2000}\.[A-Za-z0-9_-]{43}$/;

/** Verifies signature (in constant time), expiry and purpose; throws InvalidLinkError otherwise. */
export function verifyWith(
  secret: Buffer,
  token: string,
  purpose: LinkPurpose,
  nowSeconds = Math.floor(Date.now() / 1000),
): LinkPayload {
  if (!TOKEN.test(token)) throw new InvalidLinkError('malformed');
  const [body = '', signature = ''] = token.split('.');
  // Compared as text, so the spare bits of the last base64 character cannot vary either.
  const expected = Buffer.from(mac(secret, body).toString('base64url'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidLinkError('bad_signature');
  }
  let payload: LinkPayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LinkPayload;
  } catch {
    throw new InvalidLinkError('malformed');
  }
  if (typeof payload?.customerId !== 'string' || typeof payload.exp !== 'number') {
    throw new InvalidLinkError('malformed');
  }
  if (payload.purpose !== purpose) throw new InvalidLinkError('wrong_purpose');
  if (payload.exp <= nowSeconds) throw new InvalidLinkError('expired');
  return payload;
}

export async function signLink(
  input: Omit<LinkPayload, 'exp'>,
  lifetimeSeconds = LINK_LIFETIME_SECONDS[input.purpose],
): Promise<string> {
  const exp = Math.floor(Date.now() / 1000) + lifetimeSeconds;
  return signWith(await linkSecret(), { ...input, exp });
}

export async function verifyLink(token: string, purpose: LinkPurpose): Promise<LinkPayload> {
  return verifyWith(await linkSecret(), token, purpose);
}

function baseUrl(): string {
  const base = config().PUBLIC_BASE_URL;
  if (!base) throw new Error('Invalid configuration: PUBLIC_BASE_URL is not set');
  return base.replace(/\/+$/, '');
}

/** The preference page of a customer, for message templates. */
export async function preferenceUrl(customerId: string): Promise<string> {
  return `${baseUrl()}/v1/preferences/${await signLink({ customerId, purpose: 'preferences' })}`;
}

/**
 * The unsubscribe link of one channel and topic (`*` for the whole channel). The same URL serves the
 * List-Unsubscribe header: a GET shows a confirm page, an RFC 8058 one-click POST unsubscribes at once.
 */
export async function unsubscribeUrl(
  customerId: string,
  channel: Channel,
  topic = '*',
  source?: string,
): Promise<string> {
  const token = await signLink({
    customerId,
    purpose: 'unsubscribe',
    channel,
    topic,
    ...(source && { source }),
  });
  return `${baseUrl()}/v1/unsubscribe/${token}`;
}

export async function confirmUrl(
  customerId: string,
  channel: Channel,
  topic: string,
  ref: string,
): Promise<string> {
  return `${baseUrl()}/v1/consents/confirm/${await signLink({ customerId, purpose: 'confirm', channel, topic, ref })}`;
}

/**
 * A form nonce for the preference page: the render time and an HMAC over it and the link token, so a
 * form posted back must have been rendered by us for this very link, within FORM_LIFETIME.
 */
const FORM_LIFETIME_SECONDS = 2 * 3600;

export function formNonceWith(secret: Buffer, token: string, nowSeconds = Math.floor(Date.now() / 1000)) {
  const t = String(nowSeconds);
  return `${t}.${mac(secret, `form|${token}|${t}`).toString('base64url')}`;
}

export function checkFormNonceWith(
  secret: Buffer,
  token: string,
  nonce: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const [t = '', signature = ''] = nonce.split('.');
  if (!/^\d{1,12}$/.test(t)) return false;
  const age = nowSeconds - Number(t);
  if (age < 0 || age > FORM_LIFETIME_SECONDS) return false;
  const expected = Buffer.from(mac(secret, `form|${token}|${t}`).toString('base64url'));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
