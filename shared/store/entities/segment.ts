import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * A segment: a rule (or an uploaded list, `static`) whose members are materialized in segmentMembership
 * items. `shards` is fixed at creation from the expected size: membership listing keys are spread over
 * that many partition keys, and the size is the sum of as many counters.
 */
export const buildSegment = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'segment', version: '1' },
      attributes: {
        segmentId: { type: 'string', required: true },
        name: { type: 'string', required: true },
        description: { type: 'string' },
        kind: { type: ['dynamic', 'static'] as const, required: true },
        /** The rule tree as given (validated by shared/segments); absent for static segments. */
        rule: { type: 'any' },
        status: { type: ['active', 'archived'] as const, required: true },
        /** How stale a time-based condition may get before the sweep applies it, in minutes. */
        freshnessMinutes: { type: 'number', required: true },
        shards: { type: 'number', required: true },
        /** Size points `{ at, size }`, oldest first, the last SIZE_HISTORY kept (recomputations add them). */
        sizeHistory: { type: 'any', required: true },
        version: { type: 'number', required: true },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        byId: {
          pk: { field: 'pk', composite: ['segmentId'], template: 'SEG#${segmentId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'SEGMENT', casing: 'none' },
        },
        // One partition for the listing: segments are few and rarely written.
        all: {
          index: 'gsi1',
          pk: { field: 'gsi1pk', composite: [], template: 'SEGMENTS', casing: 'none' },
          sk: { field: 'gsi1sk', composite: ['segmentId'], template: '${segmentId}', casing: 'none' },
        },
      },
    },
    config,
  );

export type Segment = ReturnType<typeof buildSegment>;
