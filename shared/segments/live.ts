import type { DynamoDBRecord } from 'aws-lambda';
import pMap from 'p-map';
import { log } from '../platform/log.ts';
import { store } from '../store/service.ts';
import { DependencyIndex, type IndexedSegment } from './dependency-index.ts';
import { applyEvaluations, leaveAllSegments } from './membership.ts';
import { allSegments, compiledRule, subjectContext } from './service.ts';
import { loadSubject, needsOf } from './subjects.ts';
import { changesFromStream, type Touched } from './touched.ts';
import {
  type DueMap,
  dropSchedule,
  dueIn,
  minuteOf,
  readSchedule,
  removeDue,
  reschedule,
} from './transitions.ts';

/**
 * Segments that stay current by themselves. Two paths re-evaluate one customer against a few segments,
 * through the membership writer (so entries and exits reach the bus as segment.entered/exited):
 * - the table stream: a change to a customer (profile, event or order, aggregate or scores, consent,
 *   another segment's membership) re-evaluates that customer against the active segments whose rules
 *   read what changed, once per customer per batch;
 * - the transition sweeper: time-dependent rules ("no purchase in 30 days", "birthday within 7 days")
 *   change with the clock alone, so each evaluation records when the outcome may next change
 *   (transitions.ts) and the sweeper re-evaluates the customer once that time has come.
 */

/** How long a caller that does not ask for a fresh listing may use the index it has. */
const INDEX_TTL_MS = 5_000;
const CUSTOMER_CONCURRENCY = 16;

let cached: { at: number; signature: string; index: DependencyIndex } | undefined;

/** The active segments' dependency index; segment rules compile once per version. */
export async function dependencyIndex(options: { refresh?: boolean } = {}): Promise<DependencyIndex> {
  if (!options.refresh && cached && Date.now() - cached.at < INDEX_TTL_MS) return cached.index;
  const active = (await allSegments()).filter((s) => s.status === 'active');
  const signature = active
    .map((s) => `${s.segmentId}@${s.version}`)
    .sort()
    .join(',');
  if (cached?.signature !== signature) {
    const segments: IndexedSegment[] = await Promise.all(
      active.map(async (s) => ({
        segmentId: s.segmentId,
        version: s.version,
        shards: s.shards,
        freshnessMinutes: s.freshnessMinutes,
        ...(s.kind !== 'static' && s.rule !== undefined && { rule: await compiledRule(s) }),
      })),
    );
    cached = { at: Date.now(), signature, index: new DependencyIndex(segments) };
  } else cached.at = Date.now();
  return cached.index;
}

export function forgetDependencyIndex(): void {
  cached = undefined;
}

export interface CustomerOutcome {
  evaluated: number;
  entered: string[];
  exited: string[];
  /** The customer no longer exists (erased, merged away): they left every segment. */
  gone: boolean;
}

/**
 * Re-evaluates one customer against `targets` (dynamic segment ids in dependency order, as
 * DependencyIndex.withDependents gives them) at `now`, writes the results through the membership writer
 * and records the next transitions of the time-dependent ones. `drop` names schedule entries to forget
 * (segments no longer active).
 */
export async function evaluateCustomer(
  customerId: string,
  targets: readonly string[],
  options: { index: DependencyIndex; reason: string; now?: number; drop?: readonly string[] },
): Promise<CustomerOutcome> {
  // Taken before anything is read: the membership writer keeps the newest evaluation by this stamp.
  const evaluatedAt = Date.now();
  const now = options.now ?? evaluatedAt;
  const segments = targets
    .map((id) => options.index.segments.get(id))
    .filter((s): s is IndexedSegment & Required<Pick<IndexedSegment, 'rule'>> => s?.rule !== undefined);
  const outcome: CustomerOutcome = { evaluated: 0, entered: [], exited: [], gone: false };
  if (segments.length === 0 && !options.drop?.length) return outcome;
  const needs = needsOf(segments.map((s) => s.rule.dependencies));
  const { items, subject } = await loadSubject(customerId, needs, await subjectContext(now));
  if (!subject) {
    outcome.gone = true;
    await leaveAllSegments(customerId, 'removed');
    if (items.profile === undefined) await dropSchedule(customerId);
    return outcome;
  }
  // Segments of segments see the results of this pass, so a cascade settles here rather than one
  // stream round trip per level (the flips still come back through the stream, and change nothing).
  const inSegments = new Set(subject.segments ?? []);
  subject.segments = inSegments;
  const transitions = new Map<string, number | null>();
  const writes = segments.map((s) => {
    const member = s.rule.evaluate(subject, now);
    if (member) inSegments.add(s.segmentId);
    else inSegments.delete(s.segmentId);
    if (s.rule.dependencies.timeDependent) {
      const next = s.rule.nextTransitionAt(subject, now);
      // A rule answering a time not after `now` would have the sweeper come back every minute.
      transitions.set(s.segmentId, next === null ? null : Math.max(next, now + 1));
    }
    return {
      segment: { segmentId: s.segmentId, shards: s.shards },
      evaluation: { segmentId: s.segmentId, customerId, member, evaluatedAt, reason: options.reason },
      known: items.memberships.get(s.segmentId) ?? null,
    };
  });
  for (const id of options.drop ?? []) transitions.set(id, null);
  const applied = await applyEvaluations(writes, { stamp: true, concurrency: 8 });
  applied.forEach((a, i) => {
    const id = writes[i]?.segment.segmentId as string;
    if (a === 'entered') outcome.entered.push(id);
    else if (a === 'exited') outcome.exited.push(id);
  });
  outcome.evaluated = writes.length;
  await reschedule(customerId, transitions, evaluatedAt, items.schedule);
  return outcome;
}

