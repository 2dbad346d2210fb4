import { UnprocessableError, ValidationError } from '../platform/errors.ts';
import type { RfmSummary } from './clv.ts';

/**
 * Per-customer purchase aggregates, folded from order and refund events as they arrive from the table's
 * stream. The stream redelivers and reorders, so the fold must not care: applying an event twice changes
 * nothing (each event id is remembered), and the final state depends only on the set of events applied,
 * never on their order. Three choices make that hold:
 *
 * - Money is kept in integer minor units (cents): float addition is not associative, and a sum that
 *   depends on the order of its terms in the last bit would make two replicas disagree.
 * - A refund names the day of the order it refunds (the stream step reads it from the order record) and
 *   is booked on that day, so it never needs its order to be applied first.
 * - Which days are kept one by one and which are folded into months depends only on the newest event
 *   day seen (a function of the set), and folding is a sum.
 *
 * Size stays bounded for heavy buyers: at most `detailDays` + 1 day buckets (rolling windows need days),
 * one bucket per older month (with a bit per day, so a purchase occasion is counted once however many
 * orders it had), and the ids seen as 53-bit fingerprints — 8 bytes per lifetime order or refund, the one
 * part that grows: 20,000 orders make 160 kB. A collision between two ids of one customer, which would
 * drop an order, has odds of about n^2 / 2^54 (1 in 10^8 at 20,000 orders).
 */

export interface DayBucket {
  /** Whole days since the Unix epoch (UTC). */
  day: number;
  orders: number;
  netCents: number;
}

export interface MonthBucket {
  /** Month index: year * 12 + month - 1. */
  month: number;
  orders: number;
  netCents: number;
  /** Bit d-1 set when day d of the month had an order. */
  mask: number;
}

/**
 * Buckets are kept in arrays sorted by day or month rather than in records keyed by them: a copy per
 * event is then a shallow array copy (records with hundreds of numeric keys fall into V8's slow
 * dictionary mode and cost a millisecond to copy), and the folding of old days is a cut at the front.
 */
export interface PurchaseState {
  /** Days within `detailDays` of the newest day seen, sorted by day. */
  days: DayBucket[];
  /** Older days folded into their months, sorted by month. */
  months: MonthBucket[];
  /** Earliest day any event touched and the net value booked on it: the first occasion's value. */
  first: { day: number; netCents: number } | null;
  /** Newest day any event touched. */
  newestDay: number | null;
  /** Sorted fingerprints of the order and refund ids applied. */
  seen: number[];
}

export interface OrderEvent {
  kind: 'order';
  orderId: string;
  /** ISO 8601 timestamp of the order. */
  orderedAt: string;
  /** Order total, zero or more, in `currency`. */
  amount: number;
  currency: string;
}

export interface RefundEvent {
  kind: 'refund';
  refundId: string;
  orderId: string;
  /** When the refunded order was placed: the refund is booked on that day. */
  orderedAt: string;
  /** Money returned, more than zero, in `currency`. */
  amount: number;
  currency: string;
}

export type PurchaseEvent = OrderEvent | RefundEvent;

export interface FoldContext {
  /** Current time in epoch milliseconds: events later than this (plus the tolerance) are rejected. */
  now: number;
  /** The business's currency and how many of it one unit of each other currency is worth. */
  currency: { base: string; rates: Readonly<Record<string, number>> };
  /** Clock skew allowed between the sender and Cohort before an event counts as from the future. */
  futureToleranceMs: number;
  /** Days kept one by one; must cover the longest rolling window. */
  detailDays: number;
}

const DAY_MS = 86_400_000;

export function emptyPurchaseState(): PurchaseState {
  return { days: [], months: [], first: null, newestDay: null, seen: [] };
}

/**
 * Applies one order or refund. Returns the state unchanged (the same object) for an id already applied,
 * so a caller can skip the write. Throws ValidationError / UnprocessableError for events that must not
 * count: a negative order (refunds are their own events), a refund of nothing, a future date, a currency
 * without a rate.
 */
