import type { EntityItem } from 'electrodb';
import { ulid } from 'ulid';
import { type GateDecision, mayContactEach } from '../consent/gate.ts';
import { allRead } from '../consent/suppression.ts';
import { ValidationError } from '../platform/errors.ts';
import type { Channel } from '../store/entities/consent.ts';
import type { DeliveryEntry } from '../store/entities/delivery-entry.ts';
import { store } from '../store/service.ts';
import { type CapCheck, capChecks } from './caps.ts';
import { isTimeZone, minutesOfDay, quietUntil } from './clock.ts';
import type {
  ChannelSkip,
  GateAnswer,
  SendRequest,
  SendTicket,
  SkipReason,
  TimeZoneUsed,
} from './contract.ts';
import type { DeliverySettings } from './settings.ts';
import { deliverySettings } from './settings-store.ts';

export type { GateAnswer, SendRequest, SendTicket } from './contract.ts';

/**
 * The send gate (contract and guarantees in ./contract.ts). DynamoDB calls per recipient on the common
 * path: the reads of `mayContactEach` (profile, consents, frequency, then suppressions: 4) and the
 * ledger entries of the order (1 batch), in parallel, then one transaction, then `confirmSent`: 7.
 */

type Entry = EntityItem<typeof DeliveryEntry>;

const SOURCE_ID = /^[\x21-\x7e]{1,200}$/;

export function sourceKey(source: SendRequest['source']): string {
  return `${source.kind}:${source.id}`;
}

function check(request: SendRequest): void {
  if (!SOURCE_ID.test(request.source.id))
    throw ValidationError.field('source.id', 'must be 1-200 visible ASCII characters');
  if (request.channels.length === 0)
    throw ValidationError.field('channels', 'must name at least one channel');
  if (new Set(request.channels).size !== request.channels.length)
    throw ValidationError.field('channels', 'must not name a channel twice');
}

function timeZoneOf(profileZone: string | undefined, settings: DeliverySettings): TimeZoneUsed {
  if (profileZone && isTimeZone(profileZone)) return { timeZone: profileZone, from: 'profile' };
  return { timeZone: settings.defaultTimeZone, from: 'default' };
}

const blocking = (e: Entry | undefined) => e?.state === 'reserved' || e?.state === 'sent';

async function ledgerOf(customerId: string, source: string, channels: readonly Channel[]) {
  const result = await store()
    .entities.deliveryEntry.get(channels.map((channel) => ({ customerId, source, channel })))
    .go({ consistent: true });
  const entries = new Map<Channel, Entry>();
  for (const e of allRead(result, 'ledger entries')) entries.set(e.channel, e);
  return entries;
}

function isConditionFailure(error: unknown): boolean {
  return (error as { cause?: { name?: string } })?.cause?.name === 'ConditionalCheckFailedException';
}

/**
 * Writes the not-sent records of skipped channels, each only over nothing or an earlier skip (a
 * reservation made meanwhile by a concurrent call is never overwritten). Failed entries stay failed.
 */
function skipActions(
  tx: Parameters<Parameters<ReturnType<typeof store>['transaction']['write']>[0]>[0],
  base: {
    customerId: string;
    source: string;
    topic?: string | undefined;
    meta?: Record<string, string> | undefined;
  },
  skipped: ChannelSkip[],
  zone: TimeZoneUsed | undefined,
  now: string,
) {
  return skipped
    .filter((s) => s.reason !== 'channel_rejected')
    .map((s) =>
      tx.deliveryEntry
        .update({ customerId: base.customerId, source: base.source, channel: s.channel })
        .set({
          state: 'skipped',
          reason: s.reason,
          updatedAt: now,
          ...(base.topic !== undefined && { topic: base.topic }),
          ...(base.meta !== undefined && { meta: base.meta }),
          ...(zone && { timeZone: zone.timeZone, timeZoneFrom: zone.from }),
        })
        .data((attr, op) => {
          op.ifNotExists(attr.createdAt, now);
          if (s.deferUntil) op.set(attr.deferUntil, s.deferUntil);
          else op.remove(attr.deferUntil);
        })
        .add({ attempts: 1 })
        .where((attr, op) => `${op.notExists(attr.state)} OR ${op.eq(attr.state, 'skipped')}`)
        .commit(),
    );
}

/**
 * Erasure may run between the gate's reads and its write: the profile must still exist when the ledger
 * is written, or an erased customer's partition would get an entry back.
 */
