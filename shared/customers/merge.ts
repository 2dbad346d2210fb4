import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { QueryCommand, type QueryCommandInput, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createConversions, type EntityItem } from 'electrodb';
import { envNames } from '../../functions/env-names.ts';
import { documentClient } from '../platform/aws.ts';
import { queueUrl, tableNameFromEnv } from '../platform/config.ts';
import {
  ConflictError,
  type FieldError,
  NotFoundError,
  PreconditionFailedError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { log } from '../platform/log.ts';
import { sqsClient } from '../platform/sqs.ts';
import { mergeMemberships } from '../segments/recompute.ts';
import { isConditionFailure } from '../store/conditions.ts';
import type { Merge } from '../store/entities/merge.ts';
import { store } from '../store/service.ts';
import { tableDefinition } from '../store/table.ts';
import type { MergeRequest } from './merge-schema.ts';
import { MAX_ADDRESSES } from './schema.ts';
import {
  type Actor,
  type CustomerItem,
  identitiesOf,
  missingCustomer,
  readCustomer,
  survivorOf,
  toView,
} from './service.ts';
import { planMerge } from './survivorship.ts';

/**
 * Merging customers. One transaction moves the identities, writes the survivor's new profile under its
 * version, deletes the merged profiles, leaves a redirect in each merged customer's partition, records
 * the job and audits both sides: from then on every id and identity resolves to the survivor. Events,
 * orders, consents and audit entries follow through the merge queue, page by page; every step is an
 * in-place conditional update or a deterministic put, so a crash or a second run loses and duplicates
 * nothing.
 */

const { partitionKey, sortKey } = tableDefinition;
/** Orders and refunds are counted apart from other events. */
const ORDER_TYPES = new Set(['order', 'refund']);
/** Consents live in the customer's partition under this sort-key prefix: `CONSENT#<channel>#<topic>`. */
const CONSENT_PREFIX = 'CONSENT#';

interface Moves {
  events: number;
  orders: number;
  consents: number;
  audit: number;
}

export type MergeJobItem = EntityItem<Merge>;

export function mergeView(job: MergeJobItem) {
  return {
    id: job.mergeId,
    status: job.status,
    survivorId: job.survivorId,
    mergedIds: job.mergedIds,
    requestedAt: job.requestedAt,
    ...(job.completedAt && { completedAt: job.completedAt }),
    moved: {
      events: job.movedEvents ?? 0,
      orders: job.movedOrders ?? 0,
      consents: job.movedConsents ?? 0,
      audit: job.copiedAudit ?? 0,
    },
  };
}

function customerKey(customerId: string): string {
  const keys = createConversions(store().entities.customer).byAccessPattern.byId.fromComposite.toKeys({
    customerId,
  }) as Record<string, string>;
  return String(keys[partitionKey]);
}

async function queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(new QueryCommand({ ...input, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** A customer's consent items, read by key prefix so this works with whatever entity writes them. */
async function consentsOf(customerId: string): Promise<Record<string, unknown>[]> {
  return queryAll({
    TableName: tableNameFromEnv(),
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
    ExpressionAttributeValues: { ':pk': customerKey(customerId), ':prefix': CONSENT_PREFIX },
  });
}

/**
 * Everything consent-related kept with the customer: the consents, their history (`CONSENTLOG#…`, which
 * shares the `CONSENT` prefix) and the contact preferences (`PREFS`). All of it follows a merge.
 */
async function consentRecordsOf(customerId: string): Promise<Record<string, unknown>[]> {
  const byPrefix = await queryAll({
    TableName: tableNameFromEnv(),
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
    ExpressionAttributeValues: { ':pk': customerKey(customerId), ':prefix': 'CONSENT' },
  });
  const prefs = await queryAll({
    TableName: tableNameFromEnv(),
    KeyConditionExpression: '#pk = :pk AND #sk = :prefs',
    ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
    ExpressionAttributeValues: { ':pk': customerKey(customerId), ':prefs': 'PREFS' },
  });
  return [...byPrefix, ...prefs];
}

/** What a merge would move: counted, not read in full. */
async function countMoves(loserIds: string[]): Promise<Moves> {
  const s = store().entities;
  const moves: Moves = { events: 0, orders: 0, consents: 0, audit: 0 };
  await Promise.all(
    loserIds.map(async (customerId) => {
      const [events, consents, audit] = await Promise.all([
        s.event.query.timeline({ customerId }).go({ pages: 'all', attributes: ['type'] }),
        consentsOf(customerId),
        s.audit.query.byCustomer({ customerId }).go({ pages: 'all', attributes: ['auditId'] }),
      ]);
      for (const { type } of events.data) {
        if (ORDER_TYPES.has(type)) moves.orders++;
        else moves.events++;
      }
      moves.consents += consents.length;
      moves.audit += audit.data.length;
    }),
  );
  return moves;
}

/** Merge jobs still moving data, oldest first. Few at any time: the index is sparse. */
async function pendingMerges() {
  const result = await store().entities.merge.query.pending({}).go({ pages: 'all' });
  return result.data;
}

/** The merges still moving data into this customer; erasing it or merging it away waits for them. */
export async function pendingMergesInto(customerId: string): Promise<string[]> {
  return (await pendingMerges()).filter((m) => m.survivorId === customerId).map((m) => m.mergeId);
}

/** Why an id cannot be merged away, as a field error; undefined when it can. */
async function whyNotMergeable(customerId: string, path: string): Promise<FieldError> {
  const s = store().entities;
  const [redirect, erasure] = await Promise.all([
    s.mergedCustomer.get({ customerId }).go({ consistent: true }),
    s.erasure.get({ customerId }).go(),
  ]);
  if (redirect.data) {
    return { path, message: `was already merged into ${redirect.data.survivorId}` };
  }
  if (erasure.data) return { path, message: 'was erased' };
  return { path, message: 'does not exist' };
}

export type MergeOutcome =
  | { dryRun: true; preview: Record<string, unknown> }
  | { dryRun: false; job: ReturnType<typeof mergeView> & Record<string, unknown> };

/**
 * Merges `mergeIds` into the survivor, or with `dryRun` only shows what that would do. Validation
 * happens before anything is written; the write is one transaction, so a merge either happened whole
 * or not at all, and the rest of the data follows through the merge queue.
 */
export async function mergeCustomers(
  survivorId: string,
  request: MergeRequest,
  expectedVersion: number | undefined,
  actor: Actor,
): Promise<MergeOutcome> {
  const self = request.mergeIds.indexOf(survivorId);
  if (self >= 0) {
    throw ValidationError.field(
      `mergeIds[${self}]`,
      'is the survivor; a customer cannot be merged into itself',
    );
  }
  const [survivor, ...losers] = await Promise.all(
    [survivorId, ...request.mergeIds].map((id) => readCustomer(id)),
  );
  if (!survivor) {
    const target = await survivorOf(survivorId);
    if (target !== survivorId) {
      throw new ConflictError(
        `Customer ${survivorId} was merged into ${target}; merge into ${target} instead`,
      );
    }
    return missingCustomer(survivorId);
  }
  if (expectedVersion !== undefined && survivor.version !== expectedVersion) {
    throw new PreconditionFailedError(
      `The survivor is at version ${survivor.version}, not ${expectedVersion}; read it again`,
    );
  }
  const missing = await Promise.all(
    losers.map((l, i) => (l ? undefined : whyNotMergeable(request.mergeIds[i] as string, `mergeIds[${i}]`))),
  );
  const errors = missing.filter((e): e is FieldError => e !== undefined);
  if (errors.length > 0) throw new UnprocessableError(errors);
  const loserItems = losers as CustomerItem[];

  const busy = (await pendingMerges()).filter((m) => request.mergeIds.includes(m.survivorId));
  if (busy.length > 0) {
    throw new ConflictError(
      `Merges into ${busy.map((m) => m.survivorId).join(', ')} are still moving data (${busy
        .map((m) => `GET /v1/merges/${m.mergeId}`)
        .join(', ')}); merge that customer away when they are done`,
    );
  }

  const plan = planMerge(survivor, loserItems, request.fields ?? {}, { maxAddresses: MAX_ADDRESSES });
  const now = new Date().toISOString();
  const after = {
    ...plan.profile,
    version: survivor.version + 1,
    updatedAt: now > survivor.updatedAt ? now : new Date(Date.parse(survivor.updatedAt) + 1).toISOString(),
  } as CustomerItem;

  // Every identity of every source ends on the survivor; none is dropped, none is new.
  const planned = identitiesOf(after);
  const moving = loserItems.flatMap((l) =>
    [...identitiesOf(l).values()].map((ref) => ({ ...ref, from: l.customerId })),
  );
  const held = new Set([...identitiesOf(survivor).keys(), ...moving.map((m) => `${m.kind}#${m.value}`)]);
  if (held.size !== planned.size || [...planned.keys()].some((k) => !held.has(k))) {
    throw new Error('merge plan lost or invented an identity');
  }

  if (request.dryRun) {
    return {
      dryRun: true,
      preview: {
        dryRun: true,
        survivorId,
        mergedIds: request.mergeIds,
        customer: toView(after),
        fields: plan.fields,
        moves: await countMoves(request.mergeIds),
      },
    };
  }

  const mergeId = newId();
  const job = {
    mergeId,
    survivorId,
    mergedIds: request.mergeIds,
    status: 'moving' as const,
    requestedAt: now,
    requestedBy: actor.keyId,
  };
  const result = await store()
    .transaction.write(({ customer, identity, mergedCustomer, merge, audit }) => [
      customer
        .put(after)
        .where((attr, op) => op.eq(attr.version, survivor.version))
        .commit(),
      ...loserItems.map((l) =>
        customer
          .delete({ customerId: l.customerId })
          .where((attr, op) => op.eq(attr.version, l.version))
          .commit(),
      ),
      ...moving.map(({ kind, value, from }) =>
        identity
          .patch({ kind, value })
          .set({ customerId: survivorId })
          .where((attr, op) => op.eq(attr.customerId, from))
          .commit(),
      ),
      ...loserItems.map((l) =>
        mergedCustomer
          .create({ customerId: l.customerId, survivorId, mergeId, mergedAt: now, mergedBy: actor.keyId })
          .commit(),
      ),
      merge.create(job).commit(),
      audit
        .create({
          customerId: survivorId,
          auditId: newId(),
          action: 'merged',
          actorKeyId: actor.keyId,
          actorName: actor.keyName,
          fields: plan.changed,
          relatedIds: request.mergeIds,
          at: now,
        })
        .commit(),
      ...loserItems.map((l) =>
        audit
          .create({
            customerId: l.customerId,
            auditId: newId(),
            action: 'merged',
            actorKeyId: actor.keyId,
            actorName: actor.keyName,
            fields: [],
            relatedIds: [survivorId],
            at: now,
          })
          .commit(),
      ),
    ])
    .go();
  if (result.canceled) {
    log.debug('merge lost a race', { survivorId, reasons: result.data.map((d) => d.code) });
    throw new ConflictError('One of the customers changed while merging; read them again and retry');
  }
  await enqueueMerge(mergeId);
  return { dryRun: false, job: { ...mergeView(job), customer: toView(after), fields: plan.fields } };
}

export async function enqueueMerge(mergeId: string): Promise<void> {
  await sqsClient().send(
    new SendMessageCommand({
      QueueUrl: queueUrl(envNames.queueUrl('merge')),
      MessageBody: JSON.stringify({ mergeId }),
    }),
  );
}

export async function getMerge(mergeId: string) {
  const job = await store().entities.merge.get({ mergeId }).go({ consistent: true });
  if (!job.data) throw new NotFoundError(`Merge ${mergeId} does not exist`);
  return mergeView(job.data);
}

/** Events moved per invocation before the rest is handed to a new message, to stay within the timeout. */
const PAGE_ITEMS = 500;
/** Conditional updates in flight at once. */
const PARALLEL_UPDATES = 25;

async function inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL_UPDATES, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/**
 * Moves one page of a merged customer's events and orders to the survivor: an in-place update of
 * customerId (and with it the timeline key), conditional on the item still belonging to the merged
 * customer. A page cut short by a crash is simply found again by the next run.
 */
async function moveEventsPage(
  loserId: string,
  survivorId: string,
  pageSize: number,
): Promise<{ found: number; events: number; orders: number }> {
  const s = store().entities;
  const page = await s.event.query
    .timeline({ customerId: loserId })
    .go({ limit: pageSize, attributes: ['eventId', 'occurredAt', 'type'] });
  let events = 0;
  let orders = 0;
  await inParallel(page.data, async ({ eventId, occurredAt, type }) => {
    try {
      await s.event
        .patch({ eventId })
        .set({ customerId: survivorId })
        .composite({ occurredAt })
        .where((attr, op) => op.eq(attr.customerId, loserId))
        .go({ response: 'none' });
      if (ORDER_TYPES.has(type)) orders++;
      else events++;
    } catch (error) {
      // Moved by an earlier run, or gone (expired, erased): nothing left to move.
      if (!isConditionFailure(error)) throw error;
    }
  });
  return { found: page.data.length, events, orders };
}

/**
 * Moves a merged customer's consents, consent history and contact preferences: per (channel, topic), and
 * for the preferences, the record with the later updatedAt wins; history entries (unique ids) all move.
 * Each is one transaction (put on the survivor if absent or older, delete from the merged customer), so
 * a crash leaves each record in exactly one place. Returns the consents moved (history not counted).
 */
async function moveConsents(loserId: string, survivorId: string): Promise<number> {
  const table = tableNameFromEnv();
  const from = customerKey(loserId);
  const to = customerKey(survivorId);
  let moved = 0;
  for (const item of await consentRecordsOf(loserId)) {
    const moving: Record<string, unknown> = { ...item, [partitionKey]: to, customerId: survivorId };
    // Index keys that name the customer (if the consent entity has any) follow it too.
    for (const [name, value] of Object.entries(item)) {
      if (/^gsi\d+(pk|sk)$/.test(name) && typeof value === 'string') {
        moving[name] = value.replaceAll(loserId, survivorId);
      }
    }
    const key = { [partitionKey]: from, [sortKey]: item[sortKey] };
    try {
      await documentClient().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: table,
                Item: moving,
                ConditionExpression: 'attribute_not_exists(#pk) OR #u < :u',
                ExpressionAttributeNames: { '#pk': partitionKey, '#u': 'updatedAt' },
                ExpressionAttributeValues: { ':u': item.updatedAt ?? '' },
              },
            },
            {
              Delete: {
                TableName: table,
                Key: key,
                ConditionExpression: 'attribute_exists(#pk)',
                ExpressionAttributeNames: { '#pk': partitionKey },
              },
            },
          ],
        }),
      );
      if (String(item[sortKey]).startsWith(CONSENT_PREFIX)) moved++;
    } catch (error) {
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
      if (reasons?.[1]?.Code === 'ConditionalCheckFailed') continue; // moved by an earlier run
      if (reasons?.[0]?.Code !== 'ConditionalCheckFailed') throw error;
      // The survivor's record is as new or newer: it wins, the merged customer's goes.
      await documentClient().send(
        new TransactWriteCommand({ TransactItems: [{ Delete: { TableName: table, Key: key } }] }),
      );
    }
  }
  return moved;
}

