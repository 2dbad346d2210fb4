import { createHash } from 'node:crypto';
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { createConversions } from 'electrodb';
import { documentClient } from '../platform/aws.ts';
import { tableNameFromEnv } from '../platform/config.ts';
import { ValidationError } from '../platform/errors.ts';
import { store } from '../store/service.ts';
import { CUSTOMER_LIST_SHARDS, type IndexName, tableDefinition } from '../store/table.ts';
import type { CustomerListQuery, CustomerView } from './schema.ts';
import { toView } from './service.ts';

/**
 * Lists customers by last update, oldest first. Without an owner filter the listing index is
 * write-sharded (CUSTOMER_LIST_SHARDS partitions), so a page is a k-way merge of the shards; the cursor remembers, per
 * shard, the last sort key consumed. With an owner the owner index (one partition per owner) is read.
 */
interface Partition {
  index: IndexName;
  pkField: string;
  pkValue: string;
  skField: string;
}

interface CursorState {
  /** Filters fingerprint: a cursor only continues the listing it came from. */
  f: string;
  /** Per partition: last consumed sort key, '' for not started, null when exhausted. */
  p: (string | null)[];
}

const MAX_PAGES_PER_PARTITION = 5;

/**
 * The partitions to read, with keys, index and attribute names taken from the customer entity and
 * the table's shape, so the key design is decided in one place.
 */
function partitions(query: CustomerListQuery): Partition[] {
  const customer = store().entities.customer;
  const pattern = query.owner ? 'byOwner' : 'byUpdated';
  const index = customer.schema.indexes[pattern].index as IndexName;
  const gsi = tableDefinition.globalSecondaryIndexes.find((g) => g.indexName === index);
  if (!gsi) throw new Error(`Index ${index} of customer.${pattern} is not in the table definition`);
  const toKeys = createConversions(customer).byAccessPattern[pattern].fromComposite.toKeys as (
    composite: Record<string, string | number>,
  ) => Record<string, string>;
  const partition = (composite: Record<string, string | number>): Partition => ({
    index,
    pkField: gsi.partitionKey,
    pkValue: String(toKeys(composite)[gsi.partitionKey]),
    skField: gsi.sortKey,
  });
  if (query.owner) return [partition({ owner: query.owner })];
  return Array.from({ length: CUSTOMER_LIST_SHARDS }, (_, shard) => partition({ shard }));
}

function fingerprint(query: CustomerListQuery): string {
  const { limit: _l, cursor: _c, ...filters } = query;
  return createHash('sha1').update(JSON.stringify(filters)).digest('base64url').slice(0, 12);
}

function decodeCursor(cursor: string, expected: string, count: number): CursorState {
  try {
    const state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorState;
    if (state.f === expected && Array.isArray(state.p) && state.p.length === count) return state;
  } catch {
    // reported below
  }
  throw ValidationError.field('query.cursor', 'is not a cursor from this listing (same filters required)');
}

interface Candidate {
  sk: string;
  item: Record<string, unknown>;
  partition: number;
}

async function readPartition(
  partition: Partition,
  after: string,
  query: CustomerListQuery,
  limit: number,
): Promise<{ matched: Candidate[]; lastEvaluated: string | null; partitionIndex: number }> {
  const names: Record<string, string> = { '#pk': partition.pkField };
  const values: Record<string, unknown> = { ':pk': partition.pkValue };
  let keyCondition = '#pk = :pk';
  const since = query.updatedSince ? new Date(query.updatedSince).toISOString() : '';
  if (after || since) names['#sk'] = partition.skField;
  if (after) {
    keyCondition += ' AND #sk > :after';
    values[':after'] = after;
  } else if (since) {
    keyCondition += ' AND #sk >= :since';
    values[':since'] = since;
  }
  const filters: string[] = [];
  if (query.tag) {
    filters.push('contains(#tags, :tag)');
    names['#tags'] = 'tags';
    values[':tag'] = query.tag;
  }
  if (query.tier) {
    filters.push('#tier = :tier');
    names['#tier'] = 'tier';
    values[':tier'] = query.tier;
  }
  if (query.lifecycle) {
    filters.push('#lc = :lc');
    names['#lc'] = 'lifecycleStage';
    values[':lc'] = query.lifecycle;
  }
  const input: QueryCommandInput = {
    TableName: tableNameFromEnv(),
    IndexName: partition.index,
    KeyConditionExpression: keyCondition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    Limit: limit,
    ...(filters.length > 0 && { FilterExpression: filters.join(' AND ') }),
  };
  const matched: Candidate[] = [];
  let lastEvaluated: string | null = null;
  for (let page = 0; page < MAX_PAGES_PER_PARTITION && matched.length < limit; page++) {
    const result = await documentClient().send(new QueryCommand(input));
    for (const item of result.Items ?? []) {
      matched.push({ sk: String(item[partition.skField]), item, partition: -1 });
    }
    const lek = result.LastEvaluatedKey;
    if (!lek) {
      lastEvaluated = null;
      break;
    }
    lastEvaluated = String(lek[partition.skField]);
    input.ExclusiveStartKey = lek;
  }
  return { matched, lastEvaluated, partitionIndex: -1 };
}

export async function listCustomers(
  query: CustomerListQuery,
): Promise<{ items: CustomerView[]; next?: string }> {
  const parts = partitions(query);
  const print = fingerprint(query);
  const state: CursorState = query.cursor
    ? decodeCursor(query.cursor, print, parts.length)
    : { f: print, p: parts.map(() => '') };

  const reads = await Promise.all(
    parts.map(async (partition, i) => {
      const position = state.p[i];
      if (position === null || position === undefined) return undefined;
      const read = await readPartition(partition, position, query, query.limit);
      for (const c of read.matched) c.partition = i;
      return read;
    }),
  );

  const candidates = reads
    .flatMap((r) => r?.matched ?? [])
    .sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
  // A partition that stopped early (its page budget spent on filtered-out items) may still hold matches
  // below what other partitions returned; nothing past its last evaluated key may be emitted yet, or a
  // later page would go back in time.
  const frontier = reads.reduce<string | undefined>((min, r) => {
    const stop = r?.lastEvaluated;
    return stop !== null && stop !== undefined && (min === undefined || stop < min) ? stop : min;
  }, undefined);
  const taken = candidates.filter((c) => frontier === undefined || c.sk <= frontier).slice(0, query.limit);
  const next = [...state.p];
  reads.forEach((read, i) => {
    if (!read) return;
    const mine = read.matched;
    const takenHere = taken.filter((c) => c.partition === i);
    if (takenHere.length < mine.length) {
      // Matches remain beyond what this page took: resume after the last one taken (or where we were).
      next[i] = takenHere.at(-1)?.sk ?? state.p[i] ?? '';
    } else {
      // Everything read was taken or filtered out: resume after the last evaluated key, or stop.
      next[i] = read.lastEvaluated;
    }
  });
  const more = next.some((p) => p !== null);
  return {
    items: taken.map((c) => toView(c.item as Parameters<typeof toView>[0])),
    ...(more && { next: Buffer.from(JSON.stringify({ f: print, p: next })).toString('base64url') }),
  };
}
