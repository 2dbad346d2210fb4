import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * A pointer from an identity (normalized email, E.164 phone, external id) to a rejected import row that
 * mentions it, so erasing a customer can find and delete the rejects that hold their data. Expires with
 * the reject.
 */
export const buildImportRejectRef = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'importRejectRef', version: '1' },
      attributes: {
        kind: { type: ['email', 'phone', 'externalId'] as const, required: true },
        value: { type: 'string', required: true },
        jobId: { type: 'string', required: true },
        row: { type: 'number', required: true },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byIdentity: {
          pk: {
            field: 'pk',
            composite: ['kind', 'value'],
            template: 'REJREF#${kind}#${value}',
            casing: 'none',
          },
          sk: { field: 'sk', composite: ['jobId', 'row'], template: '${jobId}#${row}', casing: 'none' },
        },
      },
    },
    config,
  );

export type ImportRejectRef = ReturnType<typeof buildImportRejectRef>;
