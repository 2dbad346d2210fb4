import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { parse } from 'csv-parse/sync';
import type { ImportChunkMessage } from '../../events/schemas/index.ts';
import { envNames } from '../../functions/env-names.ts';
import { filesBucketFromEnv, queueUrl } from '../platform/config.ts';
import { log } from '../platform/log.ts';
import { s3Client } from '../platform/s3.ts';
import { sqsClient } from '../platform/sqs.ts';
import { store } from '../store/service.ts';
import {
  decodeRecord,
  detectEncoding,
  type Encoding,
  EncodingError,
  hasUtf8Bom,
  SNIFF_BYTES,
} from './encoding.ts';
import { RecordFramer } from './framing.ts';
import { resolveColumns } from './mapping.ts';
import { completeIfDone, failImport, type ImportJobItem, readJob } from './service.ts';

/**
 * The import reader: streams the uploaded object from its checkpoint (a ranged GET), frames records,
 * decodes and parses each, and sends them to the import-rows queue in numbered chunks, saving the
 * checkpoint (byte offset just past the chunk's last record, rows read, chunks sent) after each. A
 * reader that dies resumes at the checkpoint and sends at most the chunk it was sending again, under the
 * same number, which the workers count once. It never holds more than a chunk and a record in memory.
 */

/** Rows per chunk: a worker writes a chunk in one go, and a chunk stays far below the SQS size limit. */
export const CHUNK_ROWS = 250;
/** SQS takes 256 KiB a message; JSON escaping can grow text, so a chunk is sent well before that. */
const CHUNK_BYTES = 160 * 1024;
/** A record longer than this is a rejected row, never a reason to hold a 10 MB line in memory. */
export const MAX_ROW_BYTES = 64 * 1024;
const MAX_REJECT_VALUE = 200;

export interface ReadOptions {
  /** Stop sending chunks after this long and hand over to a new invocation. */
  budgetMs: number;
  /** How long the job is held against other readers; defaults to the budget plus a minute. */
  leaseMs?: number;
  /** For tests: stop after this many chunks as if the process died (no hand-over, lease kept). */
  crashAfterChunks?: number;
  chunkRows?: number;
}

export type ReadOutcome = 'done' | 'more' | 'failed' | 'skipped' | 'crashed';

type Row = ImportChunkMessage['rows'][number];

async function claim(job: ImportJobItem, leaseMs: number): Promise<boolean> {
  const now = Date.now();
  return store()
    .entities.importJob.patch({ jobId: job.jobId })
    .set({ leaseUntil: now + leaseMs, status: 'reading', updatedAt: new Date(now).toISOString() })
    .where(
      (attr, op) =>
        `(${op.eq(attr.status, 'queued')} OR ${op.eq(attr.status, 'reading')}) AND (${op.notExists(attr.leaseUntil)} OR ${op.lt(attr.leaseUntil, now)})`,
    )
    .go()
    .then(() => true)
    .catch((error: { cause?: { name?: string } }) => {
      if (error.cause?.name === 'ConditionalCheckFailedException') return false;
      throw error;
    });
}

async function getBody(key: string, from: number, to?: number): Promise<Readable> {
  const result = await s3Client().send(
    new GetObjectCommand({
      Bucket: filesBucketFromEnv(),
      Key: key,
      Range: `bytes=${from}-${to ?? ''}`,
    }),
  );
  return result.Body as Readable;
}

async function readSample(key: string, total: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of await getBody(key, 0, Math.min(total, SNIFF_BYTES) - 1))
    parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function parseCsv(text: string): string[] {
  const records = parse(text, { relax_column_count: true, skip_empty_lines: false }) as string[][];
  if (records.length !== 1) throw new Error('holds more than one record');
  return records[0] as string[];
}

