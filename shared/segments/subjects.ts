import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import pMap from 'p-map';
import { documentClient } from '../platform/aws.ts';
import { tableNameFromEnv } from '../platform/config.ts';
import { emptyPurchaseState, type PurchaseState } from '../scoring/aggregates.ts';
import { computedFrom } from '../scoring/profile.ts';
import { store } from '../store/service.ts';
import { tableDefinition } from '../store/table.ts';
import type { MembershipState } from './membership.ts';
import type { Subject, SubjectEvent, SubjectProfile } from './subject.ts';
import type { DueMap, StoredSchedule } from './transitions.ts';
import type { Dependencies } from './types.ts';

/**
 * Assembles rule subjects from the store. Everything a rule reads except events sits in the customer's
 * own partition (profile, purchase aggregate and scores, consents, segment memberships), so one query
 * (or, in a recomputation, the scan that already passes over the partition) gives all of it; events come
 * from the timeline index, only when a rule counts them, only of the types it names and only as far back
 * as its widest window.
 */

/** What the rules of one evaluation need, merged over all of them. */
export interface Needs {
  computed: boolean;
  eventTypes: string[];
  /** Days of events back from now; null for all of them. */
  eventDays: number | null;
}

export function needsOf(dependencies: readonly Dependencies[]): Needs {
  const types = new Set<string>();
  let days: number | null = 0;
  let computed = false;
  for (const d of dependencies) {
    for (const t of d.eventTypes) types.add(t);
    if (d.eventTypes.length > 0)
      days = d.eventDays === null || days === null ? null : Math.max(days, d.eventDays);
    if (d.fields.some((f) => f.startsWith('computed.'))) computed = true;
  }
  return { computed, eventTypes: [...types].sort(), eventDays: days };
}

/** A customer's partition as the scan or a query returns it, items in any order. */
export interface CustomerItems {
  customerId: string;
  profile?: Record<string, unknown>;
  aggregate?: Record<string, unknown>;
  consents: Record<string, unknown>[];
  memberships: Map<string, MembershipState>;
  /** The customer's transition schedule (segmentSchedule), null when they have none. */
  schedule: StoredSchedule | null;
  /** An erasure tombstone or a merge redirect: the customer is gone, whatever else is left. */
  gone: boolean;
}

const CUSTOMER_PK = 'CUST#';

export function emptyCustomerItems(customerId: string): CustomerItems {
  return { customerId, consents: [], memberships: new Map(), schedule: null, gone: false };
}

/** Sorts one item of a customer's partition into its place; items of other entities are ignored. */
export function addCustomerItem(into: CustomerItems, item: Record<string, unknown>): void {
  switch (item.__edb_e__) {
    case 'customer':
      into.profile = item;
      break;
    case 'customerAggregate':
      into.aggregate = item;
      break;
    case 'consent':
      into.consents.push(item);
      break;
    case 'segmentMembership':
      into.memberships.set(String(item.segmentId), {
        member: item.member === true,
        evaluatedAt: Number(item.evaluatedAt),
        ...(typeof item.enteredAt === 'string' && { enteredAt: item.enteredAt }),
        ...(typeof item.shard === 'number' && { shard: item.shard }),
      });
      break;
    case 'segmentSchedule':
      into.schedule = {
        due: (item.due ?? {}) as DueMap,
        version: Number(item.version),
        ...(typeof item.dueAt === 'number' && { dueAt: item.dueAt }),
        ...(typeof item.dueMinute === 'number' && { dueMinute: item.dueMinute }),
      };
      break;
    case 'erasure':
    case 'mergedCustomer':
      into.gone = true;
      break;
  }
}

export function customerIdOfKey(pk: unknown): string | undefined {
  return typeof pk === 'string' && pk.startsWith(CUSTOMER_PK) ? pk.slice(CUSTOMER_PK.length) : undefined;
}

function profileOf(item: Record<string, unknown>): SubjectProfile {
  const pick = <K extends keyof SubjectProfile>(key: K) =>
    item[key] === undefined || item[key] === null ? {} : { [key]: item[key] as SubjectProfile[K] };
  return {
    ...pick('externalId'),
    ...pick('email'),
    ...pick('emails'),
    ...pick('phone'),
    ...pick('phones'),
    ...pick('name'),
    ...pick('givenName'),
    ...pick('familyName'),
    ...pick('gender'),
    ...pick('birthday'),
    ...pick('locale'),
    ...pick('timeZone'),
    ...pick('address'),
    ...pick('tags'),
    ...pick('sourceChannel'),
    ...(typeof item.owner === 'string' && item.owner !== '' && { owner: item.owner }),
    ...pick('attributes'),
    ...pick('createdAt'),
    ...pick('updatedAt'),
  };
}

