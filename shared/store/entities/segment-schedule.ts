import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * When each time-dependent segment's outcome may next change for one customer with no change to their
 * data ("no purchase in 30 days" turning true, a birthday coming within 7 days). In the customer's
 * partition, so erasure removes it with the rest. `due` maps segment id to `{ at, evaluatedAt }`: each
 * entry is replaced only by a newer evaluation, so a slow evaluation cannot move a transition later.
 * `dueAt` is the earliest `at`; the one segmentDue item of the customer sits at that time.
 */
export const buildSegmentSchedule = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'segmentSchedule', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        due: { type: 'any', required: true },
        /** Epoch ms of the earliest entry; absent when nothing is due. */
        dueAt: { type: 'number' },
        /** The minute of the time index the customer's segmentDue item sits in (a past time goes to the minute it was written in). */
        dueMinute: { type: 'number' },
        /** Bumped on every write; writes are conditional on the version read. */
        version: { type: 'number', required: true },
      },
      indexes: {
        byCustomer: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'SEGNEXT', casing: 'none' },
        },
      },
    },
    config,
  );

export type SegmentSchedule = ReturnType<typeof buildSegmentSchedule>;
