import { Entity, type EntityConfiguration } from 'electrodb';

/** One day's distribution of one dimension (rfmGroup, tier, ...), written by the day's last rescoring run. */
export const buildScoreSnapshot = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'scoreSnapshot', version: '1' },
      attributes: {
        dimension: { type: 'string', required: true },
        /** UTC date, YYYY-MM-DD. */
        day: { type: 'string', required: true },
        counts: { type: 'any', required: true },
        total: { type: 'number', required: true },
        runId: { type: 'string', required: true },
        at: { type: 'string', required: true },
      },
      indexes: {
        byDay: {
          pk: { field: 'pk', composite: ['dimension'], template: 'SCORESNAP#${dimension}', casing: 'none' },
          sk: { field: 'sk', composite: ['day'], template: '${day}', casing: 'none' },
        },
      },
    },
    config,
  );

export type ScoreSnapshot = ReturnType<typeof buildScoreSnapshot>;