/** The dynamic segments a customer's change may affect, cascades included, in dependency order. */
export function targetsOf(index: DependencyIndex, touched: Touched): string[] {
  return index.withDependents(index.affectedBy(touched));
}

/**
 * The stream consumer: every customer changed in the batch is evaluated once, against the segments that
 * read what changed. Returns the index of the first record of a customer that could not be evaluated
 * (the stream retries from there; re-evaluating a customer is safe), or undefined when all were.
 */
export async function applySegmentStream(records: readonly DynamoDBRecord[]): Promise<number | undefined> {
  const { customers } = changesFromStream(records);
  if (customers.size === 0) return undefined;
  // The listing is read for every batch (one query; rules compile only when a version changes), so a
  // segment saved before a change was written is in the index that evaluates the change, and a newly
  // created segment misses no change between its recomputation's read of a customer and the next.
  const index = await dependencyIndex({ refresh: true });
  let failedFrom: number | undefined;
  await pMap(
    [...customers.values()],
    async ({ customerId, records, touched }) => {
      try {
        if (touched.gone) await leaveAllSegments(customerId, touched.gone);
        else {
          const targets = targetsOf(index, touched);
          if (targets.length > 0) await evaluateCustomer(customerId, targets, { index, reason: 'rule' });
        }
      } catch (error) {
        log.error('segment evaluation failed', { customerId, error: error as Error });
        const first = Math.min(...records);
        failedFrom = failedFrom === undefined ? first : Math.min(failedFrom, first);
      }
    },
    { concurrency: CUSTOMER_CONCURRENCY },
  );
  return failedFrom;
}

/**
 * Re-evaluates a customer whose schedule says a transition is due at `now`: the segments due, and the
 * segments reading their membership. Entries of segments no longer active are dropped.
 */
export async function sweepCustomer(customerId: string, now: number, index: DependencyIndex) {
  const schedule = await readSchedule(customerId);
  const due = Object.entries((schedule?.due as DueMap | undefined) ?? {}).filter(([, e]) => e.at <= now);
  const active = due.map(([id]) => id).filter((id) => index.segments.get(id)?.rule);
  const drop = due.map(([id]) => id).filter((id) => !index.segments.get(id)?.rule);
  // No schedule: erasure removed it with the customer's partition; the stream took them out already.
  if (!schedule) return undefined;
  return evaluateCustomer(customerId, index.withDependents(active), { index, reason: 'time', now, drop });
}

/**
 * Sweeps one minute of the time index at `now`: evaluates each customer due by then and removes their
 * item. Customers due later in the minute (the current one) stay for the next sweep.
 */
export async function sweepMinute(minute: number, now: number, index?: DependencyIndex) {
  const idx = index ?? (await dependencyIndex());
  const due = (await dueIn(minute)).filter((d) => d.dueAt <= now);
  const totals = { customers: due.length, entered: 0, exited: 0, failed: 0 };
  await pMap(
    due,
    async ({ customerId, shard, dueAt }) => {
      try {
        const outcome = await sweepCustomer(customerId, now, idx);
        totals.entered += outcome?.entered.length ?? 0;
        totals.exited += outcome?.exited.length ?? 0;
        await removeDue(minute, shard, customerId, dueAt);
      } catch (error) {
        totals.failed++;
        log.error('segment transition sweep failed', { customerId, error: error as Error });
      }
    },
    { concurrency: CUSTOMER_CONCURRENCY },
  );
  return totals;
}

/** The one cursor of the time index. */
const SWEEP = 'transitions';
/** A minute counts as swept for good once it ended this long ago, so a write racing its end has landed. */
const GRACE_MS = 10_000;
/** A missing cursor starts this many minutes back (the index holds nothing older on a new stage). */
const FIRST_LOOKBACK_MINUTES = 5;

/**
 * The scheduled sweep: every minute of the time index from the cursor up to the current one (whose
 * customers are taken only once due), within `budgetMs`. The cursor moves past a minute once it has
 * ended (plus a grace period) and was swept without failures; later minutes are read again next time,
 * which costs a few empty queries. Returns what it did.
 */
export async function sweepTransitions(now = Date.now(), budgetMs = 45_000) {
  const started = Date.now();
  const cursor = (await store().entities.segmentSweep.get({ name: SWEEP }).go({ consistent: true })).data;
  const settled = minuteOf(now - GRACE_MS) - 1;
  const current = minuteOf(now);
  const index = await dependencyIndex();
  const totals = {
    minutes: 0,
    customers: 0,
    entered: 0,
    exited: 0,
    failed: 0,
    sweptThrough: cursor?.sweptThrough,
  };
  let minute = (cursor?.sweptThrough ?? settled - FIRST_LOOKBACK_MINUTES) + 1;
  let clean = true;
  for (; minute <= current && Date.now() - started < budgetMs; minute++) {
    const done = await sweepMinute(minute, now, index);
    totals.minutes++;
    totals.customers += done.customers;
    totals.entered += done.entered;
    totals.exited += done.exited;
    totals.failed += done.failed;
    clean &&= done.failed === 0;
    if (clean && minute <= settled) {
      await store()
        .entities.segmentSweep.upsert({
          name: SWEEP,
          sweptThrough: minute,
          updatedAt: new Date().toISOString(),
        })
        .go({ response: 'none' });
      totals.sweptThrough = minute;
    }
  }
  return totals;
}
