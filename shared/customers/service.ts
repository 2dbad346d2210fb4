import type { EntityItem } from 'electrodb';
import { config } from '../platform/config.ts';
import { withClientCursor } from '../platform/cursor.ts';
import { ConflictError, GoneError, NotFoundError, PreconditionFailedError } from '../platform/errors.ts';
import { newId, shardOf } from '../platform/ids.ts';
import { log } from '../platform/log.ts';
import type { Customer } from '../store/entities/customer.ts';
import { store } from '../store/service.ts';
import { CUSTOMER_LIST_SHARDS } from '../store/table.ts';
import { declaredAttributes } from './attributes.ts';
import { type AttributeValue, checkCustomAttributes, normalizePhone } from './normalize.ts';
import type { CustomerPatchInput, CustomerUpsertInput, CustomerView } from './schema.ts';

export type IdentityKind = 'email' | 'phone' | 'externalId';
export interface Actor {
  keyId: string;
  keyName: string;
}

export type CustomerItem = EntityItem<typeof Customer>;
const customerEntity = () => store().entities.customer;

/** Fields compared and copied between an item and a request; the identities are three of them. */
const PROFILE_FIELDS = [
  'externalId',
  'email',
  'phone',
  'name',
  'givenName',
  'familyName',
  'gender',
  'birthday',
  'locale',
  'timeZone',
  'address',
  'tags',
  'sourceChannel',
  'owner',
  'attributes',
] as const;
type ProfileField = (typeof PROFILE_FIELDS)[number];
const IDENTITY_FIELDS: IdentityKind[] = ['externalId', 'email', 'phone'];

/** Contention between writers is retried this many times before giving up with 409. */
const MAX_ATTEMPTS = 30;

