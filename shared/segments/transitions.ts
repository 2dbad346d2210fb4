import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import pMap from 'p-map';
import { documentClient } from '../platform/aws.ts';
import { shardOf } from '../platform/ids.ts';
import { store } from '../store/service.ts';
import { packTransactions, type TransactItem } from '../store/transactions.ts';
import type { Subject } from './subject.ts';
import type { CompiledRule } from './types.ts';

/**
 * Per-customer scheduled transitions. After evaluating a customer against time-dependent segments, the
 * evaluator asks each rule when its outcome may next change with the clock alone (`nextTransitionAt`) and
 * records it here: a segmentSchedule item in the customer's partition (one entry per segment) and one
 * segmentDue item in the minute-and-shard time index at the earliest of them. The sweeper reads the time
 * index minute by minute and re-evaluates the customers it finds (live.ts).
 */

export const MINUTE_MS = 60_000;
/** Write shards of one minute of the time index. */
export const DUE_SHARDS = 8;
/** A due item outlives its time by this much at most (TTL backstop; the sweeper deletes it first). */
const DUE_TTL_S = 7 * 86_400;
const MAX_ATTEMPTS = 8;

export interface DueEntry {
  /** Epoch ms at which the segment's outcome may change. */
  at: number;
  /** Epoch ms of the evaluation that computed it; an older evaluation never replaces it. */
  evaluatedAt: number;
}
export type DueMap = Record<string, DueEntry>;

/** A customer's segmentSchedule item as read (by a get, or by a recomputation's scan of the partition). */
export interface StoredSchedule {
  due: DueMap;
  version: number;
  dueAt?: number;
  dueMinute?: number;
}

export const minuteOf = (ms: number) => Math.floor(ms / MINUTE_MS);
export const dueShardOf = (customerId: string) => shardOf(customerId, DUE_SHARDS);

/**
 * Applies one evaluation's answers (segment -> next transition, null for none) to the stored map. An
 * entry is replaced only by a newer evaluation. Returns undefined when nothing changes.
 */
export function mergeDue(
  current: DueMap,
  updates: ReadonlyMap<string, number | null>,
  evaluatedAt: number,
): DueMap | undefined {
  const next: DueMap = { ...current };
  let changed = false;
  for (const [segmentId, at] of updates) {
    const entry = next[segmentId];
    if (entry && entry.evaluatedAt >= evaluatedAt) continue;
    if (at === null) {
      if (entry) {
        delete next[segmentId];
        changed = true;
      }
    } else if (!entry || entry.at !== at) {
      next[segmentId] = { at, evaluatedAt };
      changed = true;
    } else {
      // Same time, newer evaluation: keep the newer stamp so an older one in flight cannot move it.
      next[segmentId] = { at, evaluatedAt };
    }
  }
  return changed ? next : undefined;
}

export function earliest(due: DueMap): number | undefined {
  let min: number | undefined;
  for (const { at } of Object.values(due)) if (min === undefined || at < min) min = at;
  return min;
}

export async function readSchedule(customerId: string): Promise<StoredSchedule | undefined> {
  const result = await store().entities.segmentSchedule.get({ customerId }).go({ consistent: true });
  return result.data ? { ...result.data, due: result.data.due as DueMap } : undefined;
}

function isConflict(error: unknown): boolean {
  const e = error as { name?: string; cause?: { name?: string } };
  return [e?.name, e?.cause?.name].some(
    (n) => n === 'ConditionalCheckFailedException' || n === 'TransactionCanceledException',
  );
}

/**
 * The writes that record one evaluation's answers over the schedule as read (undefined: none stored):
 * the schedule item, conditional on that version, and the move of the customer's due item when the
 * earliest time moves. Undefined when nothing changes.
 */
function scheduleWrite(
  customerId: string,
  current: StoredSchedule | undefined,
  updates: ReadonlyMap<string, number | null>,
  evaluatedAt: number,
): TransactItem[] | undefined {
  const due = mergeDue(current?.due ?? {}, updates, evaluatedAt);
  if (!due) return undefined;
  const dueAt = earliest(due);
  // A time already past (or in this minute) goes into the current minute: the sweeper never reads a
  // minute before it has ended, so the item cannot land in a minute already swept.
  const minute = dueAt === undefined ? undefined : Math.max(minuteOf(dueAt), minuteOf(Date.now()));
  const oldMinute = current?.dueMinute;
  const shard = dueShardOf(customerId);
  const { segmentSchedule, segmentDue } = store().entities;
  const schedule = {
    customerId,
    due,
    version: (current?.version ?? 0) + 1,
    ...(dueAt !== undefined && { dueAt }),
    ...(minute !== undefined && { dueMinute: minute }),
  };
  const items: TransactItem[] = [
    {
      Put: current
        ? segmentSchedule
            .put(schedule)
            .where((attr, op) => op.eq(attr.version, current.version))
            .params()
        : segmentSchedule.create(schedule).params(),
    },
  ];
  if (minute !== undefined && dueAt !== undefined && (minute !== oldMinute || dueAt !== current?.dueAt)) {
    items.push({
      Put: segmentDue
        .put({ minute, shard, customerId, dueAt, expiresAt: Math.floor(dueAt / 1000) + DUE_TTL_S })
        .params(),
    });
  }
  if (oldMinute !== undefined && oldMinute !== minute) {
    items.push({ Delete: segmentDue.delete({ minute: oldMinute, shard, customerId }).params() });
  }
  return items;
}