/**
 * Copies a merged customer's audit trail into the survivor's, marked `mergedFrom`. The copy keeps the
 * entry's id, so a second run overwrites the same items rather than adding more. The originals stay:
 * they hold ids, field names and times only.
 */
async function copyAudit(loserId: string, survivorId: string): Promise<number> {
  const s = store().entities;
  const trail = await s.audit.query.byCustomer({ customerId: loserId }).go({ pages: 'all' });
  if (trail.data.length === 0) return 0;
  const copies = trail.data.map((entry) => ({
    ...entry,
    customerId: survivorId,
    mergedFrom: entry.mergedFrom ?? loserId,
  }));
  const { unprocessed } = await s.audit.put(copies).go();
  if (unprocessed.length > 0) throw new Error(`${unprocessed.length} audit copies left unwritten; retrying`);
  return copies.length;
}

/**
 * One step of a merge job. Returns 'more' while events remain (the caller re-queues), 'done' when the
 * job is complete (now or before), 'not-found' for an unknown job. Safe to run any number of times.
 */
export async function mergePage(
  mergeId: string,
  pageSize = PAGE_ITEMS,
): Promise<'more' | 'done' | 'not-found'> {
  const s = store().entities;
  const found = await s.merge.get({ mergeId }).go({ consistent: true });
  const job = found.data;
  if (!job) return 'not-found';
  if (job.status === 'merged') return 'done';
  for (const loserId of job.mergedIds) {
    const page = await moveEventsPage(loserId, job.survivorId, pageSize);
    if (page.found > 0) {
      await s.merge
        .patch({ mergeId })
        .add({ movedEvents: page.events, movedOrders: page.orders })
        .go({ response: 'none' });
      return 'more';
    }
  }
  let consents = 0;
  let audit = 0;
  for (const loserId of job.mergedIds) {
    consents += await moveConsents(loserId, job.survivorId);
    audit += await copyAudit(loserId, job.survivorId);
  }
  // Segment memberships follow the data: statics pass to the survivor, rules see the merged profile.
  await mergeMemberships(job.mergedIds, job.survivorId);
  const now = new Date().toISOString();
  const latest = (await s.merge.get({ mergeId }).go({ consistent: true })).data ?? job;
  await store()
    .transaction.write(({ merge, audit: auditEntity }) => [
      merge
        .put({
          ...latest,
          status: 'merged',
          completedAt: now,
          movedConsents: (latest.movedConsents ?? 0) + consents,
          copiedAudit: audit,
        })
        .where((attr, op) => op.eq(attr.status, 'moving'))
        .commit(),
      auditEntity
        .create({
          customerId: job.survivorId,
          auditId: newId(),
          action: 'merge_completed',
          actorKeyId: job.requestedBy,
          actorName: 'merge worker',
          fields: [],
          relatedIds: job.mergedIds,
          at: now,
        })
        .commit(),
    ])
    .go();
  log.info('merge completed', { mergeId, survivorId: job.survivorId });
  return 'done';
}

/** Merges still `moving` after this long are re-queued by the sweeper. */
const STALE_MS = 10 * 60_000;

export async function redriveStaleMerges(now = Date.now()): Promise<number> {
  const cutoff = new Date(now - STALE_MS).toISOString();
  const stale = (await pendingMerges()).filter((m) => m.requestedAt < cutoff);
  for (const { mergeId } of stale) await enqueueMerge(mergeId);
  return stale.length;
}
