import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * Left in a merged-away customer's partition: the id keeps resolving to the survivor. Holds ids and
 * times only, no personal data, so it may outlive the survivor's erasure (the id then answers 410).
 */
export const buildMergedCustomer = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'mergedCustomer', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        survivorId: { type: 'string', required: true },
        mergeId: { type: 'string', required: true },
        mergedAt: { type: 'string', required: true },
        mergedBy: { type: 'string', required: true },
      },
      indexes: {
        byCustomer: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'MERGED', casing: 'none' },
        },
      },
    },
    config,
  );

export type MergedCustomer = ReturnType<typeof buildMergedCustomer>;
