import { createHash } from 'node:crypto';
import type { EntityItem } from 'electrodb';
import { normalizePhone } from '../customers/normalize.ts';
import { emailInput } from '../customers/schema.ts';
import { config } from '../platform/config.ts';
import { NotFoundError, ValidationError } from '../platform/errors.ts';
import type { Channel } from '../store/entities/consent.ts';
import type { Suppression, SuppressionReason } from '../store/entities/suppression.ts';
import { store } from '../store/service.ts';

/**
 * The global suppression list: addresses nothing is sent to, on any topic, whatever the consents say.
 * Keyed by channel and normalized address, so a bounce recorded for an email stops every customer who
 * has that email.
 */
export type SuppressionItem = EntityItem<Suppression>;

/** Reasons that outlive an erasure: the address itself is bad or hostile, whoever had it. */
const KEPT_AFTER_ERASURE: ReadonlySet<SuppressionReason> = new Set(['hard_bounce', 'complaint']);

/** The same address written the way the profile stores it: lower-cased email, E.164 phone. */
export function normalizeAddress(channel: Channel, raw: string, path = 'path.address'): string {
  if (channel === 'sms') return normalizePhone(raw.trim(), config().DEFAULT_PHONE_REGION, path);
  return normalizeNonPhoneAddress(channel, raw, path);
}

/**
 * normalizeAddress for every channel but SMS. The send path calls this one (its SMS addresses are the
 * profile's, stored in E.164 already), so its bundles do without the phone metadata (190 KB).
 */
export function normalizeNonPhoneAddress(
  channel: Exclude<Channel, 'sms'>,
  raw: string,
  path = 'path.address',
): string {
  const value = raw.trim();
  if (channel === 'email') {
    const parsed = emailInput.safeParse(value);
    if (!parsed.success) throw ValidationError.field(path, 'must be a valid email address');
    return parsed.data;
  }
  if (channel === 'webhook') {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw ValidationError.field(path, 'must be an http(s) URL');
    }
    return url.toString();
  }
  if (!/^[\x21-\x7e]{8,4096}$/.test(value)) throw ValidationError.field(path, 'must be a push token');
  return value;
}

/**
 * The pseudonymous form an erased customer's bounced address is kept under: it still matches the address
 * (so it is not mailed again) but does not show it. Unsalted on purpose, so any later owner of the address
 * hashes to it; that also means a guessed address can be confirmed, which is why only bounces and
 * complaints are kept this way.
 */
export function hashedAddress(channel: Channel, address: string): string {
  return `sha256:${createHash('sha256').update(`${channel}:${address}`).digest('hex')}`;
}

function toView(item: SuppressionItem) {
  return {
    channel: item.channel,
    address: item.address,
    reason: item.reason,
    source: item.source,
    ...(item.detail !== undefined && { detail: item.detail }),
    createdAt: item.createdAt,
  };
}

/**
 * The items of a batch read, or an error when DynamoDB left keys unprocessed (it does when throttling):
 * the gate must fail closed, never read a missing suppression or opt-out as "none".
 */
export function allRead<T>(result: { data: T[]; unprocessed: unknown[] }, what: string): T[] {
  if (result.unprocessed.length > 0) throw new Error(`DynamoDB left ${what} unread; retry`);
  return result.data;
}

/** The entry that stops this address, plain or kept as a hash after an erasure; read consistently. */
export async function suppressionOf(channel: Channel, address: string): Promise<SuppressionItem | undefined> {
  const result = await store()
    .entities.suppression.get([
      { channel, address },
      { channel, address: hashedAddress(channel, address) },
    ])
    .go({ consistent: true });
  return allRead(result, 'suppression entries')[0];
}

/**
 * The entries that stop any of these addresses (plain or hashed), in one consistent batch read, keyed by
 * `<channel>#<address>` as asked.
 */
export async function suppressionsOf(
  wanted: { channel: Channel; address: string }[],
): Promise<Map<string, SuppressionItem>> {
  if (wanted.length === 0) return new Map();
  const result = await store().entities.suppression.get(suppressionKeys(wanted)).go({ consistent: true });
  return matchSuppressions(wanted, allRead(result, 'suppression entries'));
}

/** The keys that may stop these addresses: each plain and as the hash an erasure leaves. */
export function suppressionKeys(wanted: readonly { channel: Channel; address: string }[]) {
  return wanted.flatMap(({ channel, address }) => [
    { channel, address },
    { channel, address: hashedAddress(channel, address) },
  ]);
}

