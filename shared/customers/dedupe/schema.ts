import { schema } from '../../platform/schema.ts';
import * as z from '../../platform/zod.ts';
import { limitSchema } from '../schema.ts';
import { DEFAULT_MIN_SCORE } from './score.ts';

/** Request and response schemas of duplicate detection; they validate requests and document the API. */

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const PAIR_ID = /^[0-9A-HJKMNP-TV-Z]{26}_[0-9A-HJKMNP-TV-Z]{26}$/;

const minScore = /* @__PURE__ */ schema(() =>
  z
    .number({ message: 'must be a number' })
    .check(z.minimum(0, 'must be at least 0'), z.maximum(1, 'must be at most 1')),
);

export const scanStartSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      minScore: z._default(minScore, DEFAULT_MIN_SCORE),
      segments: z._default(
        z
          .number({ message: 'must be a number' })
          .check(
            z.int('must be a whole number'),
            z.minimum(1, 'must be at least 1'),
            z.maximum(1000, 'must be at most 1000'),
          ),
        4,
      ),
    })
    .check(z.meta({ id: 'DuplicateScanInput' })),
);

export const scanIdParams = /* @__PURE__ */ schema(() =>
  z.strictObject({ scanId: z.string().check(z.regex(ULID, 'must be a scan id (26-character ULID)')) }),
);

export const pairIdParams = /* @__PURE__ */ schema(() =>
  z.strictObject({
    pairId: z.string().check(
      z.regex(PAIR_ID, 'must be a pair id: two customer ids joined by _'),
      z.refine((id) => id.slice(0, 26) < id.slice(27), 'must name the lower customer id first'),
    ),
  }),
);

export const duplicatesQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    scanId: z.string().check(z.regex(ULID, 'must be a scan id (26-character ULID)')),
    minScore: z._default(
      z.coerce
        .number({ message: 'must be a number' })
        .check(z.minimum(0, 'must be at least 0'), z.maximum(1, 'must be at most 1')),
      DEFAULT_MIN_SCORE,
    ),
    limit: limitSchema,
    cursor: z.optional(z.string().check(z.maxLength(4096))),
  }),
);
export type DuplicatesQuery = z.output<typeof duplicatesQuery>;

const count = () => z.number().check(z.int());

export const scanView = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string(),
      status: z.enum(['blocking', 'scoring', 'done']),
      minScore: z.number(),
      createdAt: z.string(),
      completedAt: z.optional(z.string()),
      progress: z.object({
        segments: z.object({ done: count(), total: count() }),
        shards: z.object({ done: count(), total: count() }),
        customersRead: count(),
        blockingKeys: count(),
        blocks: count(),
        blocksSkipped: count().check(
          z.meta({ description: 'Blocks larger than the cap, not compared pair by pair' }),
        ),
        comparisons: count(),
        candidates: z.optional(count()),
      }),
    })
    .check(z.meta({ id: 'DuplicateScan' })),
);

const summary = () =>
  z.object({
    id: z.string(),
    name: z.optional(z.string()),
    email: z.optional(z.string()).check(z.meta({ description: 'Masked, e.g. w***g@qq.com' })),
    phone: z.optional(z.string()).check(z.meta({ description: 'Masked, e.g. +86138****8000' })),
    city: z.optional(z.string()),
    createdAt: z.string(),
  });

export const duplicateListSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      items: z.array(
        z.object({
          id: z.string().check(z.meta({ description: 'Pair id: both customer ids, lower first' })),
          scanId: z.string(),
          score: z.number(),
          customers: z.array(summary()),
          reasons: z.array(z.string()),
          signals: z.array(z.string()),
          merge: z.object({
            survivorId: z.string(),
            mergeIds: z.array(z.string()),
            method: z.literal('POST'),
            path: z.string(),
            body: z.object({ mergeIds: z.array(z.string()), dryRun: z.boolean() }),
          }),
        }),
      ),
      next: z.optional(z.string()),
    })
    .check(z.meta({ id: 'DuplicateList' })),
);

export const dismissalSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string(),
      customerIds: z.array(z.string()),
      dismissedAt: z.string(),
      dismissedBy: z.string(),
    })
    .check(z.meta({ id: 'DuplicateDismissal' })),
);
