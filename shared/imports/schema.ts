import { limitSchema } from '../customers/schema.ts';
import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';
import { dateFormats, type ImportKind, targetProblem } from './mapping.ts';

/** Request and response schemas of /v1/imports; they also generate the OpenAPI document. */

const column = /* @__PURE__ */ schema(() =>
  z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(200, 'must be at most 200 characters')),
);

export const importCreateSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      kind: z.enum(['customers', 'orders', 'events']),
      format: z.enum(['csv', 'ndjson']),
      encoding: z._default(z.enum(['auto', 'utf-8', 'gb18030']), 'auto'),
      mapping: z.optional(
        z
          .record(column, z.string().check(z.minLength(1), z.maxLength(200)))
          .check(z.refine((m) => Object.keys(m).length <= 200, 'must map at most 200 columns')),
      ),
      dateFormat: z._default(z.enum(dateFormats), 'YYYY-MM-DD'),
      defaults: z.optional(
        z
          .record(
            z.string().check(z.minLength(1), z.maxLength(200)),
            z.union([z.string().check(z.maxLength(1000)), z.number(), z.boolean()]),
          )
          .check(z.refine((m) => Object.keys(m).length <= 50, 'must have at most 50 defaults')),
      ),
    })
    .check(
      z.superRefine((body, ctx) => {
        const kind = body.kind as ImportKind;
        for (const [name, target] of Object.entries(body.mapping ?? {})) {
          const problem = targetProblem(kind, target);
          if (problem)
            ctx.addIssue({ code: 'custom', path: ['mapping', name], message: problem, input: target });
        }
        for (const target of Object.keys(body.defaults ?? {})) {
          const problem = targetProblem(kind, target);
          if (problem)
            ctx.addIssue({ code: 'custom', path: ['defaults', target], message: problem, input: target });
        }
      }),
      z.meta({
        id: 'ImportCreate',
        description:
          'Starts an import: the answer holds a presigned URL to PUT the file to, then POST /v1/imports/{id}/start.',
      }),
    ),
);
export type ImportCreateInput = z.output<typeof importCreateSchema>;

export const importIdParams = /* @__PURE__ */ schema(() =>
  z.strictObject({
    importId: z
      .string()
      .check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an import id (26-character ULID)')),
  }),
);

export const importListQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({ limit: limitSchema, cursor: z.optional(z.string().check(z.maxLength(4096))) }),
);

export const rejectsQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    limit: z._default(
      z.coerce
        .number({ message: 'must be a number' })
        .check(
          z.int('must be a whole number'),
          z.minimum(1, 'must be at least 1'),
          z.maximum(10_000, 'must be at most 10000'),
        ),
      5000,
    ),
    cursor: z.optional(z.string().check(z.maxLength(4096))),
  }),
);

const counts = /* @__PURE__ */ schema(() =>
  z.object({ created: z.number(), updated: z.number(), unchanged: z.number(), rejected: z.number() }),
);

export const importJobSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string(),
      kind: z.enum(['customers', 'orders', 'events']),
      format: z.enum(['csv', 'ndjson']),
      encoding: z.enum(['auto', 'utf-8', 'gb18030']),
      detectedEncoding: z.optional(z.enum(['utf-8', 'gb18030'])),
      dateFormat: z.string(),
      mapping: z.optional(z.record(z.string(), z.string())),
      status: z.enum(['awaiting_upload', 'queued', 'reading', 'importing', 'completed', 'failed']),
      error: z.optional(z.object({ code: z.string(), message: z.string() })),
      ignoredColumns: z.optional(z.array(z.string())),
      progress: z.object({
        rowsRead: z.number(),
        rowsDone: z.number(),
        bytesRead: z.number(),
        totalBytes: z.optional(z.number()),
        rowsPerSecond: z.number(),
        etaSeconds: z.optional(z.number()),
      }),
      counts,
      uploadUrl: z.optional(
        z.string().check(z.meta({ description: 'Presigned PUT; only in the answer to POST' })),
      ),
      expiresAt: z.optional(z.string().check(z.meta({ description: 'When uploadUrl stops working' }))),
      rejectsUrl: z.string(),
      createdAt: z.string(),
      startedAt: z.optional(z.string()),
      completedAt: z.optional(z.string()),
    })
    .check(z.meta({ id: 'ImportJob' })),
);
export type ImportJobView = z.output<typeof importJobSchema>;

export const importListSchema = /* @__PURE__ */ schema(() =>
  z
    .object({ items: z.array(importJobSchema), next: z.optional(z.string()) })
    .check(z.meta({ id: 'ImportList' })),
);
