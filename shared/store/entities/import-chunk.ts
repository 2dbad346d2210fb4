import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * The marker of one finished chunk of an import, `(jobId, chunkNo)`: created with attribute_not_exists
 * in the transaction that adds its counts to the job, so a redelivered chunk is counted once.
 */
export const buildImportChunk = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'importChunk', version: '1' },
      attributes: {
        jobId: { type: 'string', required: true },
        chunkNo: { type: 'number', required: true },
        rows: { type: 'number', required: true },
        created: { type: 'number', required: true },
        updated: { type: 'number', required: true },
        unchanged: { type: 'number', required: true },
        rejected: { type: 'number', required: true },
        at: { type: 'string', required: true },
      },
      indexes: {
        byJob: {
          pk: { field: 'pk', composite: ['jobId'], template: 'IMPORT#${jobId}', casing: 'none' },
          sk: { field: 'sk', composite: ['chunkNo'], template: 'CHUNK#${chunkNo}', casing: 'none' },
        },
      },
    },
    config,
  );

export type ImportChunk = ReturnType<typeof buildImportChunk>;