/** The entries read for `suppressionKeys(wanted)`, keyed by `<channel>#<address>` as asked. */
export function matchSuppressions(
  wanted: readonly { channel: Channel; address: string }[],
  items: readonly SuppressionItem[],
): Map<string, SuppressionItem> {
  const found = new Map<string, SuppressionItem>();
  for (const { channel, address } of wanted) {
    const hashed = hashedAddress(channel, address);
    const item = items.find((i) => i.channel === channel && (i.address === address || i.address === hashed));
    if (item) found.set(`${channel}#${address}`, item);
  }
  return found;
}

export async function getSuppression(channel: Channel, rawAddress: string) {
  const address = normalizeAddress(channel, rawAddress);
  const item = await suppressionOf(channel, address);
  if (!item) throw new NotFoundError(`${address} is not suppressed on ${channel}`);
  return toView(item);
}

type SuppressionInput = { reason: SuppressionReason; source: string; detail?: string | undefined };

/** Adds or updates an entry; the first createdAt is kept, so a repeated bounce does not reset history. */
export async function putSuppression(channel: Channel, rawAddress: string, input: SuppressionInput) {
  return recordSuppression(channel, normalizeAddress(channel, rawAddress), input);
}

/**
 * putSuppression for an address a provider reports back: one Cohort sent to, so already in the stored
 * form. A phone is checked as E.164 rather than parsed again, which keeps the phone metadata (190 KB)
 * out of the send and feedback bundles. Throws a ValidationError for an address that is not.
 */
export async function suppressReported(channel: Channel, address: string, input: SuppressionInput) {
  if (channel === 'sms' && !/^\+[1-9]\d{6,14}$/.test(address)) {
    throw ValidationError.field('address', 'is not an E.164 phone number');
  }
  const stored = channel === 'sms' ? address : normalizeNonPhoneAddress(channel, address);
  return recordSuppression(channel, stored, input);
}

async function recordSuppression(channel: Channel, address: string, input: SuppressionInput) {
  const s = store().entities.suppression;
  const existing = await s.get({ channel, address }).go({ consistent: true });
  const item: SuppressionItem = {
    channel,
    address,
    reason: input.reason,
    source: input.source,
    ...(input.detail !== undefined && { detail: input.detail }),
    createdAt: existing.data?.createdAt ?? new Date().toISOString(),
  };
  await s.put(item).go();
  return { suppression: toView(item), created: !existing.data };
}

export async function deleteSuppression(channel: Channel, rawAddress: string): Promise<void> {
  const address = normalizeAddress(channel, rawAddress);
  const s = store().entities.suppression;
  const keys = [
    { channel, address },
    { channel, address: hashedAddress(channel, address) },
  ];
  const existing = allRead(await s.get(keys).go({ consistent: true }), 'suppression entries');
  if (existing.length === 0) throw new NotFoundError(`${address} is not suppressed on ${channel}`);
  await s.delete(keys).go();
}

/**
 * What an erasure does to the suppression list, for the profile's email and phone: entries are deleted,
 * and bounces and complaints are written again under the hashed address. Returned as entries to delete
 * and to put, so the erasure transaction can include them.
 */
export async function suppressionChangesOnErasure(profile: {
  email?: string | undefined;
  phone?: string | undefined;
  emails?: string[] | undefined;
  phones?: string[] | undefined;
}) {
  // Every address the customer holds, not only the primary ones: a secondary email may have bounced.
  const emails = new Set([profile.email, ...(profile.emails ?? [])].filter((a): a is string => !!a));
  const phones = new Set([profile.phone, ...(profile.phones ?? [])].filter((a): a is string => !!a));
  const addresses: { channel: Channel; address: string }[] = [
    ...[...emails].map((address) => ({ channel: 'email' as const, address })),
    ...[...phones].map((address) => ({ channel: 'sms' as const, address })),
  ];
  if (addresses.length === 0) return { deletes: [], puts: [] };
  const found = allRead(
    await store().entities.suppression.get(addresses).go({ consistent: true }),
    'suppression entries',
  );
  return {
    deletes: found.map(({ channel, address }) => ({ channel, address })),
    puts: found
      .filter((item) => KEPT_AFTER_ERASURE.has(item.reason))
      .map(
        (item): SuppressionItem => ({
          channel: item.channel,
          address: hashedAddress(item.channel, item.address),
          reason: item.reason,
          source: item.source,
          createdAt: item.createdAt,
        }),
      ),
  };
}