export function applyPurchase(
  state: PurchaseState,
  event: PurchaseEvent,
  context: FoldContext,
): { state: PurchaseState; applied: boolean } {
  const { day, cents } = validate(event, context);
  const fingerprint = fingerprintOf(event.kind === 'order' ? `o:${event.orderId}` : `r:${event.refundId}`);
  const at = lowerBoundBy(state.seen, fingerprint, (v) => v);
  if (state.seen[at] === fingerprint) return { state, applied: false };
  const seen = state.seen.slice();
  seen.splice(at, 0, fingerprint);
  const isOrder = event.kind === 'order';
  const contribution = { orders: isOrder ? 1 : 0, netCents: isOrder ? cents : -cents };

  const newestDay = state.newestDay === null ? day : Math.max(state.newestDay, day);
  const cutoff = newestDay - context.detailDays;
  let days = state.days;
  let months = state.months;
  if (day >= cutoff) days = addToDay(days, day, contribution);
  else months = addToMonth(months, day, contribution);
  // Days that fell out of the detail horizon move into their months; they are at the front.
  let moved = 0;
  while (moved < days.length && (days[moved] as DayBucket).day < cutoff) {
    const old = days[moved] as DayBucket;
    months = addToMonth(months, old.day, old);
    moved++;
  }
  if (moved > 0) days = days.slice(moved);
  const first =
    state.first === null || day < state.first.day
      ? { day, netCents: contribution.netCents }
      : day === state.first.day
        ? { day, netCents: state.first.netCents + contribution.netCents }
        : state.first;
  return { state: { days, months, first, newestDay, seen }, applied: true };
}

function addToDay(
  days: readonly DayBucket[],
  day: number,
  add: { orders: number; netCents: number },
): DayBucket[] {
  const at = lowerBoundBy(days, day, (b) => b.day);
  const out = days.slice();
  const bucket = days[at];
  if (bucket?.day === day) {
    out[at] = { day, orders: bucket.orders + add.orders, netCents: bucket.netCents + add.netCents };
  } else out.splice(at, 0, { day, orders: add.orders, netCents: add.netCents });
  return out;
}

function addToMonth(
  months: readonly MonthBucket[],
  day: number,
  add: { orders: number; netCents: number },
): MonthBucket[] {
  const date = new Date(day * DAY_MS);
  const month = date.getUTCFullYear() * 12 + date.getUTCMonth();
  const bit = add.orders > 0 ? 1 << (date.getUTCDate() - 1) : 0;
  const at = lowerBoundBy(months, month, (b) => b.month);
  const out = months.slice();
  const bucket = months[at];
  if (bucket?.month === month) {
    out[at] = {
      month,
      orders: bucket.orders + add.orders,
      netCents: bucket.netCents + add.netCents,
      mask: (bucket.mask | bit) >>> 0,
    };
  } else out.splice(at, 0, { month, orders: add.orders, netCents: add.netCents, mask: bit >>> 0 });
  return out;
}

function lowerBoundBy<T>(sorted: readonly T[], value: number, key: (item: T) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(sorted[mid] as T) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function validate(event: PurchaseEvent, context: FoldContext): { day: number; cents: number } {
  const idPath = event.kind === 'order' ? 'orderId' : 'refundId';
  const id = event.kind === 'order' ? event.orderId : event.refundId;
  if (typeof id !== 'string' || id.length === 0) throw ValidationError.field(idPath, 'must not be empty');
  if (event.kind === 'refund' && (typeof event.orderId !== 'string' || event.orderId.length === 0)) {
    throw ValidationError.field('orderId', 'must name the refunded order');
  }
  const time = Date.parse(event.orderedAt);
  if (!Number.isFinite(time)) throw ValidationError.field('orderedAt', 'must be an ISO 8601 timestamp');
  if (time > context.now + context.futureToleranceMs) {
    throw ValidationError.field('orderedAt', 'must not be in the future');
  }
  if (!Number.isFinite(event.amount)) throw ValidationError.field('amount', 'must be a finite number');
  if (event.kind === 'order' && event.amount < 0) {
    throw ValidationError.field('amount', 'must not be negative; send money returned as a refund');
  }
  if (event.kind === 'refund' && event.amount <= 0) {
    throw ValidationError.field('amount', 'must be more than zero: the money returned');
  }
  const rate = event.currency === context.currency.base ? 1 : context.currency.rates[event.currency];
  if (rate === undefined) {
    throw UnprocessableError.field(
      'currency',
      `${event.currency} has no exchange rate to ${context.currency.base} in the scoring settings`,
    );
  }
  return { day: Math.floor(time / DAY_MS), cents: Math.round(event.amount * rate * 100) };
}

/**
 * A 53-bit fingerprint: two 32-bit FNV-1a hashes with different offsets, combined so the result is an
 * exact integer in a double (JSON and DynamoDB numbers keep it).
 */
export function fingerprintOf(id: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x01000193) >>> 0;
    h2 = (h2 ^ (h2 >>> 13)) >>> 0;
  }
  return (h1 >>> 11) * 2 ** 32 + h2;
}

