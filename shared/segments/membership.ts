import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createConversions } from 'electrodb';
import pMap from 'p-map';
import { documentClient } from '../platform/aws.ts';
import { backoff } from '../platform/backoff.ts';
import { tableNameFromEnv } from '../platform/config.ts';
import { shardOf } from '../platform/ids.ts';
import { store } from '../store/service.ts';
import { tableDefinition } from '../store/table.ts';
import { packTransactions, type TransactItem } from '../store/transactions.ts';

/**
 * The membership writer: the ONE place a customer enters or leaves a segment. The incremental path,
 * full recomputations, static uploads, erasure and merges all go through `applyEvaluation`.
 *
 * Each (segment, customer) has one state item (segmentMembership) holding `member` and `evaluatedAt`,
 * the time the deciding evaluation read its data. A write is applied only over the exact state the
 * writer read (optimistic condition) and only when its evaluation is newer than the stored one, so two
 * writers racing (an incremental evaluation and a recomputation page) settle on the newest evaluation
 * whatever order their writes land in: no flapping, and an exit is never overwritten by an older entry.
 *
 * A flip is one transaction, or a part of one (`applyEvaluations` sends a page's flips together): the
 * state item (which also moves it in or out of the sharded members index) and the history item of the
 * stint; the shard's counter is added to afterwards, outside the
 * transaction, because transactions touching one counter item conflict with each other (a page of
 * entries would serialize on its shard counters). `applyEvaluations` adds a batch's flips up and writes
 * each counter once. A crash in between leaves a counter short until the next full recomputation
 * recounts the shards. The table stream turns the flip into
 * `segment.entered` / `segment.exited` (shared/events/changes.ts), so an event goes out exactly when a
 * flip is stored, at least once.
 */

export interface Evaluation {
  segmentId: string;
  customerId: string;
  member: boolean;
  /** Epoch ms at which the evaluation read the customer's data. */
  evaluatedAt: number;
  /** What decided it: rule (incremental), recompute, static, erased, merged, archived. */
  reason: string;
}

/** The stored state as a caller already read it (a recomputation reads it in its scan); null = none. */
export interface MembershipState {
  member: boolean;
  evaluatedAt: number;
  enteredAt?: string;
  /** The members-index shard the item sits in. */
  shard?: number;
}

export interface SegmentShape {
  segmentId: string;
  shards: number;
}

export type Applied = 'entered' | 'exited' | 'unchanged' | 'stale';

export interface ApplyOptions {
  /** The state as the caller read it; read here (consistently) when not given. */
  known?: MembershipState | null;
  /**
   * Also record an unchanged result's `evaluatedAt`, so an older evaluation still in flight cannot
   * flip it afterwards. The incremental path stamps (a few segments per change); a recomputation,
   * which would otherwise write every membership of every customer, does not.
   */
  stamp?: boolean;
  /**
   * Collects counter changes instead of applying each at once; the caller adds them up with
   * `applyTally` (a page of flips then writes each shard counter once).
   */
  tally?: Tally;
}

/** Net counter changes by `segmentId#shard`. */
export type Tally = Map<string, { segmentId: string; shard: number; delta: number }>;

async function count(tally: Tally | undefined, segmentId: string, shard: number, delta: number) {
  if (!tally) return addToCounter(segmentId, shard, delta);
  addToTally(tally, segmentId, shard, delta);
}

function addToTally(tally: Tally, segmentId: string, shard: number, delta: number) {
  const key = `${segmentId}#${shard}`;
  const entry = tally.get(key) ?? { segmentId, shard, delta: 0 };
  entry.delta += delta;
  tally.set(key, entry);
}

async function addToCounter(segmentId: string, shard: number, delta: number): Promise<void> {
  await documentClient().send(
    new UpdateCommand({
      TableName: tableNameFromEnv(),
      Key: counterKey(segmentId, shard),
      UpdateExpression:
        'ADD #count :delta SET #segmentId = :segmentId, #shard = :shard, #e = :entity, #v = :v',
      ExpressionAttributeNames: {
        '#count': 'count',
        '#segmentId': 'segmentId',
        '#shard': 'shard',
        '#e': '__edb_e__',
        '#v': '__edb_v__',
      },
      ExpressionAttributeValues: {
        ':delta': delta,
        ':segmentId': segmentId,
        ':shard': shard,
        ':entity': 'segmentShardCount',
        ':v': '1',
      },
    }),
  );
}

/** Applies collected counter changes, one update per shard counter that moved. */
export async function applyTally(tally: Tally): Promise<void> {
  await Promise.all(
    [...tally.values()].filter((t) => t.delta !== 0).map((t) => addToCounter(t.segmentId, t.shard, t.delta)),
  );
  tally.clear();
}