/**
 * Records the next transitions one evaluation computed for a customer, moving the customer's due item
 * when the earliest of them moves. Optimistic: retried on a concurrent write of the same schedule.
 * `known` is the schedule as the caller already read it (null: none), so a recomputation, whose scan
 * passed over the item, reads nothing more when nothing changes; a write over a stale copy fails its
 * version condition and is retried on a fresh read.
 */
export async function reschedule(
  customerId: string,
  updates: ReadonlyMap<string, number | null>,
  evaluatedAt: number,
  known?: StoredSchedule | null,
): Promise<void> {
  if (updates.size === 0) return;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current =
      attempt === 0 && known !== undefined ? (known ?? undefined) : await readSchedule(customerId);
    const items = scheduleWrite(customerId, current, updates, evaluatedAt);
    if (!items) return;
    try {
      await documentClient().send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
  throw new Error(`The segment schedule of ${customerId} kept changing under the writer`);
}

/** Customers in one minute of the time index, shard by shard, with the time each is due. */
export async function dueIn(minute: number): Promise<{ customerId: string; shard: number; dueAt: number }[]> {
  const shards = await Promise.all(
    Array.from({ length: DUE_SHARDS }, (_, shard) =>
      store()
        .entities.segmentDue.query.byMinute({ minute, shard })
        .go({ pages: 'all', attributes: ['customerId', 'shard', 'dueAt'] }),
    ),
  );
  return shards.flatMap((r) =>
    r.data.map((d) => ({ customerId: d.customerId, shard: d.shard, dueAt: d.dueAt })),
  );
}

/**
 * Removes a swept due item, unless a new evaluation has meanwhile put another time at the same key
 * (the sweep of the current minute re-evaluates customers whose next transition lands in it again).
 */
export async function removeDue(minute: number, shard: number, customerId: string, dueAt: number) {
  try {
    await store()
      .entities.segmentDue.delete({ minute, shard, customerId })
      .where((attr, op) => op.eq(attr.dueAt, dueAt))
      .go({ response: 'none' });
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}

/** Forgets a customer's schedule (the customer is gone); their due items are removed as swept. */
export async function dropSchedule(customerId: string): Promise<void> {
  await store().entities.segmentSchedule.delete({ customerId }).go({ response: 'none' });
}

/**
 * Records the next transitions of the time-dependent rules among `rules` for customers just evaluated
 * at `evaluatedAt` (a recomputation page, a merge survivor), so the sweeper picks them up from then on.
 * Subjects must hold the segments as the evaluation left them (recompute's `decide` does that).
 *
 * Schedules the caller read (`schedule` given) that change go out together, up to 100 items in one
 * transaction, each conditional on its version as read (a first recomputation writes every customer's
 * schedule); when a condition fails, each customer of that transaction is rescheduled alone.
 */
export async function scheduleSubjects(
  evaluated: readonly {
    customerId: string;
    subject: Subject | undefined;
    /** The schedule as the caller read it (null: none); read here when absent. */
    schedule?: StoredSchedule | null;
  }[],
  rules: ReadonlyMap<string, CompiledRule>,
  evaluatedAt: number,
  concurrency = 16,
): Promise<void> {
  const timed = [...rules].filter(([, r]) => r.dependencies.timeDependent);
  if (timed.length === 0) return;
  type Planned = {
    customerId: string;
    updates: Map<string, number | null>;
    known: StoredSchedule | null;
    items: TransactItem[];
  };
  const unread: { customerId: string; updates: Map<string, number | null> }[] = [];
  const planned: Planned[] = [];
  for (const { customerId, subject, schedule } of evaluated) {
    if (!subject) continue;
    const updates = new Map<string, number | null>();
    for (const [segmentId, rule] of timed) {
      const at = rule.nextTransitionAt(subject, evaluatedAt);
      updates.set(segmentId, at === null ? null : Math.max(at, evaluatedAt + 1));
    }
    if (schedule === undefined) {
      unread.push({ customerId, updates });
      continue;
    }
    const items = scheduleWrite(customerId, schedule ?? undefined, updates, evaluatedAt);
    if (items) planned.push({ customerId, updates, known: schedule, items });
  }
  const { groups, alone } = packTransactions(
    planned,
    (p) => p.items.length,
    (p) => p.customerId,
  );
  const jobs: (() => Promise<void>)[] = [
    ...unread.map((u) => () => reschedule(u.customerId, u.updates, evaluatedAt)),
    // A customer twice in a page: the second goes alone, on a fresh read.
    ...alone.map((p) => () => reschedule(p.customerId, p.updates, evaluatedAt)),
    ...groups.map((group) => async () => {
      if (group.length === 1) {
        const only = group[0] as Planned;
        await reschedule(only.customerId, only.updates, evaluatedAt, only.known);
        return;
      }
      try {
        await documentClient().send(
          new TransactWriteCommand({ TransactItems: group.flatMap((p) => p.items) }),
        );
      } catch (error) {
        if (!isConflict(error)) throw error;
        await pMap(group, (p) => reschedule(p.customerId, p.updates, evaluatedAt, p.known), {
          concurrency: 4,
        });
      }
    }),
  ];
  await pMap(jobs, (job) => job(), { concurrency });
}
