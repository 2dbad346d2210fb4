import {
  BatchGetCommand,
  type BatchGetCommandInput,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { backoff } from '../platform/backoff.ts';

/**
 * Batch reads and writes sent straight through the DocumentClient, every request of a batch at once.
 * The entities still build every key and item; this skips ElectroDB's batch `go()`, whose per-item
 * formatting and validation cost more CPU than ingest, on the busiest route, can spare.
 */

/** BatchGetItem takes at most 100 keys a request. */
export const MAX_GET_KEYS = 100;
const MAX_ATTEMPTS = 8;

export type Key = Record<string, string>;
type Item = Record<string, unknown>;

/**
 * Reads the given keys (at most 100 a request, all requests in parallel), returning only the projected
 * attributes of the items that exist. Unprocessed keys are read again.
 */
export async function batchGet(
  client: DynamoDBDocumentClient,
  table: string,
  keys: Key[],
  attributes: readonly string[],
): Promise<Item[]> {
  if (keys.length === 0) return [];
  const names = Object.fromEntries(attributes.map((a, i) => [`#a${i}`, a]));
  const projection = Object.keys(names).join(', ');
  // As few requests as the limit allows, evenly filled: a round lasts as long as its largest request.
  const size = Math.ceil(keys.length / Math.ceil(keys.length / MAX_GET_KEYS));
  const requests: Promise<Item[]>[] = [];
  for (let start = 0; start < keys.length; start += size) {
    const Keys = keys.slice(start, start + size);
    requests.push(
      getChunk(client, {
        RequestItems: {
          [table]: { Keys, ProjectionExpression: projection, ExpressionAttributeNames: names },
        },
      }),
    );
  }
  return (await Promise.all(requests)).flat();
}

/**
 * Whole items of the given keys, read strongly consistently (the send gate's reads: an opt-out or a
 * reservation written a moment ago must be seen), as few requests as the limit allows, all at once.
 */
export async function batchGetConsistent(
  client: DynamoDBDocumentClient,
  table: string,
  keys: Key[],
): Promise<Item[]> {
  if (keys.length === 0) return [];
  const size = Math.ceil(keys.length / Math.ceil(keys.length / MAX_GET_KEYS));
  const requests: Promise<Item[]>[] = [];
  for (let start = 0; start < keys.length; start += size) {
    const Keys = keys.slice(start, start + size);
    requests.push(getChunk(client, { RequestItems: { [table]: { Keys, ConsistentRead: true } } }));
  }
  return (await Promise.all(requests)).flat();
}

async function getChunk(client: DynamoDBDocumentClient, input: BatchGetCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  let requestItems = input.RequestItems;
  for (let attempt = 0; requestItems && Object.keys(requestItems).length > 0; attempt++) {
    if (attempt >= MAX_ATTEMPTS) throw new Error(`DynamoDB left keys unread after ${MAX_ATTEMPTS} attempts`);
    // DynamoDB returns unprocessed keys and items when it is throttling: wait before asking again.
    await backoff(attempt, { baseMs: 25, capMs: 5_000 });
    const result = await client.send(new BatchGetCommand({ RequestItems: requestItems }));
    for (const tableItems of Object.values(result.Responses ?? {})) items.push(...tableItems);
    requestItems = result.UnprocessedKeys;
  }
  return items;
}

/** BatchWriteItem takes at most 25 items a request. */
export const MAX_WRITE_ITEMS = 25;

/**
 * Puts the items, 25 a request and all requests at once, each retrying what DynamoDB left unprocessed.
 * For items with deterministic keys, where a replayed put is harmless.
 */
export async function batchPut(client: DynamoDBDocumentClient, table: string, items: Item[]): Promise<void> {
  const requests: Promise<void>[] = [];
  for (let start = 0; start < items.length; start += MAX_WRITE_ITEMS) {
    const chunk = items.slice(start, start + MAX_WRITE_ITEMS).map((Item) => ({ PutRequest: { Item } }));
    requests.push(writeChunk(client, { RequestItems: { [table]: chunk } }));
  }
  await Promise.all(requests);
}

/** Deletes the items with these keys, 25 a request and all requests at once, retrying what is left. */
export async function batchDelete(client: DynamoDBDocumentClient, table: string, keys: Key[]): Promise<void> {
  const requests: Promise<void>[] = [];
  for (let start = 0; start < keys.length; start += MAX_WRITE_ITEMS) {
    const chunk = keys.slice(start, start + MAX_WRITE_ITEMS).map((Key) => ({ DeleteRequest: { Key } }));
    requests.push(writeChunk(client, { RequestItems: { [table]: chunk } }));
  }
  await Promise.all(requests);
}

async function writeChunk(client: DynamoDBDocumentClient, input: BatchWriteCommandInput): Promise<void> {
  let requestItems = input.RequestItems;
  for (let attempt = 0; requestItems && Object.keys(requestItems).length > 0; attempt++) {
    if (attempt >= MAX_ATTEMPTS) {
      throw new Error(`DynamoDB left items unprocessed after ${MAX_ATTEMPTS} attempts`);
    }
    await backoff(attempt, { baseMs: 25, capMs: 5_000 });
    const result = await client.send(new BatchWriteCommand({ RequestItems: requestItems }));
    requestItems = result.UnprocessedItems;
  }
}
