import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * A rescoring run: a job over every customer aggregate in two passes (measure the population, then
 * score each customer against it), with its counters, the population's cut points and the fitted models.
 */
export const buildScoringRun = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'scoringRun', version: '1' },
      attributes: {
        runId: { type: 'string', required: true },
        trigger: { type: ['api', 'schedule'] as const, required: true },
        status: { type: ['measuring', 'fitting', 'scoring', 'completed', 'failed'] as const, required: true },
        segments: { type: 'number', required: true },
        startedAt: { type: 'string', required: true },
        finishedAt: { type: 'string' },
        /** Pass 1 and pass 2 segments finished; added in the transaction that marks a page done. */
        measuredSegments: { type: 'number', required: true },
        scoredSegments: { type: 'number', required: true },
        customersMeasured: { type: 'number', required: true },
        customersScored: { type: 'number', required: true },
        /** Customers whose stored scores this run changed. */
        customersChanged: { type: 'number', required: true },
        /** Counts of changes by kind (abc, valueTier, lifecycle, rfmGroup, churnRaised, churnCleared). */
        changes: { type: 'any' },
        /** Cut points and cut-offs from pass 1 (RfmCutPoints, AbcCutoffs, digests for percentiles). */
        population: { type: 'any' },
        /** BG/NBD and Gamma-Gamma fitted by this run, with when and on how many customers; absent when too few. */
        model: { type: 'any' },
        /**
         * The pass-1 step that sent the settle message, set once: segments that finish together would each
         * send one, and each settle fits the model (CPU seconds on a large base). The same step, redelivered,
         * sends it again, so a crash between the claim and the send loses nothing.
         */
        settleBy: { type: 'string' },
        error: { type: 'string' },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byId: {
          pk: { field: 'pk', composite: ['runId'], template: 'SCORERUN#${runId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'RUN', casing: 'none' },
        },
      },
    },
    config,
  );

export type ScoringRun = ReturnType<typeof buildScoringRun>;