export async function readImport(jobId: string, options: ReadOptions): Promise<ReadOutcome> {
  const started = Date.now();
  const job = await readJob(jobId);
  if (!job || (job.status !== 'queued' && job.status !== 'reading')) return 'skipped';
  if (!(await claim(job, options.leaseMs ?? options.budgetMs + 60_000))) return 'skipped';
  const total = job.totalBytes ?? 0;
  const chunkRows = options.chunkRows ?? CHUNK_ROWS;

  let offset = job.bytesRead ?? 0;
  let row = job.rowsRead ?? 0;
  let chunkNo = job.chunksSent ?? 0;
  let header = job.header;
  let encoding = job.detectedEncoding as Encoding | undefined;
  if (!encoding) {
    if (total === 0) return fail(job, 'empty', 'The file is empty');
    const sample = await readSample(job.objectKey, total);
    try {
      encoding = detectEncoding(sample, job.encoding, sample.length >= total);
    } catch (error) {
      if (error instanceof EncodingError) return fail(job, 'encoding', error.message);
      throw error;
    }
    if (hasUtf8Bom(sample)) offset = 3;
    if (sample.subarray(offset).toString('latin1').trim() === '')
      return fail(job, 'empty', 'The file is empty');
    await store()
      .entities.importJob.patch({ jobId })
      .set({ detectedEncoding: encoding, bytesRead: offset })
      .go();
  }
  const mapping = (job.mapping ?? {}) as Record<string, string>;
  const defaults = (job.defaults ?? {}) as Record<string, unknown>;
  const csv = job.format === 'csv';

  let rows: Row[] = [];
  let rowsBytes = 0;
  let chunkEnd = offset;
  let sent = 0;
  const flush = async () => {
    if (rows.length > 0) {
      const message: ImportChunkMessage = { jobId, chunkNo, rows };
      await sqsClient().send(
        new SendMessageCommand({
          QueueUrl: queueUrl(envNames.queueUrl('import-rows')),
          MessageBody: JSON.stringify(message),
        }),
      );
      chunkNo++;
      sent++;
    }
    rows = [];
    rowsBytes = 0;
    await store()
      .entities.importJob.patch({ jobId })
      .set({ bytesRead: chunkEnd, rowsRead: row, chunksSent: chunkNo, updatedAt: new Date().toISOString() })
      .go();
  };

  const framer = new RecordFramer({ quotes: csv, maxRecordBytes: MAX_ROW_BYTES, startOffset: offset });
  let stop: ReadOutcome | undefined;
  let failure: { code: string; message: string } | undefined;
  const body = offset < total ? await getBody(job.objectKey, offset) : undefined;

  const handle = async (record: { bytes: Buffer; end: number; oversized: boolean; length: number }) => {
    row++;
    if (csv && !header) {
      if (record.bytes.length === 0 && !record.oversized) {
        chunkEnd = record.end;
        return;
      }
      let columns: string[];
      try {
        if (record.oversized) throw new Error(`is longer than ${MAX_ROW_BYTES} bytes`);
        columns = parseCsv(decodeRecord(record.bytes, encoding)).map((c) => c.trim());
      } catch (error) {
        failure = { code: 'header', message: `The header row cannot be read: ${(error as Error).message}` };
        return;
      }
      const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
      if (duplicate !== undefined) {
        failure = { code: 'header', message: `The header names the column "${duplicate}" twice` };
        return;
      }
      const resolved = resolveColumns(job.kind, columns, mapping, defaults);
      if (resolved.problem) {
        failure = { code: 'mapping', message: resolved.problem };
        return;
      }
      header = columns;
      chunkEnd = record.end;
      // The header is kept with the offset past it, so a resumed reader never reads it as data.
      await store()
        .entities.importJob.patch({ jobId })
        .set({ header, ignoredColumns: resolved.ignored, bytesRead: chunkEnd, rowsRead: row })
        .go();
      return;
    }
    chunkEnd = record.end;
    const entry = toRow(record, row, encoding, csv, header ?? []);
    if (entry) {
      rows.push(entry);
      rowsBytes += record.length + 16 * (header?.length ?? 1) + 32;
    }
    if (rows.length >= chunkRows || rowsBytes >= CHUNK_BYTES) {
      await flush();
      if (options.crashAfterChunks !== undefined && sent >= options.crashAfterChunks) stop = 'crashed';
      else if (Date.now() - started > options.budgetMs) stop = 'more';
    }
  };

  if (body) {
    try {
      for await (const part of body) {
        for (const record of framer.push(part as Buffer)) {
          await handle(record);
          if (stop || failure) break;
        }
        if (stop || failure) break;
      }
    } finally {
      if (stop || failure) body.destroy();
    }
  }
  if (!stop && !failure) for (const record of framer.end()) await handle(record);
  if (failure) {
    if ((job.chunksSent ?? 0) > 0 || sent > 0) throw new Error(`import ${jobId}: ${failure.message}`);
    return fail(job, failure.code, failure.message);
  }
  if (stop === 'crashed') return 'crashed';
  if (stop === 'more') {
    await store().entities.importJob.patch({ jobId }).set({ leaseUntil: 0 }).go();
    return 'more';
  }
  if (csv && !header) return fail(job, 'empty', 'The file has no header row');
  await flush();
  const now = new Date().toISOString();
  await store()
    .entities.importJob.patch({ jobId })
    .set({ readerDone: true, status: 'importing', leaseUntil: 0, updatedAt: now })
    .go();
  await completeIfDone(jobId);
  log.info('import read', { jobId, rows: row, chunks: chunkNo });
  return 'done';
}

async function fail(job: ImportJobItem, code: string, message: string): Promise<ReadOutcome> {
  await failImport(job, code, message);
  return 'failed';
}

function rejectRow(row: number, reason: string, value: string, values?: string[]): Row {
  return {
    row,
    error: { field: 'row', reason, value: value.slice(0, MAX_REJECT_VALUE) },
    ...(values && { values }),
  };
}

/** One record as a chunk row: its cells, its object, or why it cannot be read. Blank lines are skipped. */
function toRow(
  record: { bytes: Buffer; oversized: boolean; length: number },
  row: number,
  encoding: Encoding,
  csv: boolean,
  header: string[],
): Row | undefined {
  if (record.oversized)
    return rejectRow(row, `is ${record.length} bytes long; rows may be at most ${MAX_ROW_BYTES}`, '');
  let text: string;
  try {
    text = decodeRecord(record.bytes, encoding);
  } catch (error) {
    return rejectRow(row, (error as Error).message, record.bytes.toString('latin1'));
  }
  if (text.trim() === '') return undefined;
  if (!csv) {
    let object: unknown;
    try {
      object = JSON.parse(text);
    } catch (error) {
      return rejectRow(row, `is not valid JSON (${(error as Error).message})`, text);
    }
    if (!object || typeof object !== 'object' || Array.isArray(object)) {
      return rejectRow(row, 'must be a JSON object', text);
    }
    return { row, object: object as Record<string, unknown> };
  }
  let values: string[];
  try {
    values = parseCsv(text);
  } catch (error) {
    const message = (error as Error).message.replace(/^Invalid Record Length: |\s+at line \d+.*$/s, '');
    return rejectRow(row, `is not valid CSV (${message})`, text);
  }
  if (values.length !== header.length) {
    return rejectRow(row, `has ${values.length} fields; the header has ${header.length}`, text, values);
  }
  return { row, values };
}
