import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * Members of one shard of a segment, added to in the transaction of every entry and exit. One counter
 * per shard, so no single key takes every change of a large segment; the size is their sum.
 */
export const buildSegmentShardCount = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'segmentShardCount', version: '1' },
      attributes: {
        segmentId: { type: 'string', required: true },
        shard: { type: 'number', required: true },
        count: { type: 'number', required: true },
      },
      indexes: {
        byShard: {
          pk: {
            field: 'pk',
            composite: ['segmentId', 'shard'],
            template: 'SEGC#${segmentId}#${shard}',
            casing: 'none',
          },
          sk: { field: 'sk', composite: [], template: 'COUNT', casing: 'none' },
        },
      },
    },
    config,
  );

export type SegmentShardCount = ReturnType<typeof buildSegmentShardCount>;
