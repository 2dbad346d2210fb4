import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * One stint of a customer in a segment: entered, and exited once it ended. Written in the transaction
 * that changes the membership; in the customer's partition, so erasure removes it with the rest.
 */
export const buildSegmentHistory = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'segmentHistory', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        segmentId: { type: 'string', required: true },
        enteredAt: { type: 'string', required: true },
        exitedAt: { type: 'string' },
      },
      indexes: {
        byCustomer: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: {
            field: 'sk',
            composite: ['segmentId', 'enteredAt'],
            template: 'SEGH#${segmentId}#${enteredAt}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type SegmentHistory = ReturnType<typeof buildSegmentHistory>;