export interface WindowFigures {
  orders: number;
  revenue: number;
}

export interface PurchaseMetrics {
  orders: number;
  /** Net of refunds, in the base currency; never below zero. */
  revenue: number;
  /** Distinct days with an order: the purchase occasions the models count. */
  purchaseDays: number;
  averageOrderValue: number;
  firstPurchaseDay: number | null;
  lastPurchaseDay: number | null;
  daysSinceLastPurchase: number | null;
  /** Rolling windows ending today, keyed by their length in days. */
  windows: Record<string, WindowFigures>;
}

/**
 * The figures an operator sees, evaluated at `now`. A customer with no orders gets zeros and nulls,
 * never NaN. Net figures are floored at zero: a refund that arrived before its order would otherwise
 * show as negative revenue until the order comes.
 */
export function purchaseMetrics(
  state: PurchaseState,
  now: number,
  windowDays: readonly number[],
): PurchaseMetrics {
  const today = Math.floor(now / DAY_MS);
  let orders = 0;
  let cents = 0;
  let purchaseDays = 0;
  let firstPurchaseDay: number | null = null;
  let lastPurchaseDay: number | null = null;
  const seeDay = (day: number) => {
    purchaseDays++;
    if (firstPurchaseDay === null || day < firstPurchaseDay) firstPurchaseDay = day;
    if (lastPurchaseDay === null || day > lastPurchaseDay) lastPurchaseDay = day;
  };
  for (const bucket of state.months) {
    orders += bucket.orders;
    cents += bucket.netCents;
    const month = bucket.month;
    const start = Math.floor(Date.UTC(Math.floor(month / 12), month % 12, 1) / DAY_MS);
    for (let d = 0; d < 31; d++) if (bucket.mask & (1 << d)) seeDay(start + d);
  }
  const windows: Record<string, WindowFigures> = {};
  for (const w of windowDays) windows[String(w)] = { orders: 0, revenue: 0 };
  const windowCents = windowDays.map(() => 0);
  for (const bucket of state.days) {
    const day = bucket.day;
    orders += bucket.orders;
    cents += bucket.netCents;
    if (bucket.orders > 0) seeDay(day);
    windowDays.forEach((w, i) => {
      // The window of w days ending today: today and the w - 1 days before.
      if (day > today - w && day <= today) {
        const figures = windows[String(w)] as WindowFigures;
        figures.orders += bucket.orders;
        windowCents[i] = (windowCents[i] as number) + bucket.netCents;
      }
    });
  }
  windowDays.forEach((w, i) => {
    (windows[String(w)] as WindowFigures).revenue = Math.max(0, windowCents[i] as number) / 100;
  });
  const revenue = Math.max(0, cents) / 100;
  return {
    orders,
    revenue,
    purchaseDays,
    averageOrderValue: orders > 0 ? revenue / orders : 0,
    firstPurchaseDay,
    lastPurchaseDay,
    daysSinceLastPurchase: lastPurchaseDay === null ? null : Math.max(0, today - lastPurchaseDay),
    windows,
  };
}

/**
 * The model summary (x, tx, T, mean repeat value) at `now`, in periods of `periodDays`. Undefined for
 * a customer with no purchase: the models say nothing about prospects.
 */
export function rfmSummaryOf(state: PurchaseState, now: number, periodDays: number): RfmSummary | undefined {
  const metrics = purchaseMetrics(state, now, []);
  if (metrics.firstPurchaseDay === null || metrics.lastPurchaseDay === null || state.first === null)
    return undefined;
  const today = Math.floor(now / DAY_MS);
  const x = metrics.purchaseDays - 1;
  const repeatCents = Math.round(metrics.revenue * 100) - state.first.netCents;
  return {
    x,
    tx: (metrics.lastPurchaseDay - metrics.firstPurchaseDay) / periodDays,
    T: Math.max(0, today - metrics.firstPurchaseDay) / periodDays,
    monetary: x > 0 ? Math.max(0, repeatCents) / 100 / x : 0,
  };
}
