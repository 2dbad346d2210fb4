import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';
import { DIMENSIONS } from './rescore.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const runIdParams = /* @__PURE__ */ schema(() =>
  z.strictObject({ runId: z.string().check(z.regex(ULID, 'must be a run id (26-character ULID)')) }),
);

const dimension = /* @__PURE__ */ schema(() =>
  z.enum(DIMENSIONS, { message: `must be one of ${DIMENSIONS.join(', ')}` }),
);

export const distributionQuery = /* @__PURE__ */ schema(() => z.strictObject({ of: dimension }));

export const timeseriesQuery = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      of: dimension,
      from: z.string().check(z.regex(DATE, 'must be a date, YYYY-MM-DD')),
      to: z.string().check(z.regex(DATE, 'must be a date, YYYY-MM-DD')),
    })
    .check(
      z.superRefine((q, ctx) => {
        if (q.from > q.to)
          ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to', input: q.from });
        else if ((Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 > 366)
          ctx.addIssue({
            code: 'custom',
            path: ['to'],
            message: 'must be at most 366 days after from',
            input: q.to,
          });
      }),
    ),
);

export const clustersQuery = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      k: z._default(
        z.union([
          z.literal('auto'),
          z.pipe(
            z.string().check(z.regex(/^\d{1,2}$/, "must be 'auto' or a whole number from 1 to 20")),
            z.transform((s: string) => Number(s)),
          ),
        ]),
        'auto',
      ),
    })
    .check(
      z.superRefine((q, ctx) => {
        if (q.k !== 'auto' && (q.k < 1 || q.k > 20))
          ctx.addIssue({
            code: 'custom',
            path: ['k'],
            message: "must be 'auto' or a whole number from 1 to 20",
            input: q.k,
          });
      }),
    ),
);

export const scoringRunView = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string(),
      status: z.enum(['measuring', 'fitting', 'scoring', 'completed', 'failed']),
      trigger: z.enum(['api', 'schedule']),
      startedAt: z.string(),
      finishedAt: z.optional(z.string()),
      progress: z.object({
        segments: z.number(),
        measuredSegments: z.number(),
        scoredSegments: z.number(),
        customersMeasured: z.number(),
        customersScored: z.number(),
      }),
      customersChanged: z.number(),
      changes: z.record(z.string(), z.number()),
      model: z.optional(z.unknown()),
      error: z.optional(z.string()),
    })
    .check(z.meta({ id: 'ScoringRun' })),
);

export const distributionView = /* @__PURE__ */ schema(() =>
  z
    .object({
      of: dimension,
      day: z.nullable(z.string()),
      runId: z.optional(z.string()),
      total: z.number(),
      counts: z.record(z.string(), z.number()),
    })
    .check(z.meta({ id: 'Distribution' })),
);

export const timeseriesView = /* @__PURE__ */ schema(() =>
  z
    .object({
      of: dimension,
      items: z.array(
        z.object({ day: z.string(), total: z.number(), counts: z.record(z.string(), z.number()) }),
      ),
    })
    .check(z.meta({ id: 'DistributionTimeseries' })),
);

export const clustersView = /* @__PURE__ */ schema(() =>
  z
    .object({
      k: z.number(),
      sampled: z.number(),
      features: z.array(z.string()),
      silhouette: z.number(),
      clusters: z.array(
        z.object({
          size: z.number(),
          centre: z.record(z.string(), z.number()),
          typicalMembers: z.array(z.string()),
        }),
      ),
    })
    .check(z.meta({ id: 'Clusters' })),
);
