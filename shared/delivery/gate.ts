import type { EntityItem } from 'electrodb';
import { ulid } from 'ulid';
import {
  addressesOf,
  type ContactFacts,
  consentKeys,
  decisionsFrom,
  type GateDecision,
} from '../consent/gate.ts';
import { allRead, matchSuppressions, type SuppressionItem, suppressionKeys } from '../consent/suppression.ts';
import { topicsByName } from '../consent/topics.ts';
import type { CustomerItem } from '../customers/service.ts';
import { ValidationError } from '../platform/errors.ts';
import { isConditionFailure } from '../store/conditions.ts';
import type { Channel } from '../store/entities/consent.ts';
import type { Frequency } from '../store/entities/contact-preferences.ts';
import type { DeliveryEntry } from '../store/entities/delivery-entry.ts';
import { getMany, type Wanted } from '../store/get-many.ts';
import { store } from '../store/service.ts';
import { MAX_TRANSACTION_ACTIONS, packTransactions } from '../store/transactions.ts';
import { type CapCheck, capChecks, firstFull } from './caps.ts';
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
 * The send gate (contract and guarantees in ./contract.ts). A decision is made in three steps: the facts
 * are read (`factsOf`: profile, consents, preferred frequency and ledger entries in one round of batch
 * reads, then suppressions and cap counters in a second), a pure `choose` walks the channel order over
 * them, and the choice is written (a reservation, or the skip records) in a transaction conditioned on
 * what was read. `admit` does this for one request — 4 DynamoDB calls with `confirmSent` — and
 * `admitMany` for a batch: the same reads for all of them, the writes of many recipients grouped in
 * transactions of up to 100 actions, and any recipient of a group that lost a race decided again alone
 * through `admit`'s path, so both give the same answers under the same guarantees.
 */

type Entry = EntityItem<DeliveryEntry>;

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

type Tx = Parameters<Parameters<ReturnType<typeof store>['transaction']['write']>[0]>[0];

/** A request with its defaults settled against the stage's settings. */
interface Prepared {
  request: SendRequest;
  source: string;
  caps: 'apply' | 'exempt';
  quiet: 'defer' | 'bypass' | 'drop';
  at: Date;
  now: string;
}

function prepared(request: SendRequest, settings: DeliverySettings): Prepared {
  check(request);
  const at = request.at ?? new Date();
  const transactional = request.source.kind === 'transactional';
  return {
    request,
    source: sourceKey(request.source),
    caps: request.caps ?? (transactional && settings.transactional.capsExempt ? 'exempt' : 'apply'),
    quiet: request.quietHours ?? (transactional ? settings.transactional.quietHours : 'defer'),
    at,
    now: at.toISOString(),
  };
}

/** Everything one request's decision depends on, as read. */
interface Facts {
  customer: CustomerItem | undefined;
  /** Consent's decision per channel of the order. */
  decisions: GateDecision[];
  entries: Map<Channel, Entry>;
  /** The cap counters the order's channels would take, by key (absent: zero). */
  counts: ReadonlyMap<string, number>;
}

function capInput(
  p: Prepared,
  channel: Channel,
  zone: TimeZoneUsed,
  customer: CustomerItem,
  frequency: Frequency | undefined,
) {
  return {
    channel,
    instant: p.at.getTime(),
    timeZone: zone.timeZone,
    tier: customer.tier,
    frequency,
    overrides: p.request.capOverrides,
    group: p.request.group,
  };
}

/**
 * The facts of many requests in two rounds of consistent batch reads (100 keys a request): profiles,
 * consents, preferred frequencies and ledger entries; then the suppression entries of the addresses
 * found, the cap counters of every channel that has an address, and the erasure tombstones of the
 * customers not found. A request whose facts cannot be used (a malformed push token) gets its error.
 */
