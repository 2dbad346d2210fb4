import type { EntityItem } from 'electrodb';
import { normalizePhone } from '../customers/normalize.ts';
import type { Actor } from '../customers/service.ts';
import { config } from '../platform/config.ts';
import {
  type FieldError,
  GoneError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors.ts';
import type { CustomerEvent } from '../store/entities/event.ts';
import { store } from '../store/service.ts';
import type { CustomerRef, EventInput, OrderInput, TimelineQuery } from './schema.ts';

type EventItem = EntityItem<typeof CustomerEvent>;

/** Orders and refunds are business records and are kept; every other raw event expires. */
const KEPT_TYPES = new Set(['order', 'refund']);

/** A stored event id; orders and refunds sent to /v1/orders live in their own id namespace. */
export function orderEventId(order: OrderInput): string {
  return `${order.type}:${order.id}`;
}

export function orderToEvent(order: OrderInput): EventInput {
  return {
    id: orderEventId(order),
    type: order.type,
    customer: order.customer,
    occurredAt: order.occurredAt,
    amount: order.amount,
    currency: order.currency,
    orderId: order.type === 'order' ? order.id : order.orderId,
    ...(order.items && { items: order.items }),
    ...(order.channel && { channel: order.channel }),
    ...(order.properties && { properties: order.properties }),
  };
}

type RefKey = `${'id' | 'externalId' | 'email' | 'phone'}:${string}`;

function refKey(ref: CustomerRef): RefKey {
  if (ref.id) return `id:${ref.id}`;
  if (ref.externalId) return `externalId:${ref.externalId}`;
  if (ref.email) return `email:${ref.email}`;
  return `phone:${ref.phone}`;
}

/**
 * Resolves every customer reference of a batch with one parallel round of batch reads: identity items
 * for externalId/email/phone, profiles for ids (and tombstones, to tell erased from unknown).
 */
async function resolveRefs(refs: Map<RefKey, CustomerRef>): Promise<Map<RefKey, string | 'erased'>> {
  const byId: string[] = [];
  const byIdentity: { kind: 'email' | 'phone' | 'externalId'; value: string }[] = [];
  for (const ref of refs.values()) {
    if (ref.id) byId.push(ref.id);
    else if (ref.externalId) byIdentity.push({ kind: 'externalId', value: ref.externalId });
    else if (ref.email) byIdentity.push({ kind: 'email', value: ref.email });
    else if (ref.phone) byIdentity.push({ kind: 'phone', value: ref.phone });
  }
  const s = store().entities;
  const [profiles, identities, tombstones] = await Promise.all([
    byId.length
      ? s.customer.get(byId.map((customerId) => ({ customerId }))).go({ attributes: ['customerId'] })
      : undefined,
    byIdentity.length ? s.identity.get(byIdentity).go() : undefined,
    byId.length
      ? s.erasure.get(byId.map((customerId) => ({ customerId }))).go({ attributes: ['customerId'] })
      : undefined,
  ]);
  const resolved = new Map<RefKey, string | 'erased'>();
  for (const p of profiles?.data ?? []) resolved.set(`id:${p.customerId}`, p.customerId);
  for (const t of tombstones?.data ?? []) resolved.set(`id:${t.customerId}`, 'erased');
  for (const i of identities?.data ?? []) resolved.set(`${i.kind}:${i.value}`, i.customerId);
  return resolved;
}

export interface IngestResult {
  results: { id: string; status: 'created' | 'duplicate'; customerId: string }[];
  created: number;
  duplicates: number;
}

/**
 * Stores a batch of events. Every item is checked before anything is written: an unknown customer
 * anywhere in the batch rejects the batch. Items whose id is already stored are reported as
 * duplicates and not written again, so a retried request changes nothing.
 */
export async function ingestEvents(
  events: EventInput[],
  actor: Actor,
  field = 'events',
): Promise<IngestResult> {
  const region = config().DEFAULT_PHONE_REGION;
  const refs = new Map<RefKey, CustomerRef>();
  const itemRefs = events.map((event, i) => {
    const ref = event.customer.phone
      ? { phone: normalizePhone(event.customer.phone, region, `${field}[${i}].customer.phone`) }
      : event.customer;
    const key = refKey(ref);
    refs.set(key, ref);
    return key;
  });

  const [resolved, existing] = await Promise.all([
    resolveRefs(refs),
    store()
      .entities.event.get(events.map((e) => ({ eventId: e.id })))
      .go({ attributes: ['eventId', 'customerId'] }),
  ]);
  const stored = new Map(existing.data.map((e) => [e.eventId, e.customerId]));

  const errors: FieldError[] = [];
  itemRefs.forEach((key, i) => {
    const customerId = resolved.get(key);
    if (customerId === undefined) {
      errors.push({ path: `${field}[${i}].customer`, message: `no customer has ${key.replace(':', ' ')}` });
    } else if (customerId === 'erased') {
      errors.push({ path: `${field}[${i}].customer`, message: 'the customer was erased' });
    }
  });
  if (errors.length > 0) throw new UnprocessableError(errors);

  const receivedAt = new Date().toISOString();
  const retentionSeconds = config().EVENT_RETENTION_DAYS * 86_400;
  const results: IngestResult['results'] = [];
  const toWrite: EventItem[] = [];
  events.forEach((event, i) => {
    const customerId = resolved.get(itemRefs[i] as RefKey) as string;
    const already = stored.get(event.id);
    if (already !== undefined) {
      results.push({ id: event.id, status: 'duplicate', customerId: already });
      return;
    }
    results.push({ id: event.id, status: 'created', customerId });
    const { id, customer: _c, ...rest } = event;
    toWrite.push({
      ...rest,
      eventId: id,
      customerId,
      ...(event.type === 'order' && !event.orderId && { orderId: id }),
      receivedAt,
      sourceKeyId: actor.keyId,
      ...(!KEPT_TYPES.has(event.type) && {
        expiresAt: Math.floor(Date.parse(event.occurredAt) / 1000) + retentionSeconds,
      }),
    });
  });
  await writeAll(toWrite);
  return { results, created: toWrite.length, duplicates: events.length - toWrite.length };
}

/** Batch puts with the unprocessed remainder retried; keys are deterministic, so a replay is harmless. */
async function writeAll(items: EventItem[]): Promise<void> {
  let pending = items;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= 8) throw new Error(`DynamoDB left ${pending.length} events unprocessed after retries`);
    if (attempt > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
    const result = await store().entities.event.put(pending).go({ concurrent: 4, unprocessed: 'item' });
    pending = result.unprocessed as EventItem[];
  }
}

