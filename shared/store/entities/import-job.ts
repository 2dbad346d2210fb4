import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * An import job: what to import and how (kind, format, encoding, column mapping), where the reader got
 * to (its checkpoint: byte offset after the last record of the last chunk it enqueued, records read,
 * chunks sent) and what the row workers finished (counts summed in the same transaction that marks a
 * chunk done). Listed newest first in gsi1. Holds no personal data: column names and counts only.
 */
export const buildImportJob = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'importJob', version: '1' },
      attributes: {
        jobId: { type: 'string', required: true },
        kind: { type: ['customers', 'orders', 'events'] as const, required: true },
        format: { type: ['csv', 'ndjson'] as const, required: true },
        encoding: { type: ['auto', 'utf-8', 'gb18030'] as const, required: true },
        detectedEncoding: { type: ['utf-8', 'gb18030'] as const },
        /** Column (or NDJSON key) to target, as the client gave it. */
        mapping: { type: 'any' },
        dateFormat: { type: 'string', required: true },
        /** Target to value, used where a row leaves the target empty. */
        defaults: { type: 'any' },
        status: {
          type: ['awaiting_upload', 'queued', 'reading', 'importing', 'completed', 'failed'] as const,
          required: true,
        },
        /** Why a job failed, for the client: `{ code, message }`. */
        error: { type: 'any' },
        createdBy: { type: 'string', required: true },
        createdByName: { type: 'string' },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
        startedAt: { type: 'string' },
        completedAt: { type: 'string' },
        objectKey: { type: 'string', required: true },
        totalBytes: { type: 'number' },
        /** The header row's columns, kept so a reader resuming mid-file can name the fields. */
        header: { type: 'list', items: { type: 'string' } },
        ignoredColumns: { type: 'list', items: { type: 'string' } },
        /** Checkpoint: bytes of the file consumed by the chunks sent so far. */
        bytesRead: { type: 'number' },
        /** Checkpoint: records consumed (the header included), so row numbers carry on after a resume. */
        rowsRead: { type: 'number' },
        /** Checkpoint: chunks sent; the next one is number `chunksSent`. */
        chunksSent: { type: 'number' },
        readerDone: { type: 'boolean' },
        /** A reader holds the job until then (epoch ms), so two readers never read the same file at once. */
        leaseUntil: { type: 'number' },
        chunksDone: { type: 'number' },
        rowsDone: { type: 'number' },
        created: { type: 'number' },
        updated: { type: 'number' },
        unchanged: { type: 'number' },
        rejected: { type: 'number' },
      },
      indexes: {
        byId: {
          pk: { field: 'pk', composite: ['jobId'], template: 'IMPORT#${jobId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'JOB', casing: 'none' },
        },
        byCreated: {
          index: 'gsi1',
          pk: { field: 'gsi1pk', composite: [], template: 'IMPORTS', casing: 'none' },
          sk: {
            field: 'gsi1sk',
            composite: ['createdAt', 'jobId'],
            template: '${createdAt}#${jobId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type ImportJob = ReturnType<typeof buildImportJob>;