async function factsOf(
  requests: readonly Prepared[],
  settings: DeliverySettings,
): Promise<(Facts | Error)[]> {
  const topics = await topicsByName([...new Set(requests.map((p) => p.request.topic ?? '*'))]);
  const first: Wanted[] = [];
  const spans = requests.map((p) => {
    const { customerId, channels } = p.request;
    const start = first.length;
    first.push({ entity: 'customer', key: { customerId } });
    first.push({ entity: 'contactPreferences', key: { customerId } });
    for (const channel of channels)
      first.push({ entity: 'deliveryEntry', key: { customerId, source: p.source, channel } });
    for (const key of consentKeys(p.request)) first.push({ entity: 'consent', key });
    return { start, end: first.length };
  });
  const read = await getMany(first);
  const second: Wanted[] = [];
  const staged = requests.map((p, i) => {
    const span = spans[i] as { start: number; end: number };
    const [customer, prefs, ...rest] = read.slice(span.start, span.end) as [
      CustomerItem | undefined,
      { frequency?: Frequency } | undefined,
      ...unknown[],
    ];
    const order = p.request.channels;
    const entries = new Map<Channel, Entry>();
    for (const e of rest.slice(0, order.length) as (Entry | undefined)[]) if (e) entries.set(e.channel, e);
    const consents = rest.slice(order.length).filter(Boolean) as ContactFacts['consents'];
    let wanted: { channel: Channel; address: string }[] = [];
    let checks: CapCheck[] = [];
    const at = second.length;
    try {
      if (!customer) second.push({ entity: 'erasure', key: { customerId: p.request.customerId } });
      else {
        wanted = addressesOf(p.request, customer);
        for (const key of suppressionKeys(wanted)) second.push({ entity: 'suppression', key });
        if (p.caps === 'apply') {
          const zone = timeZoneOf(customer.timeZone, settings);
          checks = wanted.flatMap(({ channel }) =>
            capChecks(settings, capInput(p, channel, zone, customer, prefs?.frequency)),
          );
        }
      }
    } catch (error) {
      return { ok: false as const, error: error as Error };
    }
    const suppressionsEnd = second.length;
    for (const c of checks)
      second.push({ entity: 'capCounter', key: { customerId: p.request.customerId, key: c.key } });
    const end = second.length;
    return {
      ok: true as const,
      customer,
      prefs,
      entries,
      consents,
      wanted,
      checks,
      at,
      suppressionsEnd,
      end,
    };
  });
  const more = await getMany(second);
  return requests.map((p, i): Facts | Error => {
    const s = staged[i] as (typeof staged)[number];
    if (!s.ok) return s.error;
    const counts = new Map<string, number>();
    for (const c of more.slice(s.suppressionsEnd, s.end) as ({ key: string; count?: number } | undefined)[])
      if (c) counts.set(c.key, c.count ?? 0);
    try {
      const decisions = decisionsFrom(p.request, {
        customer: s.customer,
        erased: !s.customer && more[s.at] !== undefined,
        consents: s.consents,
        frequency: s.prefs?.frequency,
        topics,
        suppressions: s.customer
          ? matchSuppressions(
              s.wanted,
              more.slice(s.at, s.suppressionsEnd).filter(Boolean) as SuppressionItem[],
            )
          : new Map(),
      });
      return { customer: s.customer, decisions, entries: s.entries, counts };
    } catch (error) {
      return error as Error;
    }
  });
}

/** What a request's facts call for: an answer as it stands, or a write first. */
type Choice =
  | { kind: 'answer'; answer: GateAnswer }
  | { kind: 'takeOver'; entry: Entry; zone: TimeZoneUsed }
  /** Skip records (of a deferral or of a message that goes nowhere), then the answer. */
  | { kind: 'skips'; answer: GateAnswer; skipped: ChannelSkip[]; zone: TimeZoneUsed }
  | {
      kind: 'reserve';
      channel: Channel;
      address: string;
      checks: CapCheck[];
      skipped: ChannelSkip[];
      later: Channel[];
      zone: TimeZoneUsed;
    };

/**
 * The rules, in one place and without I/O: duplicates, consent, channels refused before, quiet hours,
 * caps (full by the counters read, or by `full` when a reservation found them full), in the sender's
 * order. With `write` false the answer is final (evaluate); with it true a write may come first.
 */
