import { Entity, type EntityConfiguration } from 'electrodb';

/** A remembered answer to a request sent with an Idempotency-Key; expires after a day. */
export const buildIdempotencyRecord = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'idempotency', version: '1' },
      attributes: {
        scope: { type: 'string', required: true },
        key: { type: 'string', required: true },
        requestHash: { type: 'string', required: true },
        status: { type: ['pending', 'done'] as const, required: true },
        response: { type: 'any' },
        createdAt: { type: 'string', required: true },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byKey: {
          pk: { field: 'pk', composite: ['scope', 'key'], template: 'IDEM#${scope}#${key}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'IDEM', casing: 'none' },
        },
      },
    },
    config,
  );

export type IdempotencyRecord = ReturnType<typeof buildIdempotencyRecord>;
