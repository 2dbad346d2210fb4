import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * Done marker of one page of a rescoring run (`1#<segment>#<page>` measuring, `2#<segment>#<page>`
 * scoring), created with attribute_not_exists in the transaction that adds the page's counts to the run.
 * A measuring page keeps its part of the population (`part`: digests and a bounded sample), merged once
 * every segment is in; a scoring page keeps its distribution counts, summed into the daily snapshots.
 */
export const buildScoringStep = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'scoringStep', version: '1' },
      attributes: {
        runId: { type: 'string', required: true },
        step: { type: 'string', required: true },
        /** Start of the next page ('' when this was the segment's last). */
        next: { type: 'string', required: true },
        part: { type: 'any' },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byStep: {
          pk: { field: 'pk', composite: ['runId'], template: 'SCORERUN#${runId}', casing: 'none' },
          sk: { field: 'sk', composite: ['step'], template: 'STEP#${step}', casing: 'none' },
        },
      },
    },
    config,
  );

export type ScoringStep = ReturnType<typeof buildScoringStep>;
