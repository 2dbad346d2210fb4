import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * A rejected row of an import: its number, and per field the reason and the raw value. Raw values are
 * personal data, so the item expires (per stage) and the identities it mentions are recorded in
 * ImportRejectRef items, where erasure finds it.
 */
export const buildImportReject = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'importReject', version: '1' },
      attributes: {
        jobId: { type: 'string', required: true },
        /** Zero-padded in the key, so the rejects of a job list in row order. */
        row: { type: 'number', required: true, padding: { length: 10, char: '0' } },
        /** `[{ field, reason, value }]`. */
        errors: { type: 'any', required: true },
        /** Normalized identities the row mentions, `kind#value`, for erasure. */
        identities: { type: 'list', items: { type: 'string' } },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byJob: {
          pk: { field: 'pk', composite: ['jobId'], template: 'IMPORT#${jobId}', casing: 'none' },
          sk: { field: 'sk', composite: ['row'], template: 'REJECT#${row}', casing: 'none' },
        },
      },
    },
    config,
  );

export type ImportReject = ReturnType<typeof buildImportReject>;
