import { Entity, type EntityConfiguration } from 'electrodb';

/** A pair a person marked as not a duplicate; later scans and listings leave it out. Ids only. */
export const buildDedupeDismissal = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'dedupeDismissal', version: '1' },
      attributes: {
        pairId: { type: 'string', required: true },
        a: { type: 'string', required: true },
        b: { type: 'string', required: true },
        dismissedBy: { type: 'string', required: true },
        dismissedAt: { type: 'string', required: true },
      },
      indexes: {
        byPair: {
          pk: { field: 'pk', composite: ['pairId'], template: 'DDISMISS#${pairId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'DISMISS', casing: 'none' },
        },
      },
    },
    config,
  );

export type DedupeDismissal = ReturnType<typeof buildDedupeDismissal>;