export async function ingestOrders(orders: OrderInput[], actor: Actor): Promise<IngestResult> {
  const result = await ingestEvents(orders.map(orderToEvent), actor, 'orders');
  // Report the caller's own ids, not the stored namespaced ones.
  result.results = result.results.map((r, i) => ({ ...r, id: orders[i]?.id ?? r.id }));
  return result;
}

export async function timeline(customerId: string, query: TimelineQuery) {
  if (query.since && query.until && Date.parse(query.since) > Date.parse(query.until)) {
    throw ValidationError.field('query.since', 'must not be after until');
  }
  const s = store().entities;
  const profile = await s.customer.get({ customerId }).go({ attributes: ['customerId'] });
  if (!profile.data) {
    const erased = await s.erasure.get({ customerId }).go();
    if (erased.data) throw new GoneError(`Customer ${customerId} was erased`);
    throw new NotFoundError(`Customer ${customerId} does not exist`);
  }
  const since = query.since ? new Date(query.since).toISOString() : '0000';
  const until = query.until ? `${new Date(query.until).toISOString()}~` : '9999';
  let q = s.event.query.timeline({ customerId }).between({ occurredAt: since }, { occurredAt: until });
  const types = query.types;
  if (types?.length) {
    q = q.where((attr, op) => types.map((t) => op.eq(attr.type, t)).join(' OR '));
  }
  const result = await q.go({
    order: 'desc',
    limit: query.limit,
    ...(query.cursor && { cursor: query.cursor }),
  });
  return {
    items: result.data.map(({ eventId, customerId: _c, sourceKeyId: _k, expiresAt: _e, ...rest }) => ({
      id: eventId,
      ...rest,
    })),
    ...(result.cursor && { next: result.cursor }),
  };
}
