import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';
import { customerSchema } from './schema.ts';
import { CHOOSABLE_FIELDS } from './survivorship.ts';

/** Customers merged into one survivor per request: with their identities, well inside one transaction. */
export const MAX_MERGE_IDS = 5;

const ulid = /* @__PURE__ */ schema(() =>
  z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a customer id (26-character ULID)')),
);

export const mergeRequestSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      mergeIds: z
        .array(ulid)
        .check(
          z.minLength(1, 'must name at least one customer to merge'),
          z.maxLength(MAX_MERGE_IDS, `must name at most ${MAX_MERGE_IDS} customers`),
        ),
      dryRun: z.boolean({
        message: 'must be true (show the result, write nothing) or false (merge)',
      }),
      fields: z.optional(
        z.strictObject(Object.fromEntries(CHOOSABLE_FIELDS.map((f) => [f, z.optional(ulid)]))).check(
          z.meta({
            description:
              'Per field, the customer (the survivor or one of mergeIds) whose value wins over the default rules.',
          }),
        ),
      ),
    })
    .check(
      z.superRefine((body, ctx) => {
        const seen = new Map<string, number>();
        body.mergeIds.forEach((id, i) => {
          const first = seen.get(id);
          if (first !== undefined) {
            ctx.addIssue({ code: 'custom', path: ['mergeIds', i], message: `repeats mergeIds[${first}]` });
          } else seen.set(id, i);
        });
      }),
      z.meta({
        id: 'MergeRequest',
        description:
          'Merges the customers in mergeIds into the survivor in the path. dryRun=true shows the result and writes nothing.',
      }),
    ),
);
export type MergeRequest = z.output<typeof mergeRequestSchema>;

export const mergeIdParams = /* @__PURE__ */ schema(() => z.strictObject({ mergeId: ulid }));

const provenance = /* @__PURE__ */ schema(() =>
  z.object({
    from: z.union([z.string(), z.array(z.string())]),
    rule: z.enum(['chosen', 'survivor', 'most-recent', 'union', 'earliest']),
  }),
);

const moves = /* @__PURE__ */ schema(() =>
  z.object({
    events: z.number().check(z.int()),
    orders: z.number().check(z.int()),
    consents: z.number().check(z.int()),
    audit: z.number().check(z.int()),
  }),
);

export const mergePreviewSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      dryRun: z.literal(true),
      survivorId: z.string(),
      mergedIds: z.array(z.string()),
      customer: customerSchema,
      fields: z.record(z.string(), provenance),
      moves: moves.check(z.meta({ description: 'What the merge would move to the survivor' })),
    })
    .check(z.meta({ id: 'MergePreview' })),
);

export const mergeJobSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string(),
      status: z.enum(['moving', 'merged']),
      survivorId: z.string(),
      mergedIds: z.array(z.string()),
      requestedAt: z.string(),
      completedAt: z.optional(z.string()),
      moved: moves.check(
        z.meta({ description: 'Progress; a page retried after a crash may go uncounted, never twice' }),
      ),
      customer: z.optional(customerSchema),
      fields: z.optional(z.record(z.string(), provenance)),
    })
    .check(z.meta({ id: 'MergeJob' })),
);
