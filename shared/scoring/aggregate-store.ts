import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { createConversions, type EntityItem } from 'electrodb';
import { backoff } from '../platform/backoff.ts';
import { tableNameFromEnv } from '../platform/config.ts';
import { DomainError } from '../platform/errors.ts';
import { log } from '../platform/log.ts';
import { isConditionFailure } from '../store/conditions.ts';
import type { CustomerAggregate } from '../store/entities/customer-aggregate.ts';
import { store } from '../store/service.ts';
import { tableDefinition } from '../store/table.ts';
import {
  applyPurchase,
  emptyPurchaseState,
  type FoldContext,
  type PurchaseEvent,
  type PurchaseState,
} from './aggregates.ts';
import type { ScoringSettings } from './settings.ts';
import { scoringSettings } from './settings-store.ts';

/**
 * Keeps one aggregate item per customer current from the table's stream. Orders and refunds are added
 * with the order-independent fold of aggregates.ts, so a redelivered or reordered record changes nothing.
 * The fold cannot take a purchase back out (a day folded into its month keeps only a bit per day), so a
 * purchase leaving a customer — moved to a merge survivor, or erased — rebuilds that customer's aggregate
 * from the purchases still theirs, leaving out the ones this batch saw leave.
 */

export type AggregateItem = EntityItem<CustomerAggregate>;

/** An order or refund as the event entity stores it. */
export interface StoredPurchase {
  eventId: string;
  type: 'order' | 'refund';
  orderId: string;
  occurredAt: string;
  amount: number;
  currency: string;
}

export interface PurchaseChange {
  /** Index of the stream record it came from. */
  index: number;
  customerId: string;
  op: 'add' | 'remove';
  purchase: StoredPurchase;
}

const PURCHASE_TYPES = new Set(['order', 'refund']);

function image(raw: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return raw ? unmarshall(raw as Record<string, AttributeValue>) : undefined;
}

function purchaseOf(item: Record<string, unknown> | undefined): StoredPurchase | undefined {
  if (item?.__edb_e__ !== 'event' || !PURCHASE_TYPES.has(String(item.type))) return undefined;
  if (typeof item.amount !== 'number' || typeof item.currency !== 'string') return undefined;
  const eventId = String(item.eventId);
  return {
    eventId,
    type: item.type as 'order' | 'refund',
    orderId: typeof item.orderId === 'string' ? item.orderId : eventId,
    occurredAt: String(item.occurredAt),
    amount: item.amount,
    currency: item.currency,
  };
}

/**
 * What each stream record means for the aggregates. Pure. INSERT adds; a MODIFY that changes the owner
 * (a merge moving the order) removes from the old customer and adds to the new; REMOVE (erasure) removes.
 */
export function purchaseChangesFromStream(records: DynamoDBRecord[]): PurchaseChange[] {
  const changes: PurchaseChange[] = [];
  records.forEach((record, index) => {
    // Most of the stream is not orders: look at the raw type attributes before unmarshalling anything.
    const raw = [record.dynamodb?.OldImage, record.dynamodb?.NewImage] as (
      | Record<string, { S?: string }>
      | undefined
    )[];
    if (!raw.some((r) => r?.__edb_e__?.S === 'event' && PURCHASE_TYPES.has(r.type?.S ?? ''))) return;
    const oldImage = image(record.dynamodb?.OldImage as Record<string, unknown> | undefined);
    const newImage = image(record.dynamodb?.NewImage as Record<string, unknown> | undefined);
    const before = purchaseOf(oldImage);
    const after = purchaseOf(newImage);
    const beforeOwner = oldImage?.customerId;
    const afterOwner = newImage?.customerId;
    if (before && typeof beforeOwner === 'string' && (!after || beforeOwner !== afterOwner)) {
      changes.push({ index, customerId: beforeOwner, op: 'remove', purchase: before });
    }
    if (after && typeof afterOwner === 'string' && (!before || beforeOwner !== afterOwner)) {
      changes.push({ index, customerId: afterOwner, op: 'add', purchase: after });
    }
  });
  return changes;
}

export function foldContext(settings: ScoringSettings, now = Date.now()): FoldContext {
  return {
    now,
    currency: settings.currency,
    futureToleranceMs: settings.aggregates.futureToleranceMinutes * 60_000,
    detailDays: settings.aggregates.detailDays,
  };
}

/** A refund is booked on its order's day; the order's record says which, or the refund's own day without it. */
async function toFoldEvents(purchases: StoredPurchase[]): Promise<PurchaseEvent[]> {
  const refunds = purchases.filter((p) => p.type === 'refund');
  const orderDates = new Map<string, string>();
  if (refunds.length > 0) {
    const ids = [...new Set(refunds.flatMap((r) => [`order:${r.orderId}`, r.orderId]))];
    const found = await store()
      .entities.event.get(ids.map((eventId) => ({ eventId })))
      .go({ attributes: ['eventId', 'type', 'orderId', 'occurredAt'] });
    for (const item of found.data) {
      if (item.type === 'order' && item.orderId) orderDates.set(item.orderId, item.occurredAt);
    }
  }
  return purchases.map((p) =>
    p.type === 'order'
      ? { kind: 'order', orderId: p.orderId, orderedAt: p.occurredAt, amount: p.amount, currency: p.currency }
      : {
          kind: 'refund',
          refundId: p.eventId,
          orderId: p.orderId,
          orderedAt: orderDates.get(p.orderId) ?? p.occurredAt,
          amount: p.amount,
          currency: p.currency,
        },
  );
}

