import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createConversions } from 'electrodb';
import { envNames } from '../../functions/env-names.ts';
import { consentItemKeys } from '../consent/erasure.ts';
import { suppressionChangesOnErasure } from '../consent/suppression.ts';
import { deleteCustomerDataExports } from '../exports/service.ts';
import { deleteRejectsMentioning } from '../imports/rejects.ts';
import { documentClient } from '../platform/aws.ts';
import { queueUrl, tableNameFromEnv } from '../platform/config.ts';
import { ConflictError, NotFoundError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { log } from '../platform/log.ts';
import { sqsClient } from '../platform/sqs.ts';
import { leaveAllSegments } from '../segments/membership.ts';
import { batchDelete } from '../store/batch-io.ts';
import { store } from '../store/service.ts';
import { tableDefinition } from '../store/table.ts';
import { pendingMergesInto } from './merge.ts';
import { type Actor, identitiesOf, readCustomer, survivorOf } from './service.ts';

/**
 * Erases a customer. The profile, identities and a tombstone are written in one transaction (so the
 * customer stops resolving at once); events and orders are removed by the erasure worker, page by page.
 * Redirects left by earlier merges into this customer stay: they hold ids and times only, and the
 * merged-away ids then answer 410 like the survivor's.
 */
export async function eraseCustomer(
  customerId: string,
  actor: Actor,
): Promise<{ status: string; requestedAt: string }> {
  const before = await readCustomer(customerId);
  if (!before) {
    const erasure = await store().entities.erasure.get({ customerId }).go();
    if (erasure.data) return { status: erasure.data.status, requestedAt: erasure.data.requestedAt };
    const survivor = await survivorOf(customerId);
    // Erasure is irreversible, so it names the customer it erases rather than following a redirect.
    if (survivor !== customerId) {
      throw new ConflictError(`Customer ${customerId} was merged into ${survivor}; erase ${survivor}`);
    }
    throw new NotFoundError(`Customer ${customerId} does not exist`);
  }
  // Events still moving in would land after the erasure worker has passed; the merge finishes first.
  const merging = await pendingMergesInto(customerId);
  if (merging.length > 0) {
    throw new ConflictError(
      `Merges into this customer are still moving data (${merging.map((id) => `GET /v1/merges/${id}`).join(', ')}); erase it when they are done`,
    );
  }
  const now = new Date().toISOString();
  // Rejected import rows that name the customer go first, while the identities are still known: a retry
  // of a DELETE that failed after this point finds them gone, and nothing else depends on them.
  await deleteRejectsMentioning([...identitiesOf(before).values()]);
  // The profile's addresses are known only now: their suppression entries change in the same transaction.
  const suppressions = await suppressionChangesOnErasure(before);
  const result = await store()
    .transaction.write(({ customer, identity, erasure, audit, suppression }) => [
      customer
        .delete({ customerId })
        .where((attr, op) => op.eq(attr.version, before.version))
        .commit(),
      // Every address and external id (aliases from merges included) has its own identity item.
      ...[...identitiesOf(before).values()].map(({ kind, value }) =>
        identity
          .delete({ kind, value })
          .where((attr, op) => op.eq(attr.customerId, customerId))
          .commit(),
      ),
      ...suppressions.deletes.map((key) => suppression.delete(key).commit()),
      ...suppressions.puts.map((item) => suppression.put(item).commit()),
      erasure.put({ customerId, status: 'erasing', requestedAt: now, requestedBy: actor.keyId }).commit(),
      audit
        .create({
          customerId,
          auditId: newId(),
          action: 'erased',
          actorKeyId: actor.keyId,
          actorName: actor.keyName,
          fields: [],
          at: now,
        })
        .commit(),
    ])
    .go();
  if (result.canceled) throw new ConflictError('The customer changed during erasure; try again');
  await enqueueErasure(customerId);
  return { status: 'erasing', requestedAt: now };
}

export async function enqueueErasure(customerId: string): Promise<void> {
  await sqsClient().send(
    new SendMessageCommand({
      QueueUrl: queueUrl(envNames.queueUrl('erasure')),
      MessageBody: JSON.stringify({ customerId }),
    }),
  );
}

/** Items deleted per invocation before the rest is handed to a new message, to stay within the timeout. */
const PAGE_ITEMS = 1000;

/**
 * Deletes one page of an erased customer's events and orders. Returns 'more' when items remain (the
 * caller re-queues), 'done' once none are left and the tombstone is marked erased. Safe to repeat.
 */
/** Keys of the customer's partition other than the tombstone and merge redirects, at most `limit`. */
async function otherPartitionKeys(customerId: string, limit: number) {
  const { partitionKey, sortKey } = tableDefinition;
  const pk = createConversions(store().entities.erasure).byAccessPattern.byCustomer.fromComposite.toKeys({
    customerId,
  }) as Record<string, string>;
  const page = await documentClient().send(
    new QueryCommand({
      TableName: tableNameFromEnv(),
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
      ExpressionAttributeValues: { ':pk': pk[partitionKey] },
      ProjectionExpression: '#pk, #sk',
      ConsistentRead: true,
    }),
  );
  // A key attribute cannot be filtered in a Query, and the partition is small: the two kept items are
  // skipped here.
  const kept = new Set(['ERASURE', 'MERGED']);
  return (page.Items ?? [])
    .filter((item) => !kept.has(String(item[sortKey])))
    .slice(0, limit)
    .map((item) => ({
      [partitionKey]: String(item[partitionKey]),
      [sortKey]: String(item[sortKey]),
    })) as { [partitionKey]: string; [sortKey]: string }[];
}

export async function erasePage(customerId: string): Promise<'more' | 'done' | 'not-erasing'> {
  const s = store().entities;
  const erasure = await s.erasure.get({ customerId }).go({ consistent: true });
  if (!erasure.data) return 'not-erasing';
  // Segments first, through the membership writer (counters, exit events); the state and history
  // items then go with the rest of the customer's partition below.
  await leaveAllSegments(customerId, 'erased');
  const page = await s.event.query
    .timeline({ customerId })
    .go({ limit: PAGE_ITEMS, attributes: ['eventId'] });
  // Keys come from the entity's own key design, never rebuilt by hand.
  const toKeys = createConversions(s.event).byAccessPattern.byId.fromComposite.toKeys;
  const { partitionKey, sortKey } = tableDefinition;
  const keys = page.data.map(({ eventId }) => {
    const key = toKeys({ eventId }) as Record<string, string>;
    return { [partitionKey]: String(key[partitionKey]), [sortKey]: String(key[sortKey]) };
  });
  // Consents, their history and contact preferences share the page budget with the events.
  keys.push(...(await consentItemKeys(customerId, PAGE_ITEMS - keys.length)));
  // Whatever else is kept under the customer (purchase aggregate, tier history, records later parts add)
  // goes too; only the tombstone and merge redirects, which hold ids and times, stay.
  if (keys.length < PAGE_ITEMS) {
    // The consent keys above are in the same partition: each key once, as BatchWriteItem requires.
    const taken = new Set(keys.map((k) => `${k[partitionKey]}|${k[sortKey]}`));
    const others = await otherPartitionKeys(customerId, PAGE_ITEMS);
    keys.push(
      ...others
        .filter((k) => !taken.has(`${k[partitionKey]}|${k[sortKey]}`))
        .slice(0, PAGE_ITEMS - keys.length),
    );
  }
  await batchDelete(documentClient(), tableNameFromEnv(), keys);
  const deletedItems = (erasure.data.deletedItems ?? 0) + keys.length;
  if (page.cursor || keys.length >= PAGE_ITEMS) {
    await s.erasure.patch({ customerId }).set({ deletedItems }).go();
    return 'more';
  }
  const record = erasure.data;
  if (record.status === 'erasing') {
    // Data exports of the customer (files of their personal data) go before the erasure is recorded done.
    await deleteCustomerDataExports(customerId);
    const now = new Date().toISOString();
    await store()
      .transaction.write(({ erasure: e, audit }) => [
        e.put({ ...record, status: 'erased', completedAt: now, deletedItems }).commit(),
        audit
          .create({
            customerId,
            auditId: newId(),
            action: 'erasure_completed',
            actorKeyId: record.requestedBy,
            actorName: 'erasure worker',
            fields: [],
            at: now,
          })
          .commit(),
      ])
      .go();
    log.info('erasure completed', { customerId, deletedItems });
  }
  return 'done';
}

/** Erasures still `erasing` after this long are re-queued by the sweeper. */
const STALE_MS = 10 * 60_000;

export async function redriveStaleErasures(now = Date.now()): Promise<number> {
  const cutoff = new Date(now - STALE_MS).toISOString();
  const pending = await store()
    .entities.erasure.query.pending({})
    .lt({ requestedAt: cutoff })
    .go({ pages: 'all', attributes: ['customerId'] });
  for (const { customerId } of pending.data) await enqueueErasure(customerId);
  return pending.data.length;
}
