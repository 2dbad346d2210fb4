import { Entity, type EntityConfiguration } from 'electrodb';

/** How far the transition sweeper has read the time index: every minute up to `sweptThrough` is done. */
export const buildSegmentSweep = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'segmentSweep', version: '1' },
      attributes: {
        name: { type: 'string', required: true, default: 'transitions', readOnly: true },
        /** Epoch minute. */
        sweptThrough: { type: 'number', required: true },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        byName: {
          pk: { field: 'pk', composite: ['name'], template: 'SEGSWEEP#${name}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'CURSOR', casing: 'none' },
        },
      },
    },
    config,
  );

export type SegmentSweep = ReturnType<typeof buildSegmentSweep>;