function choose(
  p: Prepared,
  settings: DeliverySettings,
  facts: Facts,
  full: ReadonlyMap<Channel, CapCheck>,
  write: boolean,
): Choice {
  const { request, source, at, caps, quiet } = p;
  const order = request.channels;
  const { customer, decisions, entries } = facts;
  // Nothing is written under an erased or unknown customer's key: erasure leaves only the tombstone.
  if (!customer) {
    const skipped = order.map((channel, i) => ({ channel, reason: reasonOf(decisions[i]) }));
    return { kind: 'answer', answer: { outcome: 'skip', skipped } };
  }
  const zone = timeZoneOf(customer.timeZone, settings);
  const duplicate = duplicateOf(entries, order, at.getTime(), settings.leaseSeconds, []);
  if (duplicate?.outcome === 'duplicate') {
    const entry = entries.get(duplicate.channel);
    if (duplicate.inDoubt && request.inDoubt === 'resend' && entry) {
      if (write) return { kind: 'takeOver', entry, zone };
      const ticket = {
        customerId: entry.customerId,
        source,
        channel: entry.channel,
        attemptId: '',
        counted: [],
      };
      const address = entry.address ?? '';
      return {
        kind: 'answer',
        answer: { outcome: 'send', channel: entry.channel, address, ticket, skipped: [], ...zone },
      };
    }
    return { kind: 'answer', answer: duplicate };
  }
  const window = {
    start: minutesOfDay(settings.quietHours.start),
    end: minutesOfDay(settings.quietHours.end),
  };
  const skipped: ChannelSkip[] = [];
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
          const answer: GateAnswer = { outcome: 'defer', channel, deferUntil, skipped, ...zone };
          return write ? { kind: 'skips', answer, skipped, zone } : { kind: 'answer', answer };
        }
        continue;
      }
    }
    const checks =
      caps === 'apply' ? capChecks(settings, capInput(p, channel, zone, customer, decision.frequency)) : [];
    const capped = full.get(channel) ?? firstFull(checks, facts.counts);
    if (capped) {
      skipped.push({ channel, reason: `cap_reached:${capped.name}` });
      continue;
    }
    const address = decision.address as string;
    if (!write) {
      const ticket = { customerId: request.customerId, source, channel, attemptId: '', counted: [] };
      return { kind: 'answer', answer: { outcome: 'send', channel, address, ticket, skipped, ...zone } };
    }
    return { kind: 'reserve', channel, address, checks, skipped, later: order.slice(i + 1), zone };
  }
  const answer: GateAnswer = { outcome: 'skip', skipped };
  return write ? { kind: 'skips', answer, skipped, zone } : { kind: 'answer', answer };
}

type Reserving = Extract<Choice, { kind: 'reserve' }>;

/** The reservation's actions: the entry, skip records, the later channels' checks, the caps, the profile. */
function reserveActions(tx: Tx, p: Prepared, choice: Reserving, attemptId: string) {
  const { customerId, topic, meta } = p.request;
  const { source, now } = p;
  const { channel, address, checks, skipped, later, zone } = choice;
  return [
    tx.deliveryEntry
      .update({ customerId, source, channel })
      .set({
        state: 'reserved',
        attemptId,
        reservedAt: now,
        updatedAt: now,
        address,
        counted: checks.map((c) => c.key),
        timeZone: zone.timeZone,
        timeZoneFrom: zone.from,
        ...(topic !== undefined && { topic }),
        ...(meta !== undefined && { meta }),
      })
      .remove(['reason', 'deferUntil', 'detail'])
      .data((attr, op) => op.ifNotExists(attr.createdAt, now))
      .add({ attempts: 1 })
      .where((attr, op) => `${op.notExists(attr.state)} OR ${op.eq(attr.state, 'skipped')}`)
      .commit(),
    ...skipActions(tx, { customerId, source, topic, meta }, skipped, zone, now),
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
  ];
}

function sendAnswer(choice: Reserving, ticket: SendTicket): GateAnswer {
  const { channel, address, skipped, zone } = choice;
  return { outcome: 'send', channel, address, ticket, skipped, ...zone };
}

function ticketOf(p: Prepared, choice: Reserving, attemptId: string): SendTicket {
  const { customerId } = p.request;
  return {
    customerId,
    source: p.source,
    channel: choice.channel,
    attemptId,
    counted: choice.checks.map((c) => c.key),
  };
}

type Reservation =
  | { ok: true; ticket: SendTicket }
  | { ok: false; full: CapCheck }
  | { ok: false; conflict: true };