/** Folds purchases into a state; one that cannot count (a currency whose rate was removed) is logged and left out. */
function foldAll(state: PurchaseState, events: PurchaseEvent[], context: FoldContext) {
  let applied = 0;
  for (const event of events) {
    try {
      const result = applyPurchase(state, event, context);
      state = result.state;
      if (result.applied) applied++;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      log.warn('purchase left out of the aggregate', {
        kind: event.kind,
        id: event.kind === 'order' ? event.orderId : event.refundId,
        reason: error.message,
      });
    }
  }
  return { state, applied };
}

/** The purchases the timeline index lists for a customer, less the ones known to have just left. */
async function purchasesOf(customerId: string, leaving: Set<string>): Promise<StoredPurchase[]> {
  const result = await store()
    .entities.event.query.timeline({ customerId })
    .where((attr, op) => `${op.eq(attr.type, 'order')} OR ${op.eq(attr.type, 'refund')}`)
    .go({ pages: 'all', attributes: ['eventId', 'type', 'orderId', 'occurredAt', 'amount', 'currency'] });
  const out: StoredPurchase[] = [];
  for (const item of result.data) {
    if (leaving.has(item.eventId) || item.amount === undefined || item.currency === undefined) continue;
    out.push({
      eventId: item.eventId,
      type: item.type as 'order' | 'refund',
      orderId: item.orderId ?? item.eventId,
      occurredAt: item.occurredAt,
      amount: item.amount,
      currency: item.currency,
    });
  }
  return out;
}

const MAX_ATTEMPTS = 20;

export async function readAggregate(customerId: string): Promise<AggregateItem | undefined> {
  const result = await store().entities.customerAggregate.get({ customerId }).go({ consistent: true });
  return result.data ?? undefined;
}

/**
 * Applies one customer's changes from a batch under optimistic concurrency: read, fold, write if the
 * version is still the one read, else again. Returns whether anything was written.
 */
export async function updateAggregate(
  customerId: string,
  changes: PurchaseChange[],
  settings: ScoringSettings,
): Promise<boolean> {
  const s = store().entities.customerAggregate;
  const leaving = new Set(changes.filter((c) => c.op === 'remove').map((c) => c.purchase.eventId));
  const adds = await toFoldEvents(changes.filter((c) => c.op === 'add').map((c) => c.purchase));
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    await backoff(attempt, { baseMs: 5, capMs: 200 });
    const current = await readAggregate(customerId);
    const context = foldContext(settings);
    let state: PurchaseState = (current?.state as PurchaseState | undefined) ?? emptyPurchaseState();
    let changed = false;
    if (leaving.size > 0) {
      const rest = await toFoldEvents(await purchasesOf(customerId, leaving));
      state = foldAll(emptyPurchaseState(), rest, context).state;
      changed = true;
    }
    const folded = foldAll(state, adds, context);
    state = folded.state;
    changed ||= folded.applied > 0;
    if (!changed) return false;
    try {
      if (state.seen.length === 0) {
        // Nothing left (every purchase moved away or erased): no aggregate rather than an empty one.
        if (current)
          await s
            .delete({ customerId })
            .where((attr, op) => op.eq(attr.version, current.version))
            .go();
        return true;
      }
      const item = {
        customerId,
        state,
        ...(current?.scores !== undefined && { scores: current.scores }),
        version: (current?.version ?? 0) + 1,
        updatedAt: new Date().toISOString(),
      };
      if (current)
        await s
          .put(item)
          .where((attr, op) => op.eq(attr.version, current.version))
          .go({ response: 'none' });
      else await s.create(item).go({ response: 'none' });
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
  throw new Error(`The aggregate of ${customerId} kept changing under ${MAX_ATTEMPTS} attempts`);
}

/**
 * Applies a batch of stream records. Returns the index of the first record whose customer could not be
 * updated (the stream retries from there), or undefined when all were.
 */
export async function applyStreamRecords(records: DynamoDBRecord[]): Promise<number | undefined> {
  const changes = purchaseChangesFromStream(records);
  if (changes.length === 0) return undefined;
  const settings = await scoringSettings();
  const byCustomer = new Map<string, PurchaseChange[]>();
  for (const change of changes) {
    const list = byCustomer.get(change.customerId) ?? [];
    list.push(change);
    byCustomer.set(change.customerId, list);
  }
  let firstFailed: number | undefined;
  await Promise.all(
    [...byCustomer].map(async ([customerId, list]) => {
      try {
        await updateAggregate(customerId, list, settings);
      } catch (error) {
        log.error('aggregate update failed', { customerId, error: error as Error });
        const first = Math.min(...list.map((c) => c.index));
        firstFailed = firstFailed === undefined ? first : Math.min(firstFailed, first);
      }
    }),
  );
  return firstFailed;
}

let aggregateKeys: Record<string, string> | undefined;

/**
 * The filter and projection of a Scan that reads every customer's aggregate (id, state, scores): the
 * keys come from the aggregate entity, so rescoring, reports and the benchmark read the same items.
 */
export function aggregateScanInput() {
  aggregateKeys ??= createConversions(
    store().entities.customerAggregate,
  ).byAccessPattern.byCustomer.fromComposite.toKeys({ customerId: '' }) as Record<string, string>;
  const { partitionKey, sortKey } = tableDefinition;
  return {
    TableName: tableNameFromEnv(),
    FilterExpression: '#sk = :sk AND begins_with(#pk, :pk)',
    ProjectionExpression: '#id, #state, #scores',
    ExpressionAttributeNames: {
      '#pk': partitionKey,
      '#sk': sortKey,
      '#id': 'customerId',
      '#state': 'state',
      '#scores': 'scores',
    },
    ExpressionAttributeValues: { ':pk': aggregateKeys[partitionKey], ':sk': aggregateKeys[sortKey] },
  };
}
