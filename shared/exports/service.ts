import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { EntityItem } from 'electrodb';
import type { ExportMessage } from '../../events/schemas/index.ts';
import { envNames } from '../../functions/env-names.ts';
import { declaredAttributes } from '../customers/attributes.ts';
import { listCustomers } from '../customers/list.ts';
import { type Actor, getCustomer, identitiesOf } from '../customers/service.ts';
import { documentClient } from '../platform/aws.ts';
import { config, filesBucketFromEnv, queueUrl, tableNameFromEnv } from '../platform/config.ts';
import { NotFoundError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { log } from '../platform/log.ts';
import { presignGet, s3Client } from '../platform/s3.ts';
import { sqsClient } from '../platform/sqs.ts';
import type { ExportJob } from '../store/entities/export-job.ts';
import { store } from '../store/service.ts';
import { csvColumns, csvHeader, csvRows, ndjsonRows } from './csv.ts';
import { type ExportCreateInput, type ExportJobView, exportFiltersAsQuery } from './schema.ts';

type JobItem = EntityItem<ExportJob>;

/** S3 accepts parts of at least 5 MiB (the last excepted); 8 MiB keeps a worker's memory small and flat. */
export const PART_BYTES = 8 * 1024 * 1024;

const CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  json: 'application/json; charset=utf-8',
} as const;

const jobs = () => store().entities.exportJob;

function toView(job: JobItem): ExportJobView {
  return {
    id: job.exportId,
    kind: job.kind,
    format: job.format,
    ...(job.customerId && { customerId: job.customerId }),
    ...(job.filters && Object.keys(job.filters).length > 0 && { filters: job.filters }),
    status: job.status,
    rows: job.rows,
    bytes: job.bytes,
    ...(job.error && { error: job.error }),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.completedAt && { completedAt: job.completedAt }),
    expiresAt: new Date(job.expiresAt * 1000).toISOString(),
  };
}

export async function enqueueExportStep(exportId: string): Promise<void> {
  const message: ExportMessage = { exportId };
  await sqsClient().send(
    new SendMessageCommand({
      QueueUrl: queueUrl(envNames.queueUrl('export')),
      MessageBody: JSON.stringify(message),
    }),
  );
}

function newJob(fields: Pick<JobItem, 'kind' | 'format'> & Partial<JobItem>, actor: Actor): JobItem {
  const exportId = newId();
  const now = new Date();
  const extension = fields.format;
  return {
    exportId,
    status: 'queued',
    rows: 0,
    bytes: 0,
    cursor: '',
    parts: [],
    // '' keeps a customers export out of the sparse per-customer index, as ElectroDB needs the attribute.
    customerId: '',
    objectKey: `exports/${exportId}/${fields.kind === 'customers' ? 'customers' : `customer-${fields.customerId}`}.${extension}`,
    createdBy: actor.keyId,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + config().FILE_RETENTION_DAYS * 86_400,
    ...fields,
  } as JobItem;
}

/** Starts an export of customers (all, or those matching the listing filters) as CSV or NDJSON. */
export async function createCustomersExport(input: ExportCreateInput, actor: Actor): Promise<ExportJobView> {
  const job = await createCustomersExportJob(input, actor);
  await enqueueExportStep(job.id);
  return job;
}

/** The job alone, not yet started: what createCustomersExport does before it enqueues the first step. */
export async function createCustomersExportJob(
  input: ExportCreateInput,
  actor: Actor,
): Promise<ExportJobView> {
  // Validates the filters the way the listing does, so a bad filter is a 400 now, not a failed job later.
  exportFiltersAsQuery(input.filters);
  const job = newJob({ kind: 'customers', format: input.format, filters: input.filters ?? {} }, actor);
  await jobs().create(job).go();
  return toView(job);
}

