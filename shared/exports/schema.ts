import { customerIdParams, customerListQuery } from '../customers/schema.ts';
import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';

/** Requests and views of export jobs; the same objects validate requests and document the API. */

export const exportCreateSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      format: z.enum(['csv', 'ndjson'], 'must be csv or ndjson'),
      /** The customer listing's filters; omitted means every customer. */
      filters: z.optional(
        z.strictObject({
          tag: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
          owner: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
          tier: z.optional(z.string().check(z.minLength(1), z.maxLength(32))),
          lifecycle: z.optional(z.string().check(z.minLength(1), z.maxLength(32))),
          updatedSince: z.optional(
            z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone' }),
          ),
        }),
      ),
    })
    .check(
      z.meta({
        id: 'ExportCreate',
        description: 'Exports customers, all or those matching the listing filters, as CSV or NDJSON.',
      }),
    ),
);
export type ExportCreateInput = z.output<typeof exportCreateSchema>;
export type ExportFilters = NonNullable<ExportCreateInput['filters']>;

export const exportIdParams = /* @__PURE__ */ schema(() =>
  z.strictObject({
    exportId: z
      .string()
      .check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an export id (26-character ULID)')),
  }),
);

export const exportJobSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string(),
      kind: z.enum(['customers', 'customer_data']),
      format: z.enum(['csv', 'ndjson', 'json']),
      customerId: z.optional(z.string()),
      filters: z.optional(z.record(z.string(), z.string())),
      status: z.enum(['queued', 'running', 'finishing', 'completed', 'failed']),
      rows: z.number().check(z.int(), z.meta({ description: 'Customers (or records) written so far' })),
      bytes: z.number().check(z.int()),
      error: z.optional(z.string()),
      createdAt: z.string(),
      updatedAt: z.string(),
      completedAt: z.optional(z.string()),
      expiresAt: z.string().check(z.meta({ description: 'When the file and this job are deleted' })),
      download: z.optional(
        z
          .object({ url: z.string(), expiresAt: z.string() })
          .check(
            z.meta({ description: 'A short-lived link to the file, present once the export completed' }),
          ),
      ),
    })
    .check(z.meta({ id: 'ExportJob' })),
);
export type ExportJobView = z.output<typeof exportJobSchema>;

/** The customer listing query without paging: what an export filters by. */
export const exportFiltersAsQuery = (filters: ExportFilters | undefined) =>
  customerListQuery.parse({ ...filters, limit: 200 });

export { customerIdParams };
