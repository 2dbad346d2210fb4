import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * One item per identity value (a normalized email, an E.164 phone, an external id) pointing at its
 * customer. Created with attribute_not_exists, so one identity can never belong to two customers.
 */
export const buildIdentity = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'identity', version: '1' },
      attributes: {
        kind: { type: ['email', 'phone', 'externalId'] as const, required: true },
        value: { type: 'string', required: true },
        customerId: { type: 'string', required: true },
        createdAt: { type: 'string', required: true },
      },
      indexes: {
        byValue: {
          pk: {
            field: 'pk',
            composite: ['kind', 'value'],
            template: 'IDENT#${kind}#${value}',
            casing: 'none',
          },
          sk: { field: 'sk', composite: [], template: 'IDENT', casing: 'none' },
        },
      },
    },
    config,
  );

export type Identity = ReturnType<typeof buildIdentity>;
