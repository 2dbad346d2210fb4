import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * Whether one customer is in one segment, and as of which evaluation. Kept in the customer's partition,
 * so the customer's segments are one query, a full recomputation reads them beside the profile in the
 * same scan, and erasure reaches them with the rest of the partition. Kept after an exit (member false)
 * so that an older evaluation arriving late cannot undo a newer one.
 *
 * The members index (gsi1) is sparse and write-sharded: only members carry `SEGM#<segmentId>#<shard>`,
 * shard = hash(customerId) mod the segment's shards, so a large segment's writes spread over that many
 * partition keys. Written only by shared/segments/membership.ts (raw updates with conditions).
 */
export const buildSegmentMembership = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'segmentMembership', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        segmentId: { type: 'string', required: true },
        member: { type: 'boolean', required: true },
        shard: { type: 'number', required: true },
        /** Epoch ms of the data the deciding evaluation read; a write with an older one is refused. */
        evaluatedAt: { type: 'number', required: true },
        /** Start of the current (or last) stint. */
        enteredAt: { type: 'string' },
        exitedAt: { type: 'string' },
        /** What decided the last flip: rule, recompute, static, erased, merged, archived. */
        reason: { type: 'string' },
      },
      indexes: {
        byCustomer: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: { field: 'sk', composite: ['segmentId'], template: 'SEG#${segmentId}', casing: 'none' },
        },
        members: {
          index: 'gsi1',
          condition: (attr) => attr.member === true,
          pk: {
            field: 'gsi1pk',
            composite: ['segmentId', 'shard'],
            template: 'SEGM#${segmentId}#${shard}',
            casing: 'none',
          },
          sk: { field: 'gsi1sk', composite: ['customerId'], template: '${customerId}', casing: 'none' },
        },
      },
    },
    config,
  );

export type SegmentMembership = ReturnType<typeof buildSegmentMembership>;
