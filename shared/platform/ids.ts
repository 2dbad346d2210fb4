import { createHash } from 'node:crypto';
import { monotonicFactory } from 'ulid';

const ulid = monotonicFactory();

/** Sortable ids for what Cohort creates. */
export function newId(): string {
  return ulid();
}

/** A stable small integer for write-sharding a key, from any string id. */
export function shardOf(id: string, shards: number): number {
  return createHash('sha1').update(id).digest().readUInt32BE(0) % shards;
}