/** Starts an export of everything held about one customer (PIPL Art. 45, GDPR Art. 15) as JSON. */
export async function createCustomerDataExport(customerId: string, actor: Actor): Promise<ExportJobView> {
  await getCustomer(customerId); // 404 or 410 before any job exists
  const job = newJob({ kind: 'customer_data', format: 'json', customerId }, actor);
  await jobs().create(job).go();
  await enqueueExportStep(job.exportId);
  return toView(job);
}

export async function getExport(exportId: string): Promise<ExportJobView> {
  const job = (await jobs().get({ exportId }).go({ consistent: true })).data;
  if (!job) throw new NotFoundError(`Export ${exportId} does not exist`);
  const view = toView(job);
  if (job.status === 'completed') {
    const fileName = job.objectKey.split('/').at(-1) ?? `export.${job.format}`;
    view.download = await presignGet(filesBucketFromEnv(), job.objectKey, {
      fileName,
      contentType: CONTENT_TYPES[job.format],
    });
  }
  return view;
}

export interface StepOptions {
  /** Milliseconds the invocation has left; the step stops early enough to save its checkpoint. */
  remainingMs: () => number;
  partBytes?: number;
}

/**
 * Advances an export by as much as fits in this invocation. Returns 'more' when the caller should
 * enqueue a continuation. Safe to run again after a crash at any point: the job item is the checkpoint,
 * a part number is rewritten rather than added twice, and a job already completed is left alone.
 */
export async function runExportStep(exportId: string, options: StepOptions): Promise<'done' | 'more'> {
  const job = (await jobs().get({ exportId }).go({ consistent: true })).data;
  if (!job) {
    log.warn('export job not found', { exportId });
    return 'done';
  }
  if (job.status === 'completed' || job.status === 'failed') return 'done';
  try {
    if (job.kind === 'customer_data') return await runCustomerDataExport(job);
    return await runCustomersExport(job, options);
  } catch (error) {
    if (error instanceof NotFoundError || (error as { name?: string }).name === 'GoneError') {
      await fail(job, error instanceof Error ? error.message : 'customer not found');
      return 'done';
    }
    throw error;
  }
}

async function fail(job: JobItem, message: string): Promise<void> {
  await jobs()
    .patch({ exportId: job.exportId })
    .set({ status: 'failed', error: message, updatedAt: new Date().toISOString() })
    .go();
}

async function runCustomersExport(job: JobItem, options: StepOptions): Promise<'done' | 'more'> {
  const state = job;
  // One worker per job at a time: two workers reading the same checkpoint could cut a part at different
  // places (the listing moves under them), and S3 keeps whichever upload of a part number came last.
  if (!(await takeLease(state, options.remainingMs()))) return 'done';
  try {
    // Read again under the lease: another worker may have moved the checkpoint since the first read.
    const current = (await jobs().get({ exportId: state.exportId }).go({ consistent: true })).data;
    if (!current || current.status === 'completed' || current.status === 'failed') return 'done';
    return await customersExportSteps(current, options);
  } finally {
    await jobs().patch({ exportId: state.exportId }).set({ leaseUntil: 0 }).go();
  }
}

/** The lease lasts the invocation; a crashed holder's message comes back after it expired. */
async function takeLease(job: JobItem, remainingMs: number): Promise<boolean> {
  const now = Date.now();
  return jobs()
    .patch({ exportId: job.exportId })
    .set({ leaseUntil: now + Math.max(remainingMs, 60_000) })
    .where((a, op) => `${op.notExists(a.leaseUntil)} OR ${op.lt(a.leaseUntil, now)}`)
    .go()
    .then(
      () => true,
      () => false,
    );
}