const { partitionKey, sortKey } = tableDefinition;
const MAX_ATTEMPTS = 20;

function membershipKey(customerId: string, segmentId: string): Record<string, string> {
  const keys = createConversions(
    store().entities.segmentMembership,
  ).byAccessPattern.byCustomer.fromComposite.toKeys({ customerId, segmentId }) as Record<string, string>;
  return { [partitionKey]: String(keys[partitionKey]), [sortKey]: String(keys[sortKey]) };
}

function membersIndexKeys(segmentId: string, shard: number, customerId: string) {
  const keys = createConversions(
    store().entities.segmentMembership,
  ).byAccessPattern.members.fromComposite.toKeys({ segmentId, shard, customerId }) as Record<string, string>;
  return { pk: String(keys.gsi1pk), sk: String(keys.gsi1sk) };
}

function historyKey(customerId: string, segmentId: string, enteredAt: string) {
  const keys = createConversions(
    store().entities.segmentHistory,
  ).byAccessPattern.byCustomer.fromComposite.toKeys({ customerId, segmentId, enteredAt }) as Record<
    string,
    string
  >;
  return { [partitionKey]: String(keys[partitionKey]), [sortKey]: String(keys[sortKey]) };
}

/** The key of one shard's size counter (`SEGC#<segmentId>#<shard>`), from the entity's key design. */
export function counterKey(segmentId: string, shard: number) {
  const keys = createConversions(
    store().entities.segmentShardCount,
  ).byAccessPattern.byShard.fromComposite.toKeys({ segmentId, shard }) as Record<string, string>;
  return { [partitionKey]: String(keys[partitionKey]), [sortKey]: String(keys[sortKey]) };
}

export async function readMembership(customerId: string, segmentId: string): Promise<MembershipState | null> {
  const { Item } = await documentClient().send(
    new GetCommand({
      TableName: tableNameFromEnv(),
      Key: membershipKey(customerId, segmentId),
      ConsistentRead: true,
    }),
  );
  if (!Item) return null;
  return {
    member: Item.member === true,
    evaluatedAt: Number(Item.evaluatedAt),
    ...(typeof Item.enteredAt === 'string' && { enteredAt: Item.enteredAt }),
    ...(typeof Item.shard === 'number' && { shard: Item.shard }),
  };
}

function isConditionFailure(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'TransactionCanceledException' || name === 'ConditionalCheckFailedException';
}

/** Applies one evaluation. Safe to repeat and to race with other writers of the same membership. */
export async function applyEvaluation(
  segment: SegmentShape,
  evaluation: Evaluation,
  options: ApplyOptions = {},
): Promise<Applied> {
  let state =
    options.known === undefined
      ? await readMembership(evaluation.customerId, segment.segmentId)
      : options.known;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) {
      await backoff(attempt, { baseMs: 5, capMs: 250 });
      state = await readMembership(evaluation.customerId, segment.segmentId);
    }
    if (state && state.evaluatedAt >= evaluation.evaluatedAt) return 'stale';
    const was = state?.member ?? false;
    try {
      if (was === evaluation.member) {
        if (options.stamp) await stamp(segment, evaluation, state);
        return 'unchanged';
      }
      await flip(segment, evaluation, state, options.tally);
      return evaluation.member ? 'entered' : 'exited';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Another writer changed the state since it was read: read it again and decide anew.
    }
  }
  throw new Error(
    `Membership of ${evaluation.customerId} in ${segment.segmentId} kept changing under the writer`,
  );
}

/** The condition that the item is still exactly as read. */
function asRead(state: MembershipState | null) {
  if (!state) {
    return {
      expression: 'attribute_not_exists(#pk)',
      names: { '#pk': partitionKey } as Record<string, string>,
      values: {} as Record<string, unknown>,
    };
  }
  return {
    expression: '#evaluatedAt = :seenAt AND #member = :seenMember',
    names: {} as Record<string, string>,
    values: { ':seenAt': state.evaluatedAt, ':seenMember': state.member } as Record<string, unknown>,
  };
}

