import { documentClient } from '../platform/aws.ts';
import { tableNameFromEnv } from '../platform/config.ts';
import { batchGetConsistent, type Key } from './batch-io.ts';
import { type EntityName, store } from './service.ts';

export interface Wanted {
  entity: EntityName;
  key: Record<string, unknown>;
}

const keyString = (key: Key) => `${key.pk}\u0000${key.sk}`;

/**
 * Items of several entities by key, in one round of consistent BatchGetItem requests (100 keys each),
 * in the order asked; undefined where nothing is stored. The entities build the keys and parse the
 * items, so callers get what `entity.get(key).go({ consistent: true })` would give, for a fraction of
 * the requests. Keys left unprocessed are read again; after that the read fails rather than answer
 * "none" for an item it could not read.
 */
export async function getMany(wanted: readonly Wanted[]): Promise<unknown[]> {
  const entities = store().entities as unknown as Record<
    string,
    {
      get(key: unknown): { params(): { Key: Key } };
      parse(r: { Item: Record<string, unknown> }): { data: unknown };
    }
  >;
  const keys = wanted.map(
    ({ entity, key }) => (entities[entity] as NonNullable<(typeof entities)[string]>).get(key).params().Key,
  );
  const unique = new Map(keys.map((k) => [keyString(k), k]));
  const items = await batchGetConsistent(documentClient(), tableNameFromEnv(), [...unique.values()]);
  const byKey = new Map(items.map((item) => [keyString(item as Key), item]));
  return wanted.map(({ entity }, i) => {
    const item = byKey.get(keyString(keys[i] as Key));
    if (!item) return undefined;
    return (
      (entities[entity] as NonNullable<(typeof entities)[string]>).parse({ Item: item }).data ?? undefined
    );
  });
}
