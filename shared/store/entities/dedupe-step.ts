import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * Done marker of one page of a scan's work (`seg#<segment>#<page>` or `score#<shard>#<page>`), created
 * with attribute_not_exists in the transaction that adds the page's counts to the scan. `next` is where
 * the following page starts, so a redelivered message can hand the work on without redoing it.
 */
export const buildDedupeStep = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'dedupeStep', version: '1' },
      attributes: {
        scanId: { type: 'string', required: true },
        step: { type: 'string', required: true },
        /** Start of the next page ('' when this was the last). */
        next: { type: 'string', required: true },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byStep: {
          pk: { field: 'pk', composite: ['scanId'], template: 'DSCAN#${scanId}', casing: 'none' },
          sk: { field: 'sk', composite: ['step'], template: 'STEP#${step}', casing: 'none' },
        },
      },
    },
    config,
  );

export type DedupeStep = ReturnType<typeof buildDedupeStep>;