async function customersExportSteps(job: JobItem, options: StepOptions): Promise<'done' | 'more'> {
  const s3 = s3Client();
  const Bucket = filesBucketFromEnv();
  const Key = job.objectKey;
  const partBytes = options.partBytes ?? PART_BYTES;
  let state = job;
  if (state.status === 'finishing') return finish(state);
  if (!state.uploadId) {
    const created = await s3.send(
      new CreateMultipartUploadCommand({ Bucket, Key, ContentType: CONTENT_TYPES[state.format] }),
    );
    const uploadId = created.UploadId ?? '';
    // Only one worker starts the upload; a loser aborts its own and continues with the winner's.
    const won = await jobs()
      .patch({ exportId: state.exportId })
      .set({ uploadId, status: 'running', updatedAt: new Date().toISOString() })
      .where((a, op) => op.notExists(a.uploadId))
      .go()
      .then(
        () => true,
        () => false,
      );
    if (!won) {
      await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId }));
      return 'more';
    }
    state = { ...state, uploadId, status: 'running' };
  }

  const columns = state.format === 'csv' ? csvColumns([...(await declaredAttributes()).keys()]) : [];
  const query = exportFiltersAsQuery(state.filters as ExportCreateInput['filters']);
  let partStarted = Date.now();
  for (;;) {
    // Build one part from the checkpoint on. Rows read but not uploaded are read again after a crash.
    const chunks: string[] = [];
    let size = 0;
    let rows = 0;
    let cursor: string | undefined = state.cursor || undefined;
    const parts = state.parts ?? [];
    if (parts.length === 0 && state.format === 'csv') {
      const header = csvHeader(columns);
      chunks.push(header);
      size += Buffer.byteLength(header);
    }
    let exhausted = false;
    while (size < partBytes) {
      const page = await listCustomers({ ...query, ...(cursor && { cursor }) });
      const text = state.format === 'csv' ? csvRows(page.items, columns) : ndjsonRows(page.items);
      chunks.push(text);
      size += Buffer.byteLength(text);
      rows += page.items.length;
      cursor = page.next;
      if (!cursor) {
        exhausted = true;
        break;
      }
    }
    const partNumber = parts.length + 1;
    const body = Buffer.from(chunks.join(''));
    if (exhausted && body.length === 0 && parts.length > 0) return finish(state);
    const uploaded = await s3.send(
      new UploadPartCommand({ Bucket, Key, UploadId: state.uploadId, PartNumber: partNumber, Body: body }),
    );
    const next: JobItem = {
      ...state,
      status: exhausted ? 'finishing' : 'running',
      cursor: cursor ?? '',
      parts: [...parts, { n: partNumber, etag: uploaded.ETag ?? '' }],
      rows: state.rows + rows,
      bytes: state.bytes + body.length,
      updatedAt: new Date().toISOString(),
    };
    // The checkpoint moves only from the state this worker read, so two workers never both count a part.
    const saved = await jobs()
      .patch({ exportId: state.exportId })
      .set({
        status: next.status,
        cursor: next.cursor,
        parts: next.parts,
        rows: next.rows,
        bytes: next.bytes,
        updatedAt: next.updatedAt,
      })
      .where((a, op) => op.eq(a.cursor, state.cursor ?? ''))
      .go()
      .then(
        () => true,
        () => false,
      );
    if (!saved) return 'more';
    state = next;
    if (exhausted) return finish(state);
    const perPart = Date.now() - partStarted;
    partStarted = Date.now();
    if (options.remainingMs() < 2 * perPart + 5_000) return 'more';
  }
}

async function finish(job: JobItem): Promise<'done'> {
  const s3 = s3Client();
  const Bucket = filesBucketFromEnv();
  try {
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: job.objectKey,
        UploadId: job.uploadId,
        MultipartUpload: { Parts: (job.parts ?? []).map((p) => ({ PartNumber: p.n, ETag: p.etag })) },
      }),
    );
  } catch (error) {
    // Completed by an earlier run that crashed before saving so: the object is there.
    const exists = await s3.send(new HeadObjectCommand({ Bucket, Key: job.objectKey })).then(
      () => true,
      () => false,
    );
    if (!exists) throw error;
  }
  const now = new Date().toISOString();
  await jobs()
    .patch({ exportId: job.exportId })
    .set({ status: 'completed', completedAt: now, updatedAt: now })
    .go();
  log.info('export completed', { exportId: job.exportId, rows: job.rows, bytes: job.bytes });
  return 'done';
}

