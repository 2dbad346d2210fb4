import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * The time index of segment transitions: one item per customer at the minute its segmentSchedule says
 * something may change. Keys are the minute and a write shard (hash of the customer id), so the sweeper
 * reads a minute as a few small queries and no key takes every customer due at once.
 */
export const buildSegmentDue = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'segmentDue', version: '1' },
      attributes: {
        /** Epoch minute (epoch ms / 60,000, floored). */
        minute: { type: 'number', required: true },
        shard: { type: 'number', required: true },
        customerId: { type: 'string', required: true },
        dueAt: { type: 'number', required: true },
        /** Epoch seconds; a backstop should an item outlive its customer (the sweeper deletes it first). */
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byMinute: {
          pk: {
            field: 'pk',
            composite: ['minute', 'shard'],
            template: 'SEGDUE#${minute}#${shard}',
            casing: 'none',
          },
          sk: { field: 'sk', composite: ['customerId'], template: '${customerId}', casing: 'none' },
        },
      },
    },
    config,
  );

export type SegmentDue = ReturnType<typeof buildSegmentDue>;
