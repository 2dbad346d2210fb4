import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * One customer in one block of a scan. Blocks are keyed by a hash of the blocking key (never the
 * email, phone or name itself) and spread over the scan's write shards by that hash, so every segment
 * worker that meets the same key writes into the same block and no partition takes all the writes.
 * Reading a shard in key order yields its blocks one after another.
 */
export const buildDedupeBlockEntry = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'dedupeBlockEntry', version: '1' },
      attributes: {
        scanId: { type: 'string', required: true },
        shard: { type: 'number', required: true },
        /** `<kind>.<hash>`: the kind of key (email, phone, name...) and a hash of its value. */
        block: { type: 'string', required: true },
        customerId: { type: 'string', required: true },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byBlock: {
          pk: {
            field: 'pk',
            composite: ['scanId', 'shard'],
            template: 'DBLK#${scanId}#${shard}',
            casing: 'none',
          },
          sk: {
            field: 'sk',
            composite: ['block', 'customerId'],
            template: '${block}#${customerId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type DedupeBlockEntry = ReturnType<typeof buildDedupeBlockEntry>;
