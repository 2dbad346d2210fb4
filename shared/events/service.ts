import { createConversions, type EntityItem } from 'electrodb';
import { normalizePhone } from '../customers/normalize.ts';
import { type Actor, resolveCustomer, upsertCustomer } from '../customers/service.ts';
import { documentClient } from '../platform/aws.ts';
import { config, tableNameFromEnv } from '../platform/config.ts';
import { withClientCursor } from '../platform/cursor.ts';
import {
  type FieldError,
  GoneError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors.ts';
import { scoringSettings } from '../scoring/settings-store.ts';
import { batchGet, batchPut, type Key } from '../store/batch-io.ts';
import type { CustomerEvent } from '../store/entities/event.ts';
import { store } from '../store/service.ts';
import { tableDefinition } from '../store/table.ts';
import type { CustomerRef, EventInput, OrderInput, TimelineQuery } from './schema.ts';

type EventItem = EntityItem<CustomerEvent>;

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

/** What a key read before ingesting stands for. */
type Lookup =
  | { entity: 'event'; eventId: string }
  | { entity: 'identity' | 'customer' | 'erasure' | 'mergedCustomer'; ref: RefKey };

const { partitionKey, sortKey } = tableDefinition;
/** Where ElectroDB records which entity (name and version) wrote an item: its `EntityIdentifiers`. */
const ENTITY_FIELD = '__edb_e__';
const VERSION_FIELD = '__edb_v__';
/** The projection of every lookup: the keys to match the answer to its question, the customer, the owner. */
const LOOKUP_ATTRIBUTES = [
  partitionKey,
  sortKey,
  'customerId',
  'survivorId',
  ENTITY_FIELD,
  VERSION_FIELD,
] as const;

/** How a reference resolved: a customer id, an erased customer, or an id merged away (followed later). */
type Resolution = string | 'erased' | { mergedInto: string };

function keyString(pk: unknown, sk: unknown): string {
  return `${String(pk)}\u0000${String(sk)}`;
}

/** Keys and items built by the entities themselves (conversions are pure: no client, no table). */
let built: ReturnType<typeof createBuilders> | undefined;
function builders() {
  built ??= createBuilders();
  return built;
}

function createBuilders() {
  const s = store().entities;
  const tableKey = (keys: Record<string, string | number>): Key => ({
    [partitionKey]: String(keys[partitionKey]),
    [sortKey]: String(keys[sortKey]),
  });
  const event = createConversions(s.event).byAccessPattern.byId.fromComposite;
  const identity = createConversions(s.identity).byAccessPattern.byValue.fromComposite;
  const customer = createConversions(s.customer).byAccessPattern.byId.fromComposite;
  const erasure = createConversions(s.erasure).byAccessPattern.byCustomer.fromComposite;
  const merged = createConversions(s.mergedCustomer).byAccessPattern.byCustomer.fromComposite;
  const eventKeys = createConversions(s.event).fromComposite;
  const owner = ({ schema }: { schema: { model: { entity: string; version: string } } }) => schema.model;
  return {
    /** What ElectroDB stores in each entity's items, to check ownership as its own reads do. */
    owners: {
      event: owner(s.event),
      identity: owner(s.identity),
      customer: owner(s.customer),
      erasure: owner(s.erasure),
      mergedCustomer: owner(s.mergedCustomer),
    } satisfies Record<Lookup['entity'], { entity: string; version: string }>,
    event: (eventId: string) => tableKey(event.toKeys({ eventId })),
    identity: (kind: 'email' | 'phone' | 'externalId', value: string) =>
      tableKey(identity.toKeys({ kind, value })),
    customer: (customerId: string) => tableKey(customer.toKeys({ customerId })),
    erasure: (customerId: string) => tableKey(erasure.toKeys({ customerId })),
    mergedCustomer: (customerId: string) => tableKey(merged.toKeys({ customerId })),
    /**
     * An event item as the entity's own put stores it: its attributes, the keys of every index (built by
     * the entity) and its identifiers. About a tenth of the CPU of `put(items).params()`, which validates
     * again what the schema has checked; test/integration/events-store.test.ts holds the two to the same
     * output.
     */
    eventItem: (item: EventItem): Record<string, unknown> => ({
      ...item,
      ...eventKeys.toKeys(item),
      [ENTITY_FIELD]: s.event.schema.model.entity,
      [VERSION_FIELD]: s.event.schema.model.version,
    }),
  };
}

/**
 * Everything ingest must know before it writes, in one parallel round of batch reads (at most 100 keys
 * each), projected to the few attributes it needs: which event ids are stored already and for whom, and
 * every customer reference resolved: identity items for externalId/email/phone, profiles for ids (and
 * tombstones, to tell erased from unknown, and redirects, for ids merged into another customer).
 */
async function lookUp(
  eventIds: string[],
  refs: Map<RefKey, CustomerRef>,
): Promise<{ stored: Map<string, string>; resolved: Map<RefKey, Resolution> }> {
  const build = builders();
  const questions = new Map<string, Lookup>();
  const keys: Key[] = [];
  const ask = (key: Key, lookup: Lookup) => {
    const id = keyString(key[partitionKey], key[sortKey]);
    if (questions.has(id)) return;
    questions.set(id, lookup);
    keys.push(key);
  };
  for (const eventId of eventIds) ask(build.event(eventId), { entity: 'event', eventId });
  for (const [key, ref] of refs) {
    if (ref.id) {
      ask(build.customer(ref.id), { entity: 'customer', ref: key });
      ask(build.erasure(ref.id), { entity: 'erasure', ref: key });
      ask(build.mergedCustomer(ref.id), { entity: 'mergedCustomer', ref: key });
    } else if (ref.externalId)
      ask(build.identity('externalId', ref.externalId), { entity: 'identity', ref: key });
    else if (ref.email) ask(build.identity('email', ref.email), { entity: 'identity', ref: key });
    else if (ref.phone) ask(build.identity('phone', ref.phone), { entity: 'identity', ref: key });
  }

  const items = await batchGet(documentClient(), tableNameFromEnv(), keys, LOOKUP_ATTRIBUTES);
  const stored = new Map<string, string>();
  const resolved = new Map<RefKey, Resolution>();
  const erased: RefKey[] = [];
  const redirected = new Map<RefKey, string>();
  for (const item of items) {
    const lookup = questions.get(keyString(item[partitionKey], item[sortKey]));
    // As ElectroDB's reads: an item some other entity (or version) wrote under the key answers nothing.
    if (!lookup) continue;
    const owner = build.owners[lookup.entity];
    if (item[ENTITY_FIELD] !== owner.entity || item[VERSION_FIELD] !== owner.version) continue;
    const customerId = String(item.customerId);
    if (lookup.entity === 'event') stored.set(lookup.eventId, customerId);
    else if (lookup.entity === 'erasure') erased.push(lookup.ref);
    else if (lookup.entity === 'mergedCustomer') redirected.set(lookup.ref, String(item.survivorId));
    else resolved.set(lookup.ref, customerId);
  }
  for (const [ref, survivorId] of redirected) {
    if (!resolved.has(ref)) resolved.set(ref, { mergedInto: survivorId });
  }
  // A tombstone outranks a profile read in the same round.
  for (const ref of erased) resolved.set(ref, 'erased');
  return { stored, resolved };
}

export interface IngestResult {
  results: { id: string; status: 'created' | 'duplicate'; customerId: string }[];
  created: number;
  duplicates: number;
  /** Customers created for identities no customer had (UNKNOWN_IDENTITY=create). */
  customersCreated: number;
}

export interface IngestOptions {
  /** What an email, phone or externalId that no customer has does; the stage's setting by default. */
  unknownIdentity?: 'create' | 'reject';
}

/** A merged-away id stands for its survivor; one that leads to an erased customer is erased too. */
async function followRedirect(customerId: string): Promise<string | 'erased' | undefined> {
  try {
    return (await resolveCustomer(customerId)).customerId;
  } catch (error) {
    if (error instanceof GoneError) return 'erased';
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * Stores a batch of events. Every item is checked before anything is written: an erased or unknown
 * customer id anywhere in the batch rejects the batch, and so does an unknown email, phone or externalId
 * under UNKNOWN_IDENTITY=reject; under `create` (the default) a minimal customer is created for it
 * through the upsert, so concurrent batches naming the same new identity still make one customer. Items
 * whose id is already stored are reported as duplicates and not written again, so a retried request
 * changes nothing.
 */
export async function ingestEvents(
  events: EventInput[],
  actor: Actor,
  field = 'events',
  options: IngestOptions = {},
): Promise<IngestResult> {
  await checkCurrencies(events, field);
  const region = config().DEFAULT_PHONE_REGION;
  const unknownIdentity = options.unknownIdentity ?? config().UNKNOWN_IDENTITY;
  const refs = new Map<RefKey, CustomerRef>();
  const itemRefs = events.map((event, i) => {
    const ref = event.customer.phone
      ? { phone: normalizePhone(event.customer.phone, region, `${field}[${i}].customer.phone`) }
      : event.customer;
    const key = refKey(ref);
    refs.set(key, ref);
    return key;
  });

  const build = builders();
  const looked = await lookUp(
    events.map((e) => e.id),
    refs,
  );
  const { stored } = looked;
  const resolved = new Map<RefKey, string | 'erased'>();
  await Promise.all(
    [...looked.resolved].map(async ([key, resolution]) => {
      const id = typeof resolution === 'object' ? await followRedirect(resolution.mergedInto) : resolution;
      if (id !== undefined) resolved.set(key, id);
    }),
  );

  const errors: FieldError[] = [];
  const toCreate = new Set<RefKey>();
  itemRefs.forEach((key, i) => {
    const customerId = resolved.get(key);
    if (customerId === undefined) {
      if (unknownIdentity === 'create' && !key.startsWith('id:')) toCreate.add(key);
      else
        errors.push({ path: `${field}[${i}].customer`, message: `no customer has ${key.replace(':', ' ')}` });
    } else if (customerId === 'erased') {
      errors.push({ path: `${field}[${i}].customer`, message: 'the customer was erased' });
    }
  });
  if (errors.length > 0) throw new UnprocessableError(errors);

  // Only once the whole batch is known to be storable: a rejected batch creates no customer. Customers
  // created here stay if the write below fails; the retry resolves to them.
  let customersCreated = 0;
  await Promise.all(
    [...toCreate].map(async (key) => {
      const ref = refs.get(key) as CustomerRef;
      const { customer, outcome } = await upsertCustomer(
        {
          ...(ref.email && { email: ref.email }),
          ...(ref.phone && { phone: ref.phone }),
          ...(ref.externalId && { externalId: ref.externalId }),
        },
        actor,
      );
      if (outcome === 'created') customersCreated++;
      resolved.set(key, customer.id);
    }),
  );

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
  await batchPut(documentClient(), tableNameFromEnv(), toWrite.map(build.eventItem));
  return {
    results,
    created: toWrite.length,
    duplicates: events.length - toWrite.length,
    customersCreated,
  };
}

/**
 * Money is counted in the stage's base currency: an order or refund in another currency needs a rate in
 * the scoring settings, or the batch is rejected (422 naming the item's currency) before anything is
 * written, rather than stored and left out of every figure.
 */
async function checkCurrencies(events: EventInput[], field: string): Promise<void> {
  if (!events.some((e) => KEPT_TYPES.has(e.type) && e.currency !== undefined)) return;
  const { base, rates } = (await scoringSettings()).currency;
  const errors: FieldError[] = [];
  events.forEach((event, i) => {
    const code = event.currency;
    if (!KEPT_TYPES.has(event.type) || code === undefined || code === base || rates[code] !== undefined)
      return;
    errors.push({
      path: `${field}[${i}].currency`,
      message: `${code} has no exchange rate to ${base}; add one to the scoring settings (currency.rates) or send ${base}`,
    });
  });
  if (errors.length > 0) throw new UnprocessableError(errors);
}

export async function ingestOrders(
  orders: OrderInput[],
  actor: Actor,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const result = await ingestEvents(orders.map(orderToEvent), actor, 'orders', options);
  // Report the caller's own ids, not the stored namespaced ones.
  result.results = result.results.map((r, i) => ({ ...r, id: orders[i]?.id ?? r.id }));
  return result;
}

export async function timeline(requestedId: string, query: TimelineQuery) {
  if (query.since && query.until && Date.parse(query.since) > Date.parse(query.until)) {
    throw ValidationError.field('query.since', 'must not be after until');
  }
  const s = store().entities;
  const profile = await s.customer.get({ customerId: requestedId }).go({ attributes: ['customerId'] });
  // An id merged away shows its survivor's timeline, where its events are moved to.
  const customerId = profile.data ? requestedId : (await resolveCustomer(requestedId)).customerId;
  const since = query.since ? new Date(query.since).toISOString() : '0000';
  const until = query.until ? `${new Date(query.until).toISOString()}~` : '9999';
  let q = s.event.query.timeline({ customerId }).between({ occurredAt: since }, { occurredAt: until });
  const types = query.types;
  if (types?.length) {
    q = q.where((attr, op) => types.map((t) => op.eq(attr.type, t)).join(' OR '));
  }
  const result = await withClientCursor(query.cursor, () =>
    q.go({
      order: 'desc',
      limit: query.limit,
      ...(query.cursor && { cursor: query.cursor }),
    }),
  );
  return {
    items: result.data.map(({ eventId, customerId: _c, sourceKeyId: _k, expiresAt: _e, ...rest }) => ({
      id: eventId,
      ...rest,
    })),
    ...(result.cursor && { next: result.cursor }),
  };
}