function profileStillThere(
  tx: Parameters<Parameters<ReturnType<typeof store>['transaction']['write']>[0]>[0],
  customerId: string,
) {
  return tx.customer
    .check({ customerId })
    .where((attr, op) => op.exists(attr.customerId))
    .commit();
}

type Reservation =
  | { ok: true; ticket: SendTicket }
  | { ok: false; full: CapCheck }
  | { ok: false; conflict: true };

async function reserve(
  request: SendRequest,
  source: string,
  channel: Channel,
  address: string,
  checks: CapCheck[],
  skipped: ChannelSkip[],
  later: Channel[],
  zone: TimeZoneUsed,
  now: string,
): Promise<Reservation> {
  const { customerId } = request;
  const attemptId = ulid();
  const counted = checks.map((c) => c.key);
  const base = { customerId, source, topic: request.topic, meta: request.meta };
  const skips = skipped.filter((s) => s.reason !== 'channel_rejected').length;
  const result = await store()
    .transaction.write((tx) => [
      tx.deliveryEntry
        .update({ customerId, source, channel })
        .set({
          state: 'reserved',
          attemptId,
          reservedAt: now,
          updatedAt: now,
          address,
          counted,
          timeZone: zone.timeZone,
          timeZoneFrom: zone.from,
          ...(request.topic !== undefined && { topic: request.topic }),
          ...(request.meta !== undefined && { meta: request.meta }),
        })
        .remove(['reason', 'deferUntil', 'detail'])
        .data((attr, op) => op.ifNotExists(attr.createdAt, now))
        .add({ attempts: 1 })
        .where((attr, op) => `${op.notExists(attr.state)} OR ${op.eq(attr.state, 'skipped')}`)
        .commit(),
      ...skipActions(tx, base, skipped, zone, now),
      // A channel after this one reserved by a concurrent call (with other facts) must not be joined.
      ...later.map((other) =>
        tx.deliveryEntry
          .check({ customerId, source, channel: other })
          .where(
            (attr, op) =>
              `${op.notExists(attr.state)} OR ${op.eq(attr.state, 'skipped')} OR ${op.eq(attr.state, 'failed')}`,
          )
          .commit(),
      ),
      ...checks.map((c) =>
        tx.capCounter
          .update({ customerId, key: c.key })
          .add({ count: 1 })
          .set({ expiresAt: c.expiresAt })
          .where((attr, op) => `${op.notExists(attr.count)} OR ${op.lt(attr.count, c.limit)}`)
          .commit(),
      ),
      profileStillThere(tx, customerId),
    ])
    .go();
  if (!result.canceled) return { ok: true, ticket: { customerId, source, channel, attemptId, counted } };
  const firstCap = 1 + skips + later.length;
  const rejected = result.data.map((d) => d.rejected);
  const ledgerConflict = rejected.slice(0, firstCap).some(Boolean);
  if (ledgerConflict) return { ok: false, conflict: true };
  const full = checks.find((_, i) => rejected[firstCap + i]);
  if (rejected[firstCap + checks.length]) return { ok: false, conflict: true };
  if (!full) throw new Error('The reservation transaction was cancelled for another reason; retry');
  return { ok: false, full };
}

async function recordSkips(
  request: SendRequest,
  source: string,
  skipped: ChannelSkip[],
  zone: TimeZoneUsed | undefined,
  now: string,
): Promise<boolean> {
  const base = { customerId: request.customerId, source, topic: request.topic, meta: request.meta };
  const actions = skipped.filter((s) => s.reason !== 'channel_rejected');
  if (actions.length === 0) return true;
  const result = await store()
    .transaction.write((tx) => [
      ...skipActions(tx, base, skipped, zone, now),
      profileStillThere(tx, request.customerId),
    ])
    .go();
  return !result.canceled;
}

function duplicateOf(
  entries: Map<Channel, Entry>,
  order: readonly Channel[],
  now: number,
  leaseSeconds: number,
  skipped: ChannelSkip[],
): GateAnswer | undefined {
  for (const channel of order) {
    const e = entries.get(channel);
    if (!blocking(e)) continue;
    const state = e?.state as 'reserved' | 'sent';
    const inDoubt = state === 'reserved' && now - Date.parse(e?.reservedAt ?? '') > leaseSeconds * 1000;
    return { outcome: 'duplicate', channel, state, inDoubt, skipped };
  }
  return undefined;
}