async function reserve(p: Prepared, choice: Reserving): Promise<Reservation> {
  const attemptId = ulid();
  const result = await store()
    .transaction.write((tx) => reserveActions(tx, p, choice, attemptId) as never)
    .go();
  if (!result.canceled) return { ok: true, ticket: ticketOf(p, choice, attemptId) };
  const { checks, skipped, later } = choice;
  const skips = skipped.filter((s) => s.reason !== 'channel_rejected').length;
  const firstCap = 1 + skips + later.length;
  const rejected = (result.data as { rejected: boolean }[]).map((d) => d.rejected);
  const ledgerConflict = rejected.slice(0, firstCap).some(Boolean);
  if (ledgerConflict) return { ok: false, conflict: true };
  const full = checks.find((_, i) => rejected[firstCap + i]);
  if (rejected[firstCap + checks.length]) return { ok: false, conflict: true };
  if (!full) throw new Error('The reservation transaction was cancelled for another reason; retry');
  return { ok: false, full };
}

function skipsActions(tx: Tx, p: Prepared, skipped: ChannelSkip[], zone: TimeZoneUsed | undefined) {
  const { customerId, topic, meta } = p.request;
  const actions = skipActions(tx, { customerId, source: p.source, topic, meta }, skipped, zone, p.now);
  return actions.length === 0 ? [] : [...actions, profileStillThere(tx, customerId)];
}