async function stamp(segment: SegmentShape, e: Evaluation, state: MembershipState | null) {
  const seen = asRead(state);
  await documentClient().send(
    new UpdateCommand({
      TableName: tableNameFromEnv(),
      Key: membershipKey(e.customerId, segment.segmentId),
      UpdateExpression:
        'SET #evaluatedAt = :t, #member = if_not_exists(#member, :false), #shard = if_not_exists(#shard, :shard), #customerId = :customerId, #segmentId = :segmentId, #e = :entity, #v = :entityVersion',
      ConditionExpression: seen.expression,
      ExpressionAttributeNames: {
        ...seen.names,
        '#evaluatedAt': 'evaluatedAt',
        '#member': 'member',
        '#shard': 'shard',
        '#customerId': 'customerId',
        '#segmentId': 'segmentId',
        '#e': '__edb_e__',
        '#v': '__edb_v__',
      },
      ExpressionAttributeValues: {
        ...seen.values,
        ':t': e.evaluatedAt,
        ':false': false,
        ':shard': shardOf(e.customerId, segment.shards),
        ':customerId': e.customerId,
        ':segmentId': segment.segmentId,
        ':entity': 'segmentMembership',
        ':entityVersion': '1',
      },
    }),
  );
}

interface FlipWrite {
  items: TransactItem[];
  shard: number;
  delta: 1 | -1;
}

/** The writes of one flip, conditional on the state as read: the state item and the stint's history item. */
function flipWrite(segment: SegmentShape, e: Evaluation, state: MembershipState | null): FlipWrite {
  const table = tableNameFromEnv();
  // An exit leaves the shard the item is in (the segment may be gone, or its shards changed since).
  const shard = !e.member && state?.shard !== undefined ? state.shard : shardOf(e.customerId, segment.shards);
  const at = new Date().toISOString();
  const seen = asRead(state);
  const names = {
    ...seen.names,
    '#evaluatedAt': 'evaluatedAt',
    '#member': 'member',
    '#shard': 'shard',
    '#customerId': 'customerId',
    '#segmentId': 'segmentId',
    '#reason': 'reason',
    '#e': '__edb_e__',
    '#v': '__edb_v__',
  };
  const common = {
    ...seen.values,
    ':t': e.evaluatedAt,
    ':shard': shard,
    ':customerId': e.customerId,
    ':segmentId': segment.segmentId,
    ':reason': e.reason,
    ':entity': 'segmentMembership',
    ':entityVersion': '1',
  };
  const base =
    'SET #member = :member, #evaluatedAt = :t, #shard = :shard, #customerId = :customerId, #segmentId = :segmentId, #reason = :reason, #e = :entity, #v = :entityVersion';
  if (e.member) {
    const index = membersIndexKeys(segment.segmentId, shard, e.customerId);
    const history = store()
      .entities.segmentHistory.put({ customerId: e.customerId, segmentId: segment.segmentId, enteredAt: at })
      .params() as { Item: Record<string, unknown> };
    return {
      shard,
      delta: 1,
      items: [
        {
          Update: {
            TableName: table,
            Key: membershipKey(e.customerId, segment.segmentId),
            UpdateExpression: `${base}, #enteredAt = :at, #gpk = :gpk, #gsk = :gsk REMOVE #exitedAt`,
            ConditionExpression: seen.expression,
            ExpressionAttributeNames: {
              ...names,
              '#enteredAt': 'enteredAt',
              '#exitedAt': 'exitedAt',
              '#gpk': 'gsi1pk',
              '#gsk': 'gsi1sk',
            },
            ExpressionAttributeValues: {
              ...common,
              ':member': true,
              ':at': at,
              ':gpk': index.pk,
              ':gsk': index.sk,
            },
          },
        },
        { Put: { TableName: table, Item: history.Item } },
      ],
    };
  }
  const stint = state?.enteredAt;
  return {
    shard,
    delta: -1,
    items: [
      {
        Update: {
          TableName: table,
          Key: membershipKey(e.customerId, segment.segmentId),
          UpdateExpression: `${base}, #exitedAt = :at REMOVE #gpk, #gsk`,
          ConditionExpression: seen.expression,
          ExpressionAttributeNames: {
            ...names,
            '#exitedAt': 'exitedAt',
            '#gpk': 'gsi1pk',
            '#gsk': 'gsi1sk',
          },
          ExpressionAttributeValues: { ...common, ':member': false, ':at': at },
        },
      },
      ...(stint
        ? [
            {
              Update: {
                TableName: table,
                Key: historyKey(e.customerId, segment.segmentId, stint),
                UpdateExpression: 'SET #exitedAt = :at',
                ExpressionAttributeNames: { '#exitedAt': 'exitedAt' },
                ExpressionAttributeValues: { ':at': at },
              },
            },
          ]
        : []),
    ],
  };
}

async function flip(segment: SegmentShape, e: Evaluation, state: MembershipState | null, tally?: Tally) {
  const write = flipWrite(segment, e, state);
  await documentClient().send(new TransactWriteCommand({ TransactItems: write.items }));
  await count(tally, segment.segmentId, write.shard, write.delta);
}

