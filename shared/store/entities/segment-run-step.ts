import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * Done marker of one page of a segment recomputation (`<scanSegment>#<page>`), created with
 * attribute_not_exists in the transaction that adds the page's counts to the run: a redelivered page
 * finds it and only hands the work on.
 */
export const buildSegmentRunStep = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'segmentRunStep', version: '1' },
      attributes: {
        runId: { type: 'string', required: true },
        step: { type: 'string', required: true },
        /** Start of the next page ('' when this was the scan segment's last). */
        next: { type: 'string', required: true },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byStep: {
          pk: { field: 'pk', composite: ['runId'], template: 'SEGRUN#${runId}', casing: 'none' },
          sk: { field: 'sk', composite: ['step'], template: 'STEP#${step}', casing: 'none' },
        },
      },
    },
    config,
  );

export type SegmentRunStep = ReturnType<typeof buildSegmentRunStep>;
