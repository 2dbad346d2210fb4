import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * A duplicate-detection scan: the job resource and its progress counters. Counters move only in the
 * same transaction that creates a step's done marker (dedupe-step.ts), so a redelivered message never
 * counts twice.
 */
export const buildDedupeScan = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'dedupeScan', version: '1' },
      attributes: {
        scanId: { type: 'string', required: true },
        status: { type: ['blocking', 'scoring', 'done'] as const, required: true },
        minScore: { type: 'number', required: true },
        segments: { type: 'number', required: true },
        shards: { type: 'number', required: true },
        segmentsDone: { type: 'number', required: true },
        shardsDone: { type: 'number', required: true },
        customersRead: { type: 'number', required: true },
        blockingKeys: { type: 'number', required: true },
        blocks: { type: 'number', required: true },
        blocksSkipped: { type: 'number', required: true },
        comparisons: { type: 'number', required: true },
        candidates: { type: 'number' },
        requestedBy: { type: 'string', required: true },
        createdAt: { type: 'string', required: true },
        completedAt: { type: 'string' },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byId: {
          pk: { field: 'pk', composite: ['scanId'], template: 'DSCAN#${scanId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'SCAN', casing: 'none' },
        },
      },
    },
    config,
  );

export type DedupeScan = ReturnType<typeof buildDedupeScan>;
