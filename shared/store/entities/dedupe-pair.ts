import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * A likely duplicate found by a scan: one item per pair of customers (the pair id is both ids, lower
 * first), in the scan's own partition, listed by score through gsi1. Holds ids, the score and reason
 * codes only; names and contacts are read from the profiles when the list is read.
 */
export const buildDedupePair = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'dedupePair', version: '1' },
      attributes: {
        scanId: { type: 'string', required: true },
        pairId: { type: 'string', required: true },
        a: { type: 'string', required: true },
        b: { type: 'string', required: true },
        score: { type: 'number', required: true },
        /** 1000 - score x 1000, zero-padded: ascending rank is descending score. */
        rank: { type: 'string', required: true },
        reasons: { type: 'any', required: true },
        foundAt: { type: 'string', required: true },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byPair: {
          pk: { field: 'pk', composite: ['scanId'], template: 'DPAIRS#${scanId}', casing: 'none' },
          sk: { field: 'sk', composite: ['pairId'], template: '${pairId}', casing: 'none' },
        },
        byScore: {
          index: 'gsi1',
          pk: { field: 'gsi1pk', composite: ['scanId'], template: 'DPAIRS#${scanId}', casing: 'none' },
          sk: {
            field: 'gsi1sk',
            composite: ['rank', 'pairId'],
            template: '${rank}#${pairId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type DedupePair = ReturnType<typeof buildDedupePair>;
