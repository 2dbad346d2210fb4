import pMap from 'p-map';
import { ConflictError, type FieldError, ValidationError } from '../platform/errors.ts';
import { store } from '../store/service.ts';
import { packTransactions } from '../store/transactions.ts';
import type { CustomerUpsertInput } from './schema.ts';
import {
  type Actor,
  createdFields,
  type IdentityKind,
  type IdentityRef,
  identitiesOf,
  newCustomerItem,
  prepareInput,
  sentAddresses,
  type UpsertResult,
  upsertChanges,
  upsertCustomer,
  writeActions,
} from './service.ts';

/**
 * Upserts many customers at once with the guarantees of `upsertCustomer`, for imports. One round of
 * batch reads finds which identities exist; rows whose identities are all new are created several to a
 * transaction (identity items with attribute_not_exists, as one at a time); rows of known customers are
 * compared against their profiles read in one batch, and only those that change anything go through
 * `upsertCustomer`. Whatever the fast path cannot settle — a cancelled transaction (someone created one
 * of the identities meanwhile), identities shared by several rows of the batch, identities of different
 * customers — falls back to `upsertCustomer`, row by row, so the outcome is what sending the rows one
 * after another would give.
 */
export type BulkOutcome = { outcome: UpsertResult['outcome']; customerId: string } | { errors: FieldError[] };

const CONCURRENCY = 8;

function identityKey(kind: IdentityKind, value: string): string {
  return `${kind}#${value}`;
}

/** The identities an upsert input names, keyed as identitiesOf keys them (every email and phone it sends). */
function inputIdentities(input: CustomerUpsertInput): Map<string, IdentityRef> {
  return identitiesOf({
    externalId: input.externalId,
    emails: sentAddresses(input.email, input.emails),
    phones: sentAddresses(input.phone, input.phones),
  });
}

function failure(error: unknown): { errors: FieldError[] } {
  if (error instanceof ValidationError) return { errors: error.errors };
  if (error instanceof ConflictError) return { errors: [{ path: 'externalId', message: error.message }] };
  throw error;
}

export async function upsertCustomers(rows: CustomerUpsertInput[], actor: Actor): Promise<BulkOutcome[]> {
  const results: (BulkOutcome | undefined)[] = new Array(rows.length);
  const prepared: (CustomerUpsertInput | undefined)[] = await Promise.all(
    rows.map(async (row, i) => {
      try {
        return await prepareInput(row);
      } catch (error) {
        results[i] = failure(error);
        return undefined;
      }
    }),
  );

  // Identities that occur in more than one row are settled one row after another, in file order.
  const uses = new Map<string, number>();
  const identities = prepared.map((input) =>
    input ? inputIdentities(input) : new Map<string, IdentityRef>(),
  );
  for (const ids of identities) for (const key of ids.keys()) uses.set(key, (uses.get(key) ?? 0) + 1);
  const keys = [...uses.keys()].map((key) => {
    const [kind, ...rest] = key.split('#');
    return { kind: kind as IdentityKind, value: rest.join('#') };
  });
  const owners = new Map<string, string>();
  if (keys.length > 0) {
    const found = await store().entities.identity.get(keys).go({ concurrent: CONCURRENCY });
    for (const item of found.data) owners.set(identityKey(item.kind, item.value), item.customerId);
  }

  const creates: number[] = [];
  const known = new Map<number, string>();
  const fallback: number[] = [];
  const sequential: number[] = [];
  prepared.forEach((input, i) => {
    if (!input) return;
    const ids = [...(identities[i] as Map<string, IdentityRef>).keys()];
    if (ids.some((id) => (uses.get(id) ?? 0) > 1)) sequential.push(i);
    else {
      const customerIds = new Set(ids.flatMap((id) => (owners.has(id) ? [owners.get(id) as string] : [])));
      if (customerIds.size === 0) creates.push(i);
      else if (customerIds.size === 1) known.set(i, [...customerIds][0] as string);
      else fallback.push(i); // upsertCustomer reports which identity belongs to whom
    }
  });

  // New customers, several to a transaction.
  const now = new Date().toISOString();
  const { groups } = packTransactions(
    creates.map((i) => {
      const input = prepared[i] as CustomerUpsertInput;
      return { index: i, item: newCustomerItem(input, now), fields: createdFields(input) };
    }),
    (c) => 2 + (identities[c.index] as Map<string, IdentityRef>).size,
  );
  await pMap(
    groups,
    async (members) => {
      const result = await store()
        .transaction.write((entities) =>
          members.flatMap(({ item, fields }) =>
            writeActions(entities, undefined, item, actor, 'created', fields),
          ),
        )
        .go();
      for (const { index, item } of members) {
        if (result.canceled) fallback.push(index);
        else results[index] = { outcome: 'created', customerId: item.customerId };
      }
    },
    { concurrency: CONCURRENCY },
  );

  // Known customers: unchanged ones need no write at all.
  if (known.size > 0) {
    const ids = [...new Set(known.values())];
    const profiles = await store()
      .entities.customer.get(ids.map((customerId) => ({ customerId })))
      .go({ concurrent: CONCURRENCY });
    const byId = new Map(profiles.data.map((p) => [p.customerId, p]));
    for (const [i, customerId] of known) {
      const before = byId.get(customerId);
      if (before && Object.keys(upsertChanges(before, prepared[i] as CustomerUpsertInput)).length === 0) {
        results[i] = { outcome: 'unchanged', customerId };
      } else fallback.push(i);
    }
  }

  const one = async (i: number) => {
    try {
      const { customer, outcome } = await upsertCustomer(prepared[i] as CustomerUpsertInput, actor);
      results[i] = { outcome, customerId: customer.id };
    } catch (error) {
      results[i] = failure(error);
    }
  };
  await pMap(fallback, one, { concurrency: CONCURRENCY });
  for (const i of sequential.sort((a, b) => a - b)) await one(i);
  return results as BulkOutcome[];
}
