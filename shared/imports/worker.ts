import type { ImportChunkMessage } from '../../events/schemas/index.ts';
import { declaredAttributes } from '../customers/attributes.ts';
import { upsertCustomers } from '../customers/bulk.ts';
import { customerUpsertSchema } from '../customers/schema.ts';
import type { Actor } from '../customers/service.ts';
import { eventInputSchema, orderInputSchema } from '../events/schema.ts';
import { ingestEvents, ingestOrders } from '../events/service.ts';
import { type FieldError, ValidationError } from '../platform/errors.ts';
import { log } from '../platform/log.ts';
import { zodIssuesToFieldErrors } from '../platform/validation.ts';
import type * as z from '../platform/zod.ts';
import { countOnce } from '../store/markers.ts';
import { store } from '../store/service.ts';
import { type DateFormat, objectToInput, type RowContext, resolveColumns, rowToInput } from './mapping.ts';
import { type RejectedRow, writeRejects } from './rejects.ts';
import { completeIfDone, type ImportJobItem, readJob } from './service.ts';

/**
 * The row worker: one chunk of an import, validated with the API's own schemas and written through the
 * same domain code the API uses (bulk customer upserts, order and event ingest). Its counts reach the job
 * in the transaction that creates the chunk's marker, so a chunk delivered or sent twice counts once.
 */
export interface ChunkResult {
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  duplicate: boolean;
}

interface Valid {
  row: number;
  input: unknown;
  mentions: RejectedRow['mentions'];
  columnOf: Map<string, string>;
}

function mentionsOf(kind: ImportJobItem['kind'], input: Record<string, unknown>): RejectedRow['mentions'] {
  const source = kind === 'customers' ? input : ((input.customer ?? {}) as Record<string, unknown>);
  return { externalId: source.externalId, email: source.email, phone: source.phone };
}

/** A field path from the API's schema, named by the column that fed it where there is one. */
function columnName(path: string, columnOf: Map<string, string>): string {
  const target = path.replace(/\[\d+\]/g, '');
  for (let t = target; t; t = t.slice(0, Math.max(0, t.lastIndexOf('.')))) {
    const column = columnOf.get(t);
    if (column) return column;
    if (!t.includes('.')) break;
  }
  return target || 'row';
}

