import type { EntityItem } from 'electrodb';
import { backoff } from '../platform/backoff.ts';
import { config } from '../platform/config.ts';
import { withClientCursor } from '../platform/cursor.ts';
import {
  ConflictError,
  GoneError,
  NotFoundError,
  PreconditionFailedError,
  UnprocessableError,
} from '../platform/errors.ts';
import { newId, shardOf } from '../platform/ids.ts';
import { log } from '../platform/log.ts';
import { computedView } from '../scoring/profile.ts';
import type { Customer } from '../store/entities/customer.ts';
import { store } from '../store/service.ts';
import { CUSTOMER_LIST_SHARDS } from '../store/table.ts';
import { declaredAttributes } from './attributes.ts';
import { type AttributeValue, checkCustomAttributes, normalizePhone } from './normalize.ts';
import {
  type CustomerPatchInput,
  type CustomerUpsertInput,
  type CustomerView,
  MAX_ADDRESSES,
} from './schema.ts';

export type IdentityKind = 'email' | 'phone' | 'externalId';
export interface Actor {
  keyId: string;
  keyName: string;
}

export type CustomerItem = EntityItem<Customer>;
const customerEntity = () => store().entities.customer;

/** Profile fields other than the addresses, compared and copied between an item and a request. */
const SCALAR_FIELDS = [
  'externalId',
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

/** What holds identities: a stored item, a request, or a planned merge result. */
export interface IdentityHolder {
  externalId?: string | undefined;
  externalIdAliases?: string[] | undefined;
  email?: string | undefined;
  emails?: string[] | undefined;
  phone?: string | undefined;
  phones?: string[] | undefined;
}

export interface IdentityRef {
  kind: IdentityKind;
  value: string;
}

/** Every email of a customer, primary first; items written before lists existed hold `email` only. */
export function emailsOf(item: IdentityHolder): string[] {
  return item.emails ?? (item.email ? [item.email] : []);
}

export function phonesOf(item: IdentityHolder): string[] {
  return item.phones ?? (item.phone ? [item.phone] : []);
}

/** Contention between writers is retried this many times before giving up with 409. */
const MAX_ATTEMPTS = 30;

export function toView(item: CustomerItem): CustomerView {
  const view: Record<string, unknown> = {
    id: item.customerId,
    emails: emailsOf(item),
    phones: phonesOf(item),
    tags: item.tags ?? [],
    attributes: item.attributes ?? {},
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
  if (item.externalIdAliases?.length) view.externalIdAliases = item.externalIdAliases;
  for (const field of [...SCALAR_FIELDS, 'email', 'phone', 'tier', 'lifecycleStage'] as const) {
    const value = item[field];
    if (value !== undefined && value !== '' && field !== 'tags' && field !== 'attributes')
      view[field] = value;
  }
  return view as CustomerView;
}

/** Every identity a customer (or a request) holds, keyed `kind#value`: one identity item each. */
export function identitiesOf(holder: IdentityHolder): Map<string, IdentityRef> {
  const out = new Map<string, IdentityRef>();
  const add = (kind: IdentityKind, value: string | undefined) => {
    if (value) out.set(`${kind}#${value}`, { kind, value });
  };
  add('externalId', holder.externalId);
  for (const value of holder.externalIdAliases ?? []) add('externalId', value);
  for (const value of emailsOf(holder)) add('email', value);
  for (const value of phonesOf(holder)) add('phone', value);
  return out;
}

/** Which customer each identity belongs to, keyed as identitiesOf keys them; unknown ones are absent. */
async function lookupIdentities(identities: Map<string, IdentityRef>): Promise<Map<string, string>> {
  if (identities.size === 0) return new Map();
  const result = await store()
    .entities.identity.get([...identities.values()])
    .go({ consistent: true });
  const owners = new Map<string, string>();
  for (const item of result.data) owners.set(`${item.kind}#${item.value}`, item.customerId);
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
      .filter(([key]) => !newIds.has(key))
      .map(([, { kind, value }]) =>
        identity
          .delete({ kind, value })
          .where((attr, op) => op.eq(attr.customerId, after.customerId))
          .commit(),
      ),
    ...[...newIds]
      .filter(([key]) => !oldIds.has(key))
      .map(([, { kind, value }]) =>
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

type AddressInput = {
  email?: string | null;
  emails?: string[] | null;
  phone?: string | null;
  phones?: string[] | null;
  attributes?: unknown;
};

/** Phones to E.164 (each error naming its field), duplicates dropped, custom attributes checked. */
export async function prepareInput<T extends AddressInput>(input: T): Promise<T> {
  const out = { ...input };
  const region = config().DEFAULT_PHONE_REGION;
  if (typeof out.phone === 'string') out.phone = normalizePhone(out.phone, region);
  if (Array.isArray(out.phones)) {
    out.phones = [...new Set(out.phones.map((p, i) => normalizePhone(p, region, `phones[${i}]`)))];
  }
  if (out.attributes && typeof out.attributes === 'object') {
    checkCustomAttributes(
      out.attributes as Record<string, AttributeValue | null>,
      await declaredAttributes(),
    );
  }
  return out;
}

/** The single address and the list of one kind sent in an upsert, as one list without repeats. */
export function sentAddresses(one: string | undefined, all: string[] | undefined): string[] {
  return [...new Set([...(one ? [one] : []), ...(all ?? [])])];
}

/**
 * An upsert's addresses joined to the customer's: addresses it does not have yet go in front (the
 * first becomes the primary one), the ones it has keep their place. More than the cap is a 422.
 */
function withAddresses(existing: string[], sent: string[], field: 'emails' | 'phones'): string[] {
  const added = sent.filter((a) => !existing.includes(a));
  const out = [...added, ...existing];
  if (out.length > MAX_ADDRESSES) {
    throw UnprocessableError.field(
      field,
      `a customer holds at most ${MAX_ADDRESSES} ${field}; this would make ${out.length}`,
    );
  }
  return out;
}

/** Sets a list and its primary-address attribute together, in the changes and the audit's field names. */
function setAddresses(
  changes: Record<string, unknown>,
  before: IdentityHolder,
  kind: 'email' | 'phone',
  next: string[],
): void {
  const current = kind === 'email' ? emailsOf(before) : phonesOf(before);
  if (same(current, next)) return;
  changes[`${kind}s`] = next;
  if (current[0] !== next[0] || before[kind] !== next[0]) changes[kind] = next[0];
}

export interface UpsertResult {
  customer: CustomerView;
  outcome: 'created' | 'updated' | 'unchanged';
}

/**
 * Creates a customer, or updates the one its identities already belong to. One customer per identity
 * is guaranteed by the identity items' conditional creation: of concurrent creators, one wins and the
 * others retry as updates of the winner.
 *
 * Addresses accumulate: an email or phone the customer does not have yet is added and becomes the
 * primary one, the previous primary stays as a secondary. An externalId replaces the customer's
 * (unless it is one of its aliases). PATCH is how addresses are removed or reordered.
 */
export async function upsertCustomer(raw: CustomerUpsertInput, actor: Actor): Promise<UpsertResult> {
  const input = await prepareInput(raw);
  const emails = sentAddresses(input.email, input.emails);
  const phones = sentAddresses(input.phone, input.phones);
  const identities = identitiesOf({ externalId: input.externalId, emails, phones });
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    await backoff(attempt, { baseMs: 5, capMs: 250 });
    const owners = await lookupIdentities(identities);
    const customerIds = new Set(owners.values());
    if (customerIds.size > 1) {
      const described = [...owners]
        .map(([key, id]) => `${key.slice(0, key.indexOf('#'))} belongs to ${id}`)
        .join(', ');
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
    if (!before) continue; // erased, merged or mid-write: resolve again
    const changes = upsertChanges(before, input);
    const fields = Object.keys(changes);
    if (fields.length === 0) return { customer: toView(before), outcome: 'unchanged' };
    const after = withoutUndefined({
      ...before,
      ...changes,
      version: before.version + 1,
      updatedAt: later(now, before.updatedAt),
    } as CustomerItem);
    if (await commit(before, after, actor, 'updated', fields)) {
      return { customer: toView(after), outcome: 'updated' };
    }
  }
  throw new ConflictError('The customer is being changed by other requests at the same time; try again');
}

function addressFields(emails: string[], phones: string[]) {
  return {
    emails,
    phones,
    ...(emails[0] !== undefined && { email: emails[0] }),
    ...(phones[0] !== undefined && { phone: phones[0] }),
  };
}

/** The profile item of a new customer, as an upsert creates it (input already prepared). */
export function newCustomerItem(input: CustomerUpsertInput, now: string): CustomerItem {
  const customerId = newId();
  const { email: _e, emails: _es, phone: _p, phones: _ps, ...scalars } = input;
  const emails = sentAddresses(input.email, input.emails);
  const phones = sentAddresses(input.phone, input.phones);
  return {
    ...stripUndefined(scalars),
    ...addressFields(withAddresses([], emails, 'emails'), withAddresses([], phones, 'phones')),
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

/**
 * What an upsert would change on an existing customer (input already prepared); empty means the upsert
 * is `unchanged`. New addresses are added in front, as upsertCustomer documents.
 */
export function upsertChanges(before: CustomerItem, input: CustomerUpsertInput): Record<string, unknown> {
  const emails = sentAddresses(input.email, input.emails);
  const phones = sentAddresses(input.phone, input.phones);
  const changes: Record<string, unknown> = {};
  for (const field of SCALAR_FIELDS) {
    if (field === 'externalId' && input.externalId && before.externalIdAliases?.includes(input.externalId))
      continue;
    const value =
      field === 'attributes' && input.attributes
        ? { ...before.attributes, ...input.attributes }
        : input[field];
    if (value !== undefined && !sameDefined(before[field], value)) changes[field] = value;
  }
  setAddresses(changes, before, 'email', withAddresses(emailsOf(before), emails, 'emails'));
  setAddresses(changes, before, 'phone', withAddresses(phonesOf(before), phones, 'phones'));
  return changes;
}

/** Redirects followed before giving up: merges form chains (A into B, later B into C), never cycles. */
const MAX_REDIRECTS = 20;

/** Where a merged-away id leads: the live customer at the end of the redirects, or the id itself. */
export async function survivorOf(customerId: string): Promise<string> {
  let id = customerId;
  for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
    const redirect = await store().entities.mergedCustomer.get({ customerId: id }).go({ consistent: true });
    if (!redirect.data) return id;
    id = redirect.data.survivorId;
  }
  throw new Error(`Customer ${customerId} redirects more than ${MAX_REDIRECTS} times`);
}

/**
 * The customer an id stands for: its own profile, or, for an id merged away, the survivor's. An erased
 * id (or an id merged into a customer erased since) answers 410, an unknown one 404.
 */
export async function resolveCustomer(customerId: string): Promise<CustomerItem> {
  const item = await readCustomer(customerId);
  if (item) return item;
  const target = await survivorOf(customerId);
  if (target !== customerId) {
    const survivor = await readCustomer(target);
    if (survivor) return survivor;
  }
  return missingCustomer(target);
}

export async function getCustomer(customerId: string): Promise<CustomerView> {
  const item = await resolveCustomer(customerId);
  return { ...toView(item), computed: await computedView(item.customerId) };
}

/** Answers an id that has no profile: 410 once erased, 404 otherwise. */
export async function missingCustomer(customerId: string): Promise<never> {
  const erasure = await store().entities.erasure.get({ customerId }).go();
  if (erasure.data) throw new GoneError(`Customer ${customerId} was erased on ${erasure.data.requestedAt}`);
  throw new NotFoundError(`Customer ${customerId} does not exist`);
}

/** A list of one kind after a patch: `email` replaces the primary, `emails` sets the whole list. */
function patchedAddresses(
  current: string[],
  one: string | null | undefined,
  all: string[] | null | undefined,
): string[] {
  if (all !== undefined) return all ?? [];
  if (one === undefined) return current;
  const rest = current.slice(1).filter((a) => a !== one);
  return one === null ? rest : [one, ...rest];
}

/**
 * Applies a JSON merge patch when the caller's version is current; a stale version gets 412. An id
 * merged away patches its survivor (whose version the caller read through the same id).
 */
export async function patchCustomer(
  requestedId: string,
  rawPatch: CustomerPatchInput,
  expectedVersion: number,
  actor: Actor,
): Promise<UpsertResult> {
  const patch = await prepareInput(rawPatch);
  const before = await resolveCustomer(requestedId);
  const customerId = before.customerId;
  if (before.version !== expectedVersion) {
    throw new PreconditionFailedError(
      `The customer is at version ${before.version}, not ${expectedVersion}; read it again and reapply your change`,
    );
  }
  const changes: Record<string, unknown> = {};
  for (const field of SCALAR_FIELDS) {
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
  setAddresses(changes, before, 'email', patchedAddresses(emailsOf(before), patch.email, patch.emails));
  setAddresses(changes, before, 'phone', patchedAddresses(phonesOf(before), patch.phone, patch.phones));
  const fields = Object.keys(changes);
  if (fields.length === 0) return { customer: toView(before), outcome: 'unchanged' };
  const after = withoutUndefined({
    ...before,
    ...changes,
    version: before.version + 1,
    updatedAt: later(new Date().toISOString(), before.updatedAt),
  } as CustomerItem);
  const newIds = identitiesOf(after);
  if (newIds.size === 0) {
    throw new ConflictError('A customer must keep at least one identity: externalId, email or phone');
  }
  const oldIds = identitiesOf(before);
  const taken = await lookupIdentities(new Map([...newIds].filter(([key]) => !oldIds.has(key))));
  for (const [key, owner] of taken) {
    if (owner !== customerId)
      throw new ConflictError(`That ${key.slice(0, key.indexOf('#'))} already belongs to customer ${owner}`);
  }
  if (!(await commit(before, after, actor, 'updated', fields))) {
    throw new PreconditionFailedError('The customer changed while this update was applied; read it again');
  }
  return { customer: toView(after), outcome: 'updated' };
}

function withoutUndefined<T extends object>(item: T): T {
  for (const [key, value] of Object.entries(item))
    if (value === undefined) delete (item as Record<string, unknown>)[key];
  return item;
}

/** Timestamps must move forward for the listing index even when clocks disagree by a millisecond. */
function later(now: string, previous: string): string {
  return now > previous ? now : new Date(Date.parse(previous) + 1).toISOString();
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A customer's audit trail, newest first. An id merged away shows its survivor's trail, which holds
 * copies of the merged customers' entries (marked `mergedFrom`). An erased id keeps its trail.
 */
export async function customerAudit(requestedId: string, limit: number, cursor?: string) {
  const customerId = await survivorOf(requestedId);
  const result = await withClientCursor(cursor, () =>
    store()
      .entities.audit.query.byCustomer({ customerId })
      .go({ order: 'desc', limit, ...(cursor && { cursor }) }),
  );
  return {
    items: result.data.map(
      ({ auditId, action, actorKeyId, actorName, fields, at, relatedIds, mergedFrom }) => ({
        id: auditId,
        action,
        actor: { keyId: actorKeyId, name: actorName },
        fields: fields ?? [],
        at,
        ...(relatedIds?.length && { relatedIds }),
        ...(mergedFrom && { mergedFrom }),
      }),
    ),
    ...(result.cursor && { next: result.cursor }),
  };
}