type Item = { segment: SegmentShape; evaluation: Evaluation; known?: MembershipState | null };

/** A flip the caller's read says is due: the state is known, older than the evaluation, and differs. */
function knownFlip(item: Item): item is Item & { known: MembershipState | null } {
  if (item.known === undefined) return false;
  if (item.known && item.known.evaluatedAt >= item.evaluation.evaluatedAt) return false;
  return (item.known?.member ?? false) !== item.evaluation.member;
}

/**
 * Applies many evaluations, `concurrency` requests at a time. Returns what each one did, in order.
 *
 * Flips over states the caller read (a recomputation page, a customer's partition) go out together, up
 * to DynamoDB's 100 items in one transaction, each still conditional on its state as read: a page that
 * enters customers into many segments costs one request per 50 or so flips rather than one per flip.
 * A transaction is all or nothing, so when one of its conditions fails (another writer got there first)
 * each of its flips is applied alone, reading its state again where it changed.
 */
export async function applyEvaluations(
  items: readonly Item[],
  options: { stamp?: boolean; concurrency?: number } = {},
): Promise<Applied[]> {
  const tally: Tally = new Map();
  const results: Applied[] = new Array(items.length);
  const one = async (i: number) => {
    const item = items[i] as Item;
    results[i] = await applyEvaluation(item.segment, item.evaluation, {
      ...(item.known !== undefined && { known: item.known }),
      ...(options.stamp !== undefined && { stamp: options.stamp }),
      tally,
    });
  };
  // Flips over known states go out in shared transactions (a membership at most once in each).
  const flips = items.flatMap((item, index) =>
    knownFlip(item) ? [{ index, write: flipWrite(item.segment, item.evaluation, item.known) }] : [],
  );
  const packed = packTransactions(
    flips,
    (f) => f.write.items.length,
    (f) => `${items[f.index]?.evaluation.customerId}#${items[f.index]?.segment.segmentId}`,
  );
  const alone = [
    ...items.flatMap((item, index) => (knownFlip(item) ? [] : [index])),
    ...packed.alone.map((f) => f.index),
  ];
  const sendBatch = async (batch: typeof flips) => {
    if (batch.length === 1) return one((batch[0] as (typeof flips)[number]).index);
    try {
      await documentClient().send(
        new TransactWriteCommand({ TransactItems: batch.flatMap((f) => f.write.items) }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await pMap(batch, (f) => one(f.index), { concurrency: 4 });
      return;
    }
    for (const { index, write } of batch) {
      const item = items[index] as Item;
      results[index] = item.evaluation.member ? 'entered' : 'exited';
      addToTally(tally, item.segment.segmentId, write.shard, write.delta);
    }
  };
  try {
    await pMap(
      [...packed.groups.map((b) => () => sendBatch(b)), ...alone.map((i) => () => one(i))],
      (job) => job(),
      { concurrency: options.concurrency ?? 16 },
    );
    return results;
  } finally {
    // The flips that did happen are counted even when another one failed.
    await applyTally(tally);
  }
}

/** The segments a customer is in now, with when they entered (one query of the customer's partition). */
export async function segmentsOf(customerId: string) {
  const result = await store()
    .entities.segmentMembership.query.byCustomer({ customerId })
    .go({ pages: 'all', consistent: true });
  return result.data;
}

/**
 * Takes a customer out of every segment (erasure, or a profile merged away), through the writer so
 * counters, history and exit events stay right.
 */
export async function leaveAllSegments(customerId: string, reason: string): Promise<number> {
  const memberships = (await segmentsOf(customerId)).filter((m) => m.member);
  if (memberships.length === 0) return 0;
  const segments = await store()
    .entities.segment.get(memberships.map((m) => ({ segmentId: m.segmentId })))
    .go();
  const shards = new Map(segments.data.map((s) => [s.segmentId, s.shards]));
  const now = Date.now();
  const applied = await applyEvaluations(
    memberships.map((m) => ({
      segment: { segmentId: m.segmentId, shards: shards.get(m.segmentId) ?? 1 },
      known: {
        member: m.member,
        evaluatedAt: m.evaluatedAt,
        shard: m.shard,
        ...(m.enteredAt && { enteredAt: m.enteredAt }),
      },
      evaluation: {
        segmentId: m.segmentId,
        customerId,
        member: false,
        evaluatedAt: Math.max(now, m.evaluatedAt + 1),
        reason,
      },
    })),
  );
  return applied.filter((a) => a === 'exited').length;
}