/** Full-jitter exponential back-off, so writers that collided do not collide again in lockstep. */
function backoff(attempt: number): Promise<void> {
  if (attempt === 0) return Promise.resolve();
  const cap = Math.min(250, 5 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
}

export function toView(item: CustomerItem): CustomerView {
  const view: Record<string, unknown> = {
    id: item.customerId,
    tags: item.tags ?? [],
    attributes: item.attributes ?? {},
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
  for (const field of [...PROFILE_FIELDS, 'tier', 'lifecycleStage'] as const) {
    const value = item[field];
    if (value !== undefined && value !== '' && field !== 'tags' && field !== 'attributes')
      view[field] = value;
  }
  return view as CustomerView;
}

export function identitiesOf(
  profile: Partial<Record<IdentityKind, string | undefined>>,
): Map<IdentityKind, string> {
  const out = new Map<IdentityKind, string>();
  for (const kind of IDENTITY_FIELDS) {
    const value = profile[kind];
    if (value) out.set(kind, value);
  }
  return out;
}

async function lookupIdentities(identities: Map<IdentityKind, string>): Promise<Map<IdentityKind, string>> {
  if (identities.size === 0) return new Map();
  const keys = [...identities].map(([kind, value]) => ({ kind, value }));
  const result = await store().entities.identity.get(keys).go({ consistent: true });
  const owners = new Map<IdentityKind, string>();
  for (const item of result.data) owners.set(item.kind, item.customerId);
  return owners;
}

export async function readCustomer(customerId: string): Promise<CustomerItem | undefined> {
  const result = await customerEntity().get({ customerId }).go({ consistent: true });
  return result.data ?? undefined;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameDefined(a: unknown, b: unknown): boolean {
  return same(a ?? null, b ?? null) || ((a === '' || a === undefined) && (b === '' || b === undefined));
}

type TransactionEntities = Parameters<Parameters<ReturnType<typeof store>['transaction']['write']>[0]>[0];

/**
 * The actions of one customer write: the profile (created, or put under a version condition), identity
 * items added and removed, and an audit entry. The bulk import path puts several customers' actions in
 * one transaction, so both paths write exactly the same items.
 */
export function writeActions(
  { customer, identity, audit }: TransactionEntities,
  before: CustomerItem | undefined,
  after: CustomerItem,
  actor: Actor,
  action: 'created' | 'updated',
  fields: string[],
) {
  const oldIds = identitiesOf(before ?? {});
  const newIds = identitiesOf(after);
  const now = after.updatedAt;
  return [
    before
      ? customer
          .put(after)
          .where((attr, op) => op.eq(attr.version, before.version))
          .commit()
      : customer.create(after).commit(),
    ...[...oldIds]
      .filter(([kind, value]) => newIds.get(kind) !== value)
      .map(([kind, value]) =>
        identity
          .delete({ kind, value })
          .where((attr, op) => op.eq(attr.customerId, after.customerId))
          .commit(),
      ),
    ...[...newIds]
      .filter(([kind, value]) => oldIds.get(kind) !== value)
      .map(([kind, value]) =>
        identity.create({ kind, value, customerId: after.customerId, createdAt: now }).commit(),
      ),
    audit
      .create({
        customerId: after.customerId,
        auditId: newId(),
        action,
        actorKeyId: actor.keyId,
        actorName: actor.keyName,
        fields,
        at: now,
      })
      .commit(),
  ];
}

/**
 * Writes a new state of a customer: the profile under a version condition, identity items added and
 * removed, and an audit entry — in one transaction, so a crash or a race leaves nothing half-written.
 * Returns false when a condition failed (a concurrent writer won); the caller re-reads and retries.
 */
async function commit(
  before: CustomerItem | undefined,
  after: CustomerItem,
  actor: Actor,
  action: 'created' | 'updated',
  fields: string[],
): Promise<boolean> {
  const result = await store()
    .transaction.write((entities) => writeActions(entities, before, after, actor, action, fields))
    .go();
  if (result.canceled) {
    log.debug('customer write lost a race', {
      customerId: after.customerId,
      reasons: (result.data as { code?: string }[]).map((d) => d.code),
    });
  }
  return !result.canceled;
}

export async function prepareInput<T extends Partial<Record<ProfileField, unknown>>>(input: T): Promise<T> {
  const out = { ...input };
  if (typeof out.phone === 'string') {
    (out as Record<string, unknown>).phone = normalizePhone(out.phone, config().DEFAULT_PHONE_REGION);
  }
  if (out.attributes && typeof out.attributes === 'object') {
    checkCustomAttributes(
      out.attributes as Record<string, AttributeValue | null>,
      await declaredAttributes(),
    );
  }
  return out;
}

export interface UpsertResult {
  customer: CustomerView;
  outcome: 'created' | 'updated' | 'unchanged';
}

/**
 * Creates a customer, or updates the one its identities already belong to. One customer per identity
 * is guaranteed by the identity items' conditional creation: of concurrent creators, one wins and the
 * others retry as updates of the winner.
 */
export async function upsertCustomer(raw: CustomerUpsertInput, actor: Actor): Promise<UpsertResult> {
  const input = await prepareInput(raw);
  const identities = identitiesOf(input);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    await backoff(attempt);
    const owners = await lookupIdentities(identities);
    const customerIds = new Set(owners.values());
    if (customerIds.size > 1) {
      const described = [...owners].map(([kind, id]) => `${kind} belongs to ${id}`).join(', ');
      throw new ConflictError(
        `The identities belong to different customers (${described}); merge them first`,
      );
    }
    const now = new Date().toISOString();
    const [existingId] = customerIds;
    if (existingId === undefined) {
      const item = newCustomerItem(input, now);
      if (await commit(undefined, item, actor, 'created', createdFields(input))) {
        return { customer: toView(item), outcome: 'created' };
      }
      continue;
    }
    const before = await readCustomer(existingId);
    if (!before) continue; // erased or mid-write: resolve again
    const changes = upsertChanges(before, input);
    const fields = Object.keys(changes);
    if (fields.length === 0) return { customer: toView(before), outcome: 'unchanged' };
    const after = {
      ...before,
      ...changes,
      version: before.version + 1,
      updatedAt: later(now, before.updatedAt),
    };
    if (await commit(before, after as CustomerItem, actor, 'updated', fields)) {
      return { customer: toView(after as CustomerItem), outcome: 'updated' };
    }
  }
  throw new ConflictError('The customer is being changed by other requests at the same time; try again');
}

/** The profile item of a new customer, as an upsert creates it. */
export function newCustomerItem(input: CustomerUpsertInput, now: string): CustomerItem {
  const customerId = newId();
  return {
    ...stripUndefined(input),
    owner: input.owner ?? '',
    tags: input.tags ?? [],
    attributes: input.attributes ?? {},
    customerId,
    version: 1,
    createdAt: now,
    updatedAt: now,
    shard: shardOf(customerId, CUSTOMER_LIST_SHARDS),
  } as CustomerItem;
}

/** The field names an upsert that creates a customer records in the audit trail. */
export function createdFields(input: CustomerUpsertInput): string[] {
  return Object.keys(stripUndefined(input));
}

/** What an upsert would change on an existing customer; empty means the upsert is `unchanged`. */
export function upsertChanges(
  before: CustomerItem,
  input: CustomerUpsertInput,
): Partial<Record<ProfileField, unknown>> {
  const changes: Partial<Record<ProfileField, unknown>> = {};
  for (const field of PROFILE_FIELDS) {
    const value =
      field === 'attributes' && input.attributes
        ? { ...before.attributes, ...input.attributes }
        : input[field];
    if (value !== undefined && !sameDefined(before[field], value)) changes[field] = value;
  }
  return changes;
}

export async function getCustomer(customerId: string): Promise<CustomerView> {
  const item = await readCustomer(customerId);
  if (item) return toView(item);
  await throwMissing(customerId);
  throw new Error('unreachable');
}

async function throwMissing(customerId: string): Promise<never> {
  const erasure = await store().entities.erasure.get({ customerId }).go();
  if (erasure.data) throw new GoneError(`Customer ${customerId} was erased on ${erasure.data.requestedAt}`);
  throw new NotFoundError(`Customer ${customerId} does not exist`);
}

/** Applies a JSON merge patch when the caller's version is current; a stale version gets 412. */
export async function patchCustomer(
  customerId: string,
  rawPatch: CustomerPatchInput,
  expectedVersion: number,
  actor: Actor,
): Promise<UpsertResult> {
  const patch = await prepareInput(rawPatch);
  const before = await readCustomer(customerId);
  if (!before) return throwMissing(customerId);
  if (before.version !== expectedVersion) {
    throw new PreconditionFailedError(
      `The customer is at version ${before.version}, not ${expectedVersion}; read it again and reapply your change`,
    );
  }
  const changes: Record<string, unknown> = {};
  for (const field of PROFILE_FIELDS) {
    const value = patch[field];
    if (value === undefined) continue;
    let next: unknown = value === null ? undefined : value;
    if (field === 'attributes' && value !== null) {
      const merged: Record<string, unknown> = { ...before.attributes };
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      next = merged;
    }
    if (field === 'tags' && next === undefined) next = [];
    if (field === 'attributes' && next === undefined) next = {};
    if (field === 'owner' && next === undefined) next = '';
    if (!sameDefined(before[field], next)) changes[field] = next;
  }
  const fields = Object.keys(changes);
  if (fields.length === 0) return { customer: toView(before), outcome: 'unchanged' };
  const newIds = identitiesOf({ ...before, ...changes } as Record<IdentityKind, string>);
  if (newIds.size === 0) {
    throw new ConflictError('A customer must keep at least one identity: externalId, email or phone');
  }
  const taken = await lookupIdentities(
    new Map([...newIds].filter(([kind, value]) => identitiesOf(before).get(kind) !== value)),
  );
  for (const [kind, owner] of taken) {
    if (owner !== customerId) throw new ConflictError(`That ${kind} already belongs to customer ${owner}`);
  }
  const after = {
    ...before,
    ...changes,
    version: before.version + 1,
    updatedAt: later(new Date().toISOString(), before.updatedAt),
  } as CustomerItem;
  for (const field of fields)
    if ((after as Record<string, unknown>)[field] === undefined)
      delete (after as Record<string, unknown>)[field];
  if (!(await commit(before, after, actor, 'updated', fields))) {
    throw new PreconditionFailedError('The customer changed while this update was applied; read it again');
  }
  return { customer: toView(after), outcome: 'updated' };
}

/** Timestamps must move forward for the listing index even when clocks disagree by a millisecond. */
function later(now: string, previous: string): string {
  return now > previous ? now : new Date(Date.parse(previous) + 1).toISOString();
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export async function customerAudit(customerId: string, limit: number, cursor?: string) {
  const result = await withClientCursor(cursor, () =>
    store()
      .entities.audit.query.byCustomer({ customerId })
      .go({ order: 'desc', limit, ...(cursor && { cursor }) }),
  );
  return {
    items: result.data.map(({ auditId, action, actorKeyId, actorName, fields, at }) => ({
      id: auditId,
      action,
      actor: { keyId: actorKeyId, name: actorName },
      fields: fields ?? [],
      at,
    })),
    ...(result.cursor && { next: result.cursor }),
  };
}
