import { Entity, type EntityConfiguration } from 'electrodb';

/** An API key: only the SHA-256 of its secret is stored. */
export const buildApiKey = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'apiKey', version: '1' },
      attributes: {
        keyId: { type: 'string', required: true },
        name: { type: 'string', required: true },
        scopes: { type: 'list', items: { type: 'string' }, required: true },
        secretHash: { type: 'string', required: true },
        createdAt: { type: 'string', required: true },
        createdBy: { type: 'string' },
        revokedAt: { type: 'string' },
      },
      indexes: {
        byId: {
          pk: { field: 'pk', composite: ['keyId'], template: 'APIKEY#${keyId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'APIKEY', casing: 'none' },
        },
      },
    },
    config,
  );

export type ApiKey = ReturnType<typeof buildApiKey>;