/** Takes over a reservation left in doubt (at-least-once, by the caller's choice). */
async function takeOver(entry: Entry, now: string): Promise<SendTicket | undefined> {
  const attemptId = ulid();
  try {
    await store()
      .entities.deliveryEntry.patch({
        customerId: entry.customerId,
        source: entry.source,
        channel: entry.channel,
      })
      .set({ attemptId, reservedAt: now, updatedAt: now })
      .add({ attempts: 1 })
      .where(
        (attr, op) => `${op.eq(attr.state, 'reserved')} AND ${op.eq(attr.attemptId, entry.attemptId ?? '')}`,
      )
      .go();
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
  return {
    customerId: entry.customerId,
    source: entry.source,
    channel: entry.channel,
    attemptId,
    counted: entry.counted ?? [],
  };
}

/** May this message go out now, and on which channel? See ./contract.ts. */
export function admit(request: SendRequest): Promise<GateAnswer> {
  return decide(request, true);
}

/**
 * The answer `admit` would give now, writing nothing: no reservation, no skip records, no cap counts
 * (caps are read and compared instead). For previews such as a campaign's dry run; a `send` answer
 * carries a ticket with an empty attemptId, which confirms nothing.
 */
export function evaluate(request: SendRequest): Promise<GateAnswer> {
  return decide(request, false);
}

/** The first cap a reservation would find full, read without counting. */
async function fullCap(customerId: string, checks: CapCheck[]): Promise<CapCheck | undefined> {
  if (checks.length === 0) return undefined;
  const result = await store()
    .entities.capCounter.get(checks.map((c) => ({ customerId, key: c.key })))
    .go({ consistent: true });
  const counts = new Map(allRead(result, 'cap counters').map((c) => [c.key, c.count ?? 0]));
  return checks.find((c) => (counts.get(c.key) ?? 0) >= c.limit);
}

async function decide(request: SendRequest, write: boolean): Promise<GateAnswer> {
  check(request);
  const settings = await deliverySettings();
  const at = request.at ?? new Date();
  const now = at.toISOString();
  const source = sourceKey(request.source);
  const transactional = request.source.kind === 'transactional';
  const caps = request.caps ?? (transactional && settings.transactional.capsExempt ? 'exempt' : 'apply');
  const quiet = request.quietHours ?? (transactional ? settings.transactional.quietHours : 'defer');
  const order = request.channels;

  for (let round = 0; round < 3; round++) {
    const [{ customer, decisions }, entries] = await Promise.all([
      mayContactEach({
        customerId: request.customerId,
        channels: order,
        topic: request.topic,
        addresses: request.addresses,
        at,
      }),
      ledgerOf(request.customerId, source, order),
    ]);
    // Nothing is written under an erased or unknown customer's key: erasure leaves only the tombstone.
    if (!customer) {
      return {
        outcome: 'skip',
        skipped: order.map((channel, i) => ({ channel, reason: reasonOf(decisions[i]) })),
      };
    }
    const duplicate = duplicateOf(entries, order, at.getTime(), settings.leaseSeconds, []);
    if (duplicate?.outcome === 'duplicate') {
      const entry = entries.get(duplicate.channel);
      if (duplicate.inDoubt && request.inDoubt === 'resend' && entry) {
        const ticket = write
          ? await takeOver(entry, now)
          : { customerId: entry.customerId, source, channel: entry.channel, attemptId: '', counted: [] };
        if (ticket) {
          const zone = timeZoneOf(customer.timeZone, settings);
          return {
            outcome: 'send',
            channel: entry.channel,
            address: entry.address ?? '',
            ticket,
            skipped: [],
            ...zone,
          };
        }
        continue;
      }
      return duplicate;
    }

    const zone = timeZoneOf(customer.timeZone, settings);
    const window = {
      start: minutesOfDay(settings.quietHours.start),
      end: minutesOfDay(settings.quietHours.end),
    };
    const skipped: ChannelSkip[] = [];
    let conflict = false;
    for (const [i, channel] of order.entries()) {
      const decision = decisions[i] as GateDecision;
      if (!decision.allowed) {
        skipped.push({ channel, reason: reasonOf(decision) });
        continue;
      }
      if (entries.get(channel)?.state === 'failed') {
        skipped.push({ channel, reason: 'channel_rejected' });
        continue;
      }
      if (quiet !== 'bypass' && settings.quietHours.channels.includes(channel)) {
        const until = quietUntil(at.getTime(), zone.timeZone, window);
        if (until !== undefined) {
          const deferUntil = new Date(until).toISOString();
          skipped.push({ channel, reason: 'quiet_hours', deferUntil });
          // The order is the sender's preference: the night does not hand the message to a lesser channel.
          if (quiet === 'defer') {
            if (write && !(await recordSkips(request, source, skipped, zone, now))) {
              conflict = true;
              break;
            }
            return { outcome: 'defer', channel, deferUntil, skipped, ...zone };
          }
          continue;
        }
      }
      const checks =
        caps === 'apply'
          ? capChecks(settings, {
              channel,
              instant: at.getTime(),
              timeZone: zone.timeZone,
              tier: customer.tier,
              frequency: decision.frequency,
              overrides: request.capOverrides,
              group: request.group,
            })
          : [];
      if (!write) {
        const full = await fullCap(request.customerId, checks);
        if (full) {
          skipped.push({ channel, reason: `cap_reached:${full.name}` });
          continue;
        }
        const ticket = { customerId: request.customerId, source, channel, attemptId: '', counted: [] };
        return { outcome: 'send', channel, address: decision.address as string, ticket, skipped, ...zone };
      }
      const later = order.slice(i + 1);
      const reservation = await reserve(
        request,
        source,
        channel,
        decision.address as string,
        checks,
        skipped,
        later,
        zone,
        now,
      );
      if (reservation.ok) {
        return {
          outcome: 'send',
          channel,
          address: decision.address as string,
          ticket: reservation.ticket,
          skipped,
          ...zone,
        };
      }
      if ('conflict' in reservation) {
        conflict = true;
        break;
      }
      skipped.push({ channel, reason: `cap_reached:${reservation.full.name}` });
    }
    if (conflict) continue;
    if (!write || (await recordSkips(request, source, skipped, zone, now)))
      return { outcome: 'skip', skipped };
  }
  // Three rounds of losing to concurrent calls: one of them holds the reservation now.
  const entries = await ledgerOf(request.customerId, source, order);
  const settled = duplicateOf(entries, order, Date.now(), settings.leaseSeconds, []);
  if (settled) return settled;
  throw new Error('The send gate lost three races in a row for one message; retry');
}

function reasonOf(decision: GateDecision | undefined): SkipReason {
  return (decision?.reason ?? 'unknown_customer') as SkipReason;
}

/** The channel accepted the message: the reservation becomes `sent`. */
export async function confirmSent(ticket: SendTicket, providerMessageId?: string): Promise<void> {
  const now = new Date().toISOString();
  await store()
    .entities.deliveryEntry.patch({
      customerId: ticket.customerId,
      source: ticket.source,
      channel: ticket.channel,
    })
    .set({ state: 'sent', sentAt: now, updatedAt: now, ...(providerMessageId && { providerMessageId }) })
    .where((attr, op) => `${op.eq(attr.state, 'reserved')} AND ${op.eq(attr.attemptId, ticket.attemptId)}`)
    .go()
    .catch((error) => {
      // Confirmed already (a retried confirmation) or taken over after the lease: the entry says which.
      if (!isConditionFailure(error)) throw error;
    });
}

/**
 * The channel refused the message for good (a bad address, a rejected token): the entry becomes `failed`
 * and its cap counts are given back in the same transaction, so a refused message uses no cap.
 */
export async function confirmFailed(
  ticket: SendTicket,
  failure: { reason?: string; detail?: string } = {},
): Promise<void> {
  await endReservation(ticket, 'failed', failure.reason ?? 'channel_rejected', failure.detail);
}

/**
 * The channel certainly did not take the message but may later (throttled, unavailable): the entry goes
 * back to `skipped` with the reason and its cap counts are given back, so a redelivery decides again.
 */
export async function releaseReservation(ticket: SendTicket, reason: string, detail?: string): Promise<void> {
  await endReservation(ticket, 'skipped', reason, detail);
}

async function endReservation(
  ticket: SendTicket,
  state: 'failed' | 'skipped',
  reason: string,
  detail: string | undefined,
): Promise<void> {
  const now = new Date().toISOString();
  const { customerId, source, channel, attemptId } = ticket;
  await store()
    .transaction.write((tx) => [
      tx.deliveryEntry
        .patch({ customerId, source, channel })
        .set({ state, reason, updatedAt: now, ...(detail !== undefined && { detail: detail.slice(0, 500) }) })
        .where((attr, op) => `${op.eq(attr.state, 'reserved')} AND ${op.eq(attr.attemptId, attemptId)}`)
        .commit(),
      ...ticket.counted.map((key) =>
        tx.capCounter
          .update({ customerId, key })
          .add({ count: -1 })
          .where((attr, op) => op.gt(attr.count, 0))
          .commit(),
      ),
    ])
    .go();
}
