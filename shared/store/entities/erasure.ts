import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * The record of an erasure request; doubles as the tombstone that makes an erased id answer 410.
 * While `erasing`, it sits in the pending index (gsi2) where the sweeper finds unfinished work.
 */
export const buildErasure = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'erasure', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        status: { type: ['erasing', 'erased'] as const, required: true },
        requestedAt: { type: 'string', required: true },
        requestedBy: { type: 'string', required: true },
        completedAt: { type: 'string' },
        deletedItems: { type: 'number' },
      },
      indexes: {
        byCustomer: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'ERASURE', casing: 'none' },
        },
        pending: {
          index: 'gsi2',
          condition: (attr) => attr.status === 'erasing',
          pk: { field: 'gsi2pk', composite: [], template: 'ERASURES#PENDING', casing: 'none' },
          sk: {
            field: 'gsi2sk',
            composite: ['requestedAt', 'customerId'],
            template: '${requestedAt}#${customerId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type Erasure = ReturnType<typeof buildErasure>;