async function recordSkips(
  p: Prepared,
  skipped: ChannelSkip[],
  zone: TimeZoneUsed | undefined,
): Promise<boolean> {
  if (skipped.every((s) => s.reason === 'channel_rejected')) return true;
  const result = await store()
    .transaction.write((tx) => skipsActions(tx, p, skipped, zone) as never)
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

async function decide(request: SendRequest, write: boolean): Promise<GateAnswer> {
  const settings = await deliverySettings();
  const p = prepared(request, settings);
  for (let round = 0; round < 3; round++) {
    const [facts] = await factsOf([p], settings);
    if (facts instanceof Error || facts === undefined) throw facts;
    const answer = await carryOut(p, settings, facts, write);
    if (answer) return answer;
  }
  // Three rounds of losing to concurrent calls: one of them holds the reservation now.
  const entries = await ledgerOf(request.customerId, p.source, request.channels);
  const settled = duplicateOf(entries, request.channels, Date.now(), settings.leaseSeconds, []);
  if (settled) return settled;
  throw new Error('The send gate lost three races in a row for one message; retry');
}

/** One request's choice, written: the answer, or undefined when a concurrent call won and facts must be read again. */
async function carryOut(
  p: Prepared,
  settings: DeliverySettings,
  facts: Facts,
  write: boolean,
): Promise<GateAnswer | undefined> {
  const full = new Map<Channel, CapCheck>();
  for (;;) {
    const choice = choose(p, settings, facts, full, write);
    if (choice.kind === 'answer') return choice.answer;
    if (choice.kind === 'takeOver') {
      const ticket = await takeOver(choice.entry, p.now);
      if (!ticket) return undefined;
      const address = choice.entry.address ?? '';
      return { outcome: 'send', channel: ticket.channel, address, ticket, skipped: [], ...choice.zone };
    }
    if (choice.kind === 'skips')
      return (await recordSkips(p, choice.skipped, choice.zone)) ? choice.answer : undefined;
    const reservation = await reserve(p, choice);
    if (reservation.ok) return sendAnswer(choice, reservation.ticket);
    if ('conflict' in reservation) return undefined;
    // Full after all (a concurrent send took the room): the next channel of the order is tried.
    full.set(choice.channel, reservation.full);
  }
}

interface Planned {
  index: number;
  p: Prepared;
  actions: (tx: Tx) => unknown[];
  size: number;
  answer: GateAnswer;
}

/**
 * `admit` for many requests at once (the recipients of one send message): one round of reads for all,
 * the same `choose`, and the writes of many recipients in one transaction of up to 100 actions, each
 * recipient whole in one transaction and a customer at most once in it. A transaction is all or
 * nothing: when one is cancelled (a concurrent call wrote one of its recipients) nothing of it was
 * written and each of its recipients is decided again alone, as `admit` would. Answers in the order of
 * the requests, each fulfilled or rejected on its own: a rejected one reserved nothing.
 */
export async function admitMany(
  requests: readonly SendRequest[],
): Promise<PromiseSettledResult<GateAnswer>[]> {
  const settings = await deliverySettings();
  const results: PromiseSettledResult<GateAnswer>[] = new Array(requests.length);
  const rejected = (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason });
  const fulfilled = (value: GateAnswer): PromiseFulfilledResult<GateAnswer> => ({
    status: 'fulfilled',
    value,
  });
  const valid: { index: number; p: Prepared }[] = [];
  requests.forEach((request, index) => {
    try {
      valid.push({ index, p: prepared(request, settings) });
    } catch (error) {
      results[index] = rejected(error);
    }
  });
  const facts = await factsOf(
    valid.map((v) => v.p),
    settings,
  );
  const planned: Planned[] = [];
  const alone: number[] = [];
  valid.forEach(({ index, p }, i) => {
    const f = facts[i] as Facts | Error;
    if (f instanceof Error) {
      results[index] = rejected(f);
      return;
    }
    const choice = choose(p, settings, f, new Map(), true);
    if (choice.kind === 'answer') results[index] = fulfilled(choice.answer);
    else if (choice.kind === 'takeOver') alone.push(index);
    else if (choice.kind === 'skips') {
      const size = choice.skipped.filter((s) => s.reason !== 'channel_rejected').length;
      if (size === 0) results[index] = fulfilled(choice.answer);
      else
        planned.push({
          index,
          p,
          size: size + 1,
          actions: (tx) => skipsActions(tx, p, choice.skipped, choice.zone),
          answer: choice.answer,
        });
    } else {
      const attemptId = ulid();
      const skips = choice.skipped.filter((s) => s.reason !== 'channel_rejected').length;
      planned.push({
        index,
        p,
        size: 2 + skips + choice.later.length + choice.checks.length,
        actions: (tx) => reserveActions(tx, p, choice, attemptId),
        answer: sendAnswer(choice, ticketOf(p, choice, attemptId)),
      });
    }
  });
  const { groups, alone: twice } = packTransactions(
    planned,
    (w) => w.size,
    (w) => w.p.request.customerId,
  );
  alone.push(...twice.map((w) => w.index));
  const settle = async (index: number) => {
    try {
      results[index] = fulfilled(await decide(requests[index] as SendRequest, true));
    } catch (error) {
      results[index] = rejected(error);
    }
  };
  await Promise.all([
    ...alone.map(settle),
    ...groups.map(async (members) => {
      let canceled: boolean;
      try {
        const result = await store()
          .transaction.write((tx) => members.flatMap((m) => m.actions(tx)) as never)
          .go();
        canceled = result.canceled;
      } catch (error) {
        for (const m of members) results[m.index] = rejected(error);
        return;
      }
      if (!canceled) {
        for (const m of members) results[m.index] = fulfilled(m.answer);
        return;
      }
      await Promise.all(members.map((m) => settle(m.index)));
    }),
  ]);
  return results;
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
 * `confirmSent` for many tickets: their updates, under the same conditions, in transactions of up to
 * 100. A cancelled transaction wrote nothing; its tickets are then confirmed one by one, where a ticket
 * confirmed already or taken over is left as the entry says.
 */
export async function confirmSentMany(
  confirmations: readonly { ticket: SendTicket; providerMessageId?: string | undefined }[],
): Promise<void> {
  const now = new Date().toISOString();
  const groups: (typeof confirmations)[] = [];
  for (let i = 0; i < confirmations.length; i += MAX_TRANSACTION_ACTIONS)
    groups.push(confirmations.slice(i, i + MAX_TRANSACTION_ACTIONS));
  await Promise.all(
    groups.map(async (group) => {
      if (group.length === 1) {
        const only = group[0] as (typeof group)[number];
        await confirmSent(only.ticket, only.providerMessageId);
        return;
      }
      const result = await store()
        .transaction.write(
          (tx) =>
            group.map(({ ticket, providerMessageId }) =>
              tx.deliveryEntry
                .patch({ customerId: ticket.customerId, source: ticket.source, channel: ticket.channel })
                .set({
                  state: 'sent',
                  sentAt: now,
                  updatedAt: now,
                  ...(providerMessageId && { providerMessageId }),
                })
                .where(
                  (attr, op) =>
                    `${op.eq(attr.state, 'reserved')} AND ${op.eq(attr.attemptId, ticket.attemptId)}`,
                )
                .commit(),
            ) as never,
        )
        .go();
      if (result.canceled)
        for (const { ticket, providerMessageId } of group) await confirmSent(ticket, providerMessageId);
    }),
  );
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
