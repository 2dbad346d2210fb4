import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { EntityItem } from 'electrodb';
import { envNames } from '../../functions/env-names.ts';
import type { Actor } from '../customers/service.ts';
import { filesBucketFromEnv, queueUrl } from '../platform/config.ts';
import { withClientCursor } from '../platform/cursor.ts';
import { ConflictError, NotFoundError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { log } from '../platform/log.ts';
import { objectSize, presignPut, s3Client } from '../platform/s3.ts';
import { sqsClient } from '../platform/sqs.ts';
import type { ImportJob } from '../store/entities/import-job.ts';
import { store } from '../store/service.ts';
import type { ImportCreateInput, ImportJobView } from './schema.ts';

/**
 * Import jobs: created with a presigned upload URL, started once the file is there, read by the reader
 * (reader.ts) into chunks that the row workers (worker.ts) write, and completed when the reader is done
 * and every chunk it sent is counted.
 */
export type ImportJobItem = EntityItem<ImportJob>;

const jobs = () => store().entities.importJob;

export async function readJob(jobId: string): Promise<ImportJobItem | undefined> {
  const result = await jobs().get({ jobId }).go({ consistent: true });
  return result.data ?? undefined;
}

async function requireJob(jobId: string): Promise<ImportJobItem> {
  const job = await readJob(jobId);
  if (!job) throw new NotFoundError(`Import ${jobId} does not exist`);
  return job;
}

export function toView(job: ImportJobItem, now = Date.now()): ImportJobView {
  const rowsRead = Math.max(0, (job.rowsRead ?? 0) - (job.format === 'csv' && job.header ? 1 : 0));
  const rowsDone = job.rowsDone ?? 0;
  const started = job.startedAt ? Date.parse(job.startedAt) : undefined;
  const until = job.completedAt ? Date.parse(job.completedAt) : now;
  const seconds = started === undefined ? 0 : Math.max(0.001, (until - started) / 1000);
  const rowsPerSecond = seconds > 0 ? Math.round(rowsDone / seconds) : 0;
  let etaSeconds: number | undefined;
  if (job.status === 'completed') etaSeconds = 0;
  else if (rowsPerSecond > 0 && job.totalBytes && job.bytesRead) {
    const expectedRows = (rowsRead * job.totalBytes) / job.bytesRead;
    etaSeconds = Math.max(0, Math.round((expectedRows - rowsDone) / rowsPerSecond));
  }
  return {
    id: job.jobId,
    kind: job.kind,
    format: job.format,
    encoding: job.encoding,
    ...(job.detectedEncoding && { detectedEncoding: job.detectedEncoding }),
    dateFormat: job.dateFormat,
    ...(job.mapping && { mapping: job.mapping as Record<string, string> }),
    status: job.status,
    ...(job.error && { error: job.error as { code: string; message: string } }),
    ...(job.ignoredColumns?.length && { ignoredColumns: job.ignoredColumns }),
    progress: {
      rowsRead,
      rowsDone,
      bytesRead: job.bytesRead ?? 0,
      ...(job.totalBytes !== undefined && { totalBytes: job.totalBytes }),
      rowsPerSecond,
      ...(etaSeconds !== undefined && { etaSeconds }),
    },
    counts: {
      created: job.created ?? 0,
      updated: job.updated ?? 0,
      unchanged: job.unchanged ?? 0,
      rejected: job.rejected ?? 0,
    },
    rejectsUrl: `/v1/imports/${job.jobId}/rejects`,
    createdAt: job.createdAt,
    ...(job.startedAt && { startedAt: job.startedAt }),
    ...(job.completedAt && { completedAt: job.completedAt }),
  };
}

export async function createImport(input: ImportCreateInput, actor: Actor): Promise<ImportJobView> {
  const jobId = newId();
  const now = new Date().toISOString();
  const objectKey = `imports/${jobId}/source.${input.format}`;
  const upload = await presignPut(filesBucketFromEnv(), objectKey);
  const job = {
    jobId,
    kind: input.kind,
    format: input.format,
    encoding: input.encoding,
    ...(input.mapping && { mapping: input.mapping }),
    dateFormat: input.dateFormat,
    ...(input.defaults && { defaults: input.defaults }),
    status: 'awaiting_upload' as const,
    createdBy: actor.keyId,
    createdByName: actor.keyName,
    createdAt: now,
    updatedAt: now,
    objectKey,
  };
  await jobs().create(job).go();
  return { ...toView(job), uploadUrl: upload.url, expiresAt: upload.expiresAt };
}

export async function getImport(jobId: string): Promise<ImportJobView> {
  return toView(await requireJob(jobId));
}

export async function listImports(limit: number, cursor?: string) {
  const result = await withClientCursor(cursor, () =>
    jobs()
      .query.byCreated({})
      .go({ order: 'desc', limit, ...(cursor && { cursor }) }),
  );
  return { items: result.data.map((j) => toView(j)), ...(result.cursor && { next: result.cursor }) };
}

export async function sendReadMessage(jobId: string): Promise<void> {
  await sqsClient().send(
    new SendMessageCommand({
      QueueUrl: queueUrl(envNames.queueUrl('import-read')),
      MessageBody: JSON.stringify({ jobId }),
    }),
  );
}

/**
 * Queues an uploaded file for reading. A job that already started is answered as it is, so a retried
 * start changes nothing; one whose file is not there yet is a 409.
 */
export async function startImport(jobId: string): Promise<ImportJobView> {
  const job = await requireJob(jobId);
  if (job.status !== 'awaiting_upload') return toView(job);
  const size = await objectSize(filesBucketFromEnv(), job.objectKey);
  if (size === undefined) {
    throw new ConflictError(
      'The file has not been uploaded yet: PUT it to the uploadUrl, then start the import',
    );
  }
  const now = new Date().toISOString();
  const started = await jobs()
    .patch({ jobId })
    .set({ status: 'queued', totalBytes: size, startedAt: now, updatedAt: now })
    .where((attr, op) => op.eq(attr.status, 'awaiting_upload'))
    .go({ response: 'all_new' })
    .then((r) => r.data as ImportJobItem)
    .catch((error: { cause?: { name?: string } }) => {
      if (error.cause?.name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    });
  if (!started) return toView(await requireJob(jobId));
  await sendReadMessage(jobId);
  return toView(started);
}

/** Ends a job that cannot be imported, before any of it was written; the file goes. */
export async function failImport(job: ImportJobItem, code: string, message: string): Promise<void> {
  const { jobId } = job;
  const now = new Date().toISOString();
  await jobs()
    .patch({ jobId })
    .set({ status: 'failed', error: { code, message }, completedAt: now, updatedAt: now, leaseUntil: 0 })
    .go();
  await removeSource(job);
  log.info('import failed', { jobId, code });
}

/**
 * Marks the job completed once the reader is done and every chunk it sent has been counted; called by
 * the reader when it finishes and by each worker after its chunk, so whichever comes last completes it.
 */
export async function completeIfDone(jobId: string): Promise<boolean> {
  const job = await readJob(jobId);
  if (job?.status !== 'importing' || !job.readerDone) return false;
  if ((job.chunksDone ?? 0) !== (job.chunksSent ?? 0)) return false;
  const now = new Date().toISOString();
  const done = await jobs()
    .patch({ jobId })
    .set({ status: 'completed', completedAt: now, updatedAt: now })
    .where(
      (attr, op) => `${op.eq(attr.status, 'importing')} AND ${op.eq(attr.chunksDone, job.chunksSent ?? 0)}`,
    )
    .go()
    .then(() => true)
    .catch((error: { cause?: { name?: string } }) => {
      if (error.cause?.name === 'ConditionalCheckFailedException') return false;
      throw error;
    });
  if (done) {
    await removeSource(job);
    log.info('import completed', {
      jobId,
      created: job.created,
      updated: job.updated,
      rejected: job.rejected,
    });
  }
  return done;
}

/**
 * The uploaded file holds personal data and is not needed once the job has ended; the bucket's
 * lifecycle rule is the backstop should this fail.
 */
async function removeSource(job: ImportJobItem): Promise<void> {
  try {
    await s3Client().send(new DeleteObjectCommand({ Bucket: filesBucketFromEnv(), Key: job.objectKey }));
  } catch (error) {
    log.warn('could not remove an import file; the lifecycle rule will', { jobId: job.jobId, error });
  }
}
