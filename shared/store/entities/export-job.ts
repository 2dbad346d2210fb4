import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * An export job: customers as CSV or NDJSON, or everything held about one customer (PIPL Art. 45 /
 * GDPR Art. 15). The customers export is written to S3 as a multipart upload across invocations; the
 * job item is its checkpoint: the listing cursor after the last uploaded part, and the parts so far.
 * A data export of one customer sits in that customer's index (gsi2), where erasure finds its file.
 */
export const buildExportJob = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'exportJob', version: '1' },
      attributes: {
        exportId: { type: 'string', required: true },
        kind: { type: ['customers', 'customer_data'] as const, required: true },
        format: { type: ['csv', 'ndjson', 'json'] as const, required: true },
        /** customers: the listing filters (tag, owner, tier, lifecycle, updatedSince). */
        filters: { type: 'any' },
        /** customer_data: whose data; '' for a customers export. */
        customerId: { type: 'string', required: true },
        status: { type: ['queued', 'running', 'finishing', 'completed', 'failed'] as const, required: true },
        objectKey: { type: 'string', required: true },
        rows: { type: 'number', required: true },
        bytes: { type: 'number', required: true },
        /** Checkpoint: the listing cursor after the last uploaded part ('' before the first). */
        cursor: { type: 'string' },
        uploadId: { type: 'string' },
        parts: {
          type: 'list',
          items: { type: 'map', properties: { n: { type: 'number' }, etag: { type: 'string' } } },
        },
        /** Epoch ms until which one worker holds the job; a second delivery of a step leaves it to that one. */
        leaseUntil: { type: 'number' },
        error: { type: 'string' },
        createdBy: { type: 'string', required: true },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
        completedAt: { type: 'string' },
        /** TTL: the job goes when its file does (the bucket's lifecycle rule for exports/). */
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byId: {
          pk: { field: 'pk', composite: ['exportId'], template: 'EXPORT#${exportId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'JOB', casing: 'none' },
        },
        byCustomer: {
          index: 'gsi2',
          condition: (attr) => typeof attr.customerId === 'string' && attr.customerId !== '',
          pk: {
            field: 'gsi2pk',
            composite: ['customerId'],
            template: 'DATAEXPORTS#${customerId}',
            casing: 'none',
          },
          sk: { field: 'gsi2sk', composite: ['exportId'], template: '${exportId}', casing: 'none' },
        },
      },
    },
    config,
  );

export type ExportJob = ReturnType<typeof buildExportJob>;
