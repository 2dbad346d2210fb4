import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * A full recomputation: every active segment (or one) over every customer, in parallel-scan segments a
 * page per message. `entered`/`exited` map segment ids to what the run changed; pages add to them in
 * the transaction that records the page done.
 */
export const buildSegmentRun = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'segmentRun', version: '1' },
      attributes: {
        runId: { type: 'string', required: true },
        trigger: { type: ['api', 'schedule'] as const, required: true },
        /** The one segment the run recomputes; absent when it recomputes every active segment. */
        segmentId: { type: 'string' },
        status: { type: ['running', 'completed', 'failed'] as const, required: true },
        /** Parallel-scan segments of the table, and how many have been read to the end. */
        scanSegments: { type: 'number', required: true },
        scannedSegments: { type: 'number', required: true },
        customersScanned: { type: 'number', required: true },
        entered: { type: 'any', required: true },
        exited: { type: 'any', required: true },
        startedAt: { type: 'string', required: true },
        finishedAt: { type: 'string' },
        /** Set by the one page delivery that finishes the run (recounts, size points) before it completes. */
        finishing: { type: 'boolean' },
        error: { type: 'string' },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byId: {
          pk: { field: 'pk', composite: ['runId'], template: 'SEGRUN#${runId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'RUN', casing: 'none' },
        },
      },
    },
    config,
  );

export type SegmentRun = ReturnType<typeof buildSegmentRun>;
