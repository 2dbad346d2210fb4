import { Entity, type EntityConfiguration } from 'electrodb';

/** A customer's tier moved (ABC or value tier): when, from what, to what, by which run. */
export const buildTierChange = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'tierChange', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        at: { type: 'string', required: true },
        dimension: { type: ['abc', 'valueTier'] as const, required: true },
        from: { type: 'string', required: true },
        to: { type: 'string', required: true },
        runId: { type: 'string', required: true },
      },
      indexes: {
        byCustomer: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: {
            field: 'sk',
            composite: ['at', 'dimension'],
            template: 'TIERHIST#${at}#${dimension}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type TierChange = ReturnType<typeof buildTierChange>;