export interface SubjectContext {
  now: number;
  currency: string;
  windowDays: readonly number[];
}

/**
 * The subject of a customer whose partition has been read; undefined when the customer does not exist
 * (never created, erased, merged away): such a customer is in no segment.
 */
export function subjectFromItems(
  items: CustomerItems,
  needs: Needs,
  context: SubjectContext,
  events?: readonly SubjectEvent[],
): Subject | undefined {
  if (!items.profile || items.gone) return undefined;
  const subject: Subject = { id: items.customerId, profile: profileOf(items.profile) };
  const location = (items.profile.address as { location?: { lat?: unknown; lon?: unknown } } | undefined)
    ?.location;
  if (typeof location?.lat === 'number' && typeof location.lon === 'number') {
    subject.location = { lat: location.lat, lon: location.lon };
  }
  const aggregate = items.aggregate;
  if (needs.computed) {
    const state = (aggregate?.state as PurchaseState | undefined) ?? emptyPurchaseState();
    const c = computedFrom(
      state,
      { currency: context.currency, windowDays: context.windowDays },
      context.now,
    );
    subject.computed = {
      currency: c.currency,
      orders: c.orders,
      revenue: c.revenue,
      averageOrderValue: c.averageOrderValue,
      purchaseDays: c.purchaseDays,
      firstPurchaseDate: c.firstPurchaseDate,
      lastPurchaseDate: c.lastPurchaseDate,
    };
  }
  if (aggregate?.scores !== undefined) subject.scores = aggregate.scores as Subject['scores'] & object;
  const consents: Record<string, 'opted_in' | 'opted_out' | 'pending'> = {};
  for (const c of items.consents) {
    consents[`${String(c.channel)}:${String(c.topic)}`] = c.status as 'opted_in' | 'opted_out' | 'pending';
  }
  subject.consents = consents;
  subject.segments = new Set([...items.memberships].filter(([, m]) => m.member).map(([id]) => id));
  if (events) subject.events = events;
  return subject;
}

/** One customer's partition, read consistently. */
export async function readCustomerItems(customerId: string): Promise<CustomerItems> {
  const into = emptyCustomerItems(customerId);
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: tableNameFromEnv(),
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': tableDefinition.partitionKey },
        ExpressionAttributeValues: { ':pk': `${CUSTOMER_PK}${customerId}` },
        ConsistentRead: true,
        ...(start && { ExclusiveStartKey: start }),
      }),
    );
    for (const item of page.Items ?? []) addCustomerItem(into, item);
    start = page.LastEvaluatedKey;
  } while (start);
  return into;
}

/** The customer's events of the needed types within the needed window, from the timeline index. */
export async function readEvents(customerId: string, needs: Needs, now: number): Promise<SubjectEvent[]> {
  if (needs.eventTypes.length === 0) return [];
  const types = new Set(needs.eventTypes);
  let query = store().entities.event.query.timeline({ customerId });
  if (needs.eventDays !== null) {
    query = query.gte({
      occurredAt: new Date(now - needs.eventDays * 86_400_000).toISOString(),
    }) as unknown as typeof query;
  }
  const result = await query.go({
    pages: 'all',
    attributes: ['type', 'occurredAt', 'properties', 'amount', 'currency', 'channel', 'orderId'],
  });
  const events: SubjectEvent[] = [];
  for (const e of result.data) {
    if (!types.has(e.type)) continue;
    events.push({
      type: e.type,
      at: Date.parse(e.occurredAt),
      properties: {
        ...((e.properties as Record<string, unknown> | undefined) ?? {}),
        ...(e.amount !== undefined && { amount: e.amount }),
        ...(e.currency !== undefined && { currency: e.currency }),
        ...(e.channel !== undefined && { channel: e.channel }),
        ...(e.orderId !== undefined && { orderId: e.orderId }),
      },
    });
  }
  return events;
}

/** The subject of one customer now, or undefined when the customer does not exist. */
export async function loadSubject(customerId: string, needs: Needs, context: SubjectContext) {
  const [items, events] = await Promise.all([
    readCustomerItems(customerId),
    readEvents(customerId, needs, context.now),
  ]);
  return { items, subject: subjectFromItems(items, needs, context, events) };
}

/** Subjects of a page of customers whose partitions a scan has read: events are read for them only. */
export async function subjectsOf(
  page: readonly CustomerItems[],
  needs: Needs,
  context: SubjectContext,
  concurrency = 16,
): Promise<(Subject | undefined)[]> {
  return pMap(
    page,
    async (items) => {
      const exists = items.profile && !items.gone;
      const events =
        exists && needs.eventTypes.length > 0
          ? await readEvents(items.customerId, needs, context.now)
          : undefined;
      return subjectFromItems(items, needs, context, events);
    },
    { concurrency },
  );
}