function valueAt(input: unknown, path: string): string {
  let v: unknown = input;
  for (const part of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (v && typeof v === 'object') v = (v as Record<string, unknown>)[part];
    else return '';
  }
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export async function processChunk(message: ImportChunkMessage): Promise<ChunkResult> {
  const { jobId, chunkNo } = message;
  const s = store().entities;
  const none = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
  const marker = await s.importChunk.get({ jobId, chunkNo }).go({ consistent: true });
  if (marker.data) return { ...none, duplicate: true };
  const job = await readJob(jobId);
  if (!job) throw new Error(`import ${jobId} does not exist`);
  const actor: Actor = { keyId: job.createdBy, keyName: `import ${jobId}` };
  const mapping = (job.mapping ?? {}) as Record<string, string>;
  const defaults = (job.defaults ?? {}) as Record<string, unknown>;
  const ctx: RowContext = {
    kind: job.kind,
    columns: resolveColumns(job.kind, job.header ?? [], mapping, defaults).columns,
    dateFormat: job.dateFormat as DateFormat,
    defaults,
    attributes: job.kind === 'customers' ? await declaredAttributes() : new Map(),
  };
  const schema: z.ZodMiniType =
    job.kind === 'customers'
      ? customerUpsertSchema
      : job.kind === 'orders'
        ? orderInputSchema
        : eventInputSchema;

  const rejects: RejectedRow[] = [];
  const valid: Valid[] = [];
  for (const entry of message.rows) {
    const shaped = entry.object
      ? objectToInput(ctx, entry.object, mapping)
      : rowToInput(ctx, job.header ?? [], entry.values ?? []);
    const mentions = mentionsOf(job.kind, shaped.input);
    if (entry.error) {
      rejects.push({ row: entry.row, errors: [entry.error], mentions });
      continue;
    }
    const errors = shaped.errors.map((e) => ({ field: e.path, reason: e.message, value: '' }));
    if (errors.length === 0) {
      const parsed = schema.safeParse(shaped.input);
      if (parsed.success) {
        valid.push({ row: entry.row, input: parsed.data, mentions, columnOf: shaped.columnOf });
        continue;
      }
      for (const e of zodIssuesToFieldErrors(parsed.error.issues, '')) {
        errors.push({
          field: columnName(e.path, shaped.columnOf),
          reason: e.message,
          value: valueAt(shaped.input, e.path),
        });
      }
    } else {
      for (const e of errors)
        e.value = valueAt(entry.object ?? {}, e.field) || cell(job.header ?? [], entry.values, e.field);
    }
    rejects.push({ row: entry.row, errors, mentions });
  }

  const counts = { ...none };
  const reject = (v: Valid, fieldErrors: FieldError[]) => {
    rejects.push({
      row: v.row,
      mentions: v.mentions,
      errors: fieldErrors.map((e) => ({
        field: columnName(e.path.replace(/^(orders|events)\[\d+\]\.?/, ''), v.columnOf),
        reason: e.message,
        value: valueAt(v.input, e.path.replace(/^(orders|events)\[\d+\]\.?/, '')),
      })),
    });
  };
  if (job.kind === 'customers') {
    const outcomes = await upsertCustomers(
      valid.map((v) => v.input as Parameters<typeof upsertCustomers>[0][number]),
      actor,
    );
    outcomes.forEach((outcome, i) => {
      if ('errors' in outcome) reject(valid[i] as Valid, outcome.errors);
      else counts[outcome.outcome]++;
    });
  } else {
    await ingest(job.kind, valid, actor, counts, reject);
  }
  counts.rejected = rejects.length;
  await writeRejects(jobId, rejects);

  const now = new Date().toISOString();
  const rowsDone = message.rows.length;
  const counted = await countOnce(`import ${jobId} chunk ${chunkNo}`, ({ importChunk, importJob }) => [
    importChunk.create({ jobId, chunkNo, rows: rowsDone, ...counts, at: now }).commit(),
    importJob
      .update({ jobId })
      .add({ chunksDone: 1, rowsDone, ...counts })
      .set({ updatedAt: now })
      .commit(),
  ]);
  if (!counted) {
    log.info('import chunk was counted already', { jobId, chunkNo });
    return { ...none, duplicate: true };
  }
  await completeIfDone(jobId);
  return { ...counts, duplicate: false };
}

function cell(header: readonly string[], values: readonly string[] | undefined, column: string): string {
  const i = header.indexOf(column);
  return i >= 0 ? (values?.[i] ?? '') : '';
}

/**
 * Orders and events go through ingest, which refuses a whole batch when any item names an unknown
 * customer; the items it names are rejected and the rest sent again.
 */
async function ingest(
  kind: 'orders' | 'events',
  valid: Valid[],
  actor: Actor,
  counts: { created: number; unchanged: number },
  reject: (v: Valid, errors: FieldError[]) => void,
): Promise<void> {
  let pending = valid;
  while (pending.length > 0) {
    try {
      const result =
        kind === 'orders'
          ? await ingestOrders(pending.map((v) => v.input) as Parameters<typeof ingestOrders>[0], actor)
          : await ingestEvents(pending.map((v) => v.input) as Parameters<typeof ingestEvents>[0], actor);
      counts.created += result.created;
      counts.unchanged += result.duplicates;
      return;
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const byIndex = new Map<number, FieldError[]>();
      for (const e of error.errors) {
        const index = Number(/^(?:orders|events)\[(\d+)\]/.exec(e.path)?.[1] ?? Number.NaN);
        if (Number.isNaN(index)) throw error;
        byIndex.set(index, [...(byIndex.get(index) ?? []), e]);
      }
      for (const [index, errors] of byIndex) reject(pending[index] as Valid, errors);
      pending = pending.filter((_, i) => !byIndex.has(i));
    }
  }
}