/** Everything in the customer's own partition except what the export shows through other fields. */
async function customerPartition(customerId: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: tableNameFromEnv(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `CUST#${customerId}` },
        ConsistentRead: true,
        ...(start && { ExclusiveStartKey: start }),
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Table bookkeeping that says nothing about the person. */
function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) {
    if (!/^(pk|sk|gsi\d(pk|sk)|__edb_e__|__edb_v__|shard|expiresAt)$/.test(k)) out[k] = v;
  }
  return out;
}

/**
 * The document a person gets when they ask what is held about them: the profile, the identities that
 * resolve to them, consents and other records kept with the profile, every event and order, and the
 * audit trail of changes. Sections for data that later parts of Cohort hold (messages sent) are present
 * and empty until then, so the document's shape does not change under its readers.
 */
export async function buildCustomerData(customerId: string): Promise<Record<string, unknown>> {
  const s = store().entities;
  const profile = await getCustomer(customerId);
  const partition = await customerPartition(customerId);
  const byPrefix = (prefix: string) =>
    partition.filter((i) => String(i.sk).startsWith(prefix)).map(withoutKeys);
  const events: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: Record<string, unknown>[]; cursor: string | null } = await s.event.query
      .timeline({ customerId })
      .go({ order: 'asc', limit: 500, ...(cursor && { cursor }) });
    events.push(...page.data.map(withoutKeys));
    cursor = page.cursor;
  } while (cursor);
  const audit = await s.audit.query.byCustomer({ customerId }).go({ pages: 'all' });
  const identities = [...identitiesOf(profile)].map(([, ref]) => ref);
  return {
    exportedAt: new Date().toISOString(),
    customerId,
    profile,
    identities,
    consents: byPrefix('CONSENT#'),
    otherRecords: partition
      .filter((i) => !['PROFILE'].includes(String(i.sk)) && !String(i.sk).startsWith('CONSENT#'))
      .map(withoutKeys),
    orders: events.filter((e) => e.type === 'order' || e.type === 'refund'),
    events: events.filter((e) => e.type !== 'order' && e.type !== 'refund'),
    messages: [],
    audit: audit.data.map(({ auditId, action, actorKeyId, actorName, fields, at }) => ({
      id: auditId,
      action,
      actor: { keyId: actorKeyId, name: actorName },
      fields: fields ?? [],
      at,
    })),
  };
}

async function runCustomerDataExport(job: JobItem): Promise<'done'> {
  if (!job.customerId) throw new Error(`Export ${job.exportId} has no customer`);
  const document = await buildCustomerData(job.customerId);
  const body = Buffer.from(JSON.stringify(document, null, 2));
  // One object written whole: a person's data is small enough, and a rerun simply writes it again.
  await s3Client().send(
    new PutObjectCommand({
      Bucket: filesBucketFromEnv(),
      Key: job.objectKey,
      Body: body,
      ContentType: CONTENT_TYPES.json,
    }),
  );
  const now = new Date().toISOString();
  const records = (document.events as unknown[]).length + (document.orders as unknown[]).length + 1;
  await jobs()
    .patch({ exportId: job.exportId })
    .set({ status: 'completed', rows: records, bytes: body.length, completedAt: now, updatedAt: now })
    .go();
  return 'done';
}

/**
 * For erasure: data exports of the customer hold their personal data, so the files and jobs go too.
 * Returns how many were deleted.
 */
export async function deleteCustomerDataExports(customerId: string): Promise<number> {
  const found = await jobs().query.byCustomer({ customerId }).go({ pages: 'all' });
  for (const job of found.data) {
    await s3Client().send(new DeleteObjectCommand({ Bucket: filesBucketFromEnv(), Key: job.objectKey }));
    await jobs().delete({ exportId: job.exportId }).go();
  }
  return found.data.length;
}
