import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';
import { DEFAULT_SEGMENTS, uncoveredCells } from './rfm.ts';

/**
 * Scoring settings of one stage: every bin, threshold, schedule and rate the models use, with defaults
 * for a retail business (a purchase cycle of weeks to months, a year as the long view). An empty object
 * is a complete, valid configuration; each nested object can be given in part (`prefault` parses `{}`
 * through the inner defaults instead of taking it as-is).
 */

const share = (what: string) =>
  z.number().check(z.gte(0, `${what} must be at least 0`), z.lte(1, `${what} must be at most 1`));
const days = (max: number) =>
  z
    .number()
    .check(
      z.int('must be a whole number of days'),
      z.gte(1, 'must be at least 1 day'),
      z.lte(max, `must be at most ${max} days`),
    );
const count = (max: number) =>
  z
    .number()
    .check(
      z.int('must be a whole number'),
      z.gte(1, 'must be at least 1'),
      z.lte(max, `must be at most ${max}`),
    );
const currencyCode = /* @__PURE__ */ schema(() =>
  z.string().check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as CNY')),
);

/** EventBridge Scheduler expressions, as the infra passes them through. */
const scheduleExpression = /* @__PURE__ */ schema(() =>
  z
    .string()
    .check(
      z.regex(
        /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$/,
        'must be a schedule expression such as rate(1 day) or cron(0 3 ? * SUN *)',
      ),
    ),
);

const segmentRule = /* @__PURE__ */ schema(() =>
  z.strictObject({
    name: z
      .string()
      .check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(64, 'must be at most 64 characters')),
    recency: z.tuple([count(10), count(10)]),
    fm: z.tuple([count(10), count(10)]),
  }),
);

export const scoringSettingsSchema = /* @__PURE__ */ schema(() =>
  z.strictObject({
    currency: z.prefault(
      z.strictObject({
        // CNY like the stage's default phone region (CN) and the demo data; a stage elsewhere sets its own.
        base: z._default(currencyCode, 'CNY'),
        /** Units of the base currency per unit of each other currency; orders in others are rejected. */
        rates: z._default(
          z.record(
            currencyCode,
            z
              .number()
              .check(z.positive('must be a rate above 0'), z.refine(Number.isFinite, 'must be finite')),
          ),
          {},
        ),
      }),
      {},
    ),
    aggregates: z.prefault(
      z
        .strictObject({
          windowDays: z._default(
            z.array(days(366)).check(z.minLength(1, 'needs at least one window')),
            [30, 90, 365],
          ),
          /** Days kept one by one; older ones fold into months. Must cover the longest window. */
          detailDays: z._default(days(3660), 400),
          futureToleranceMinutes: z._default(
            z.number().check(z.gte(0, 'must be at least 0'), z.lte(1440, 'must be at most 1440')),
            5,
          ),
        })
        .check(
          z.superRefine((a, ctx) => {
            if (Math.max(...a.windowDays) > a.detailDays) {
              ctx.addIssue({
                code: 'custom',
                path: ['detailDays'],
                message: 'must be at least the longest window',
                input: a.detailDays,
              });
            }
          }),
        ),
      {},
    ),
    rfm: z.prefault(
      z
        .strictObject({
          bins: z._default(
            z
              .number()
              .check(
                z.int('must be a whole number'),
                z.gte(2, 'must be at least 2'),
                z.lte(10, 'must be at most 10'),
              ),
            5,
          ),
          segments: z._default(z.array(segmentRule).check(z.minLength(1, 'needs at least one segment')), () =>
            DEFAULT_SEGMENTS.map(
              (s) =>
                ({ name: s.name, recency: [...s.recency], fm: [...s.fm] }) as z.infer<typeof segmentRule>,
            ),
          ),
          /** t-digest compression: centroids kept per dimension; more is finer and bigger. */
          compression: z._default(
            z
              .number()
              .check(
                z.int('must be a whole number'),
                z.gte(20, 'must be at least 20'),
                z.lte(2000, 'must be at most 2000'),
              ),
            200,
          ),
        })
        .check(
          z.superRefine((r, ctx) => {
            r.segments.forEach((s, i) => {
              for (const field of ['recency', 'fm'] as const) {
                const [low, high] = s[field];
                if (low > high || high > r.bins) {
                  ctx.addIssue({
                    code: 'custom',
                    path: ['segments', i, field],
                    message: `must be a range [low, high] within 1..${r.bins}`,
                    input: s[field],
                  });
                }
              }
            });
            const missing = uncoveredCells(r.segments, r.bins);
            if (missing.length > 0) {
              const cells = missing
                .slice(0, 5)
                .map(([rec, fm]) => `R${rec}/FM${fm}`)
                .join(', ');
              ctx.addIssue({
                code: 'custom',
                path: ['segments'],
                message: `must cover every recency x FM cell of ${r.bins} bins; none covers ${cells}${missing.length > 5 ? ', ...' : ''}`,
                input: r.segments,
              });
            }
          }),
        ),
      {},
    ),
    abc: z.prefault(
      z.strictObject({ a: z._default(share('a'), 0.8), b: z._default(share('b'), 0.95) }).check(
        z.superRefine((abc, ctx) => {
          if (!(abc.a > 0 && abc.a < abc.b && abc.b < 1)) {
            ctx.addIssue({
              code: 'custom',
              path: ['b'],
              message: 'needs 0 < a < b < 1 (shares of revenue for A and A+B)',
              input: abc.b,
            });
          }
        }),
      ),
      {},
    ),
    valueTiers: z.prefault(
      z.strictObject({
        highValue: z.prefault(
          z.strictObject({
            abc: z._default(z.array(z.enum(['A', 'B', 'C'])), ['A']),
            predictedClvPercentile: z._default(share('predictedClvPercentile'), 0.9),
          }),
          {},
        ),
        potential: z.prefault(
          z.strictObject({
            predictedClvPercentile: z._default(share('predictedClvPercentile'), 0.75),
            historicalBelowPercentile: z._default(share('historicalBelowPercentile'), 0.5),
            frequencyTrend: z._default(z.number().check(z.gte(1, 'must be at least 1 (a rise)')), 1.5),
            minPurchasesForTrend: z._default(count(1000), 3),
          }),
          {},
        ),
      }),
      {},
    ),
    lifecycle: z.prefault(
      z
        .strictObject({
          atRiskDays: z._default(days(3650), 90),
          lapsedDays: z._default(days(3650), 365),
          loyalMinPurchases: z._default(count(1000), 5),
          reactivatedDays: z._default(days(3650), 90),
        })
        .check(
          z.superRefine((l, ctx) => {
            if (l.atRiskDays >= l.lapsedDays) {
              ctx.addIssue({
                code: 'custom',
                path: ['lapsedDays'],
                message: 'must be more than atRiskDays',
                input: l.lapsedDays,
              });
            }
            if (l.loyalMinPurchases < 2) {
              ctx.addIssue({
                code: 'custom',
                path: ['loyalMinPurchases'],
                message: 'must be at least 2 (one purchase is new)',
                input: l.loyalMinPurchases,
              });
            }
          }),
        ),
      {},
    ),
    clv: z.prefault(
      z.strictObject({
        /** Days per model period; the fitted parameters belong to it. */
        periodDays: z._default(days(31), 7),
        horizonDays: z._default(days(3650), 365),
        /** Discounting step: the predictive CLV sums expected value per step, discounted per step. */
        stepDays: z._default(days(365), 30),
        /** Yearly discount rate, converted to the step: (1 + rate)^(step/365) - 1. */
        discountRate: z._default(
          z.number().check(z.gte(0, 'must be at least 0'), z.lte(1, 'must be at most 1 (100% a year)')),
          0.1,
        ),
        /** Customers fitted per model fit at most; a seeded sample above it keeps the fit's cost bounded. */
        maxFitCustomers: z._default(count(10_000_000), 1_000_000),
      }),
      {},
    ),
    churn: z.prefault(
      z.strictObject({
        threshold: z._default(share('threshold'), 0.6),
        reasonLevel: z._default(share('reasonLevel'), 0.5),
        weights: z.prefault(
          z
            .strictObject({
              notAlive: z._default(z.number().check(z.gte(0, 'must be at least 0')), 0.5),
              frequencyDrop: z._default(z.number().check(z.gte(0, 'must be at least 0')), 0.25),
              complaints: z._default(z.number().check(z.gte(0, 'must be at least 0')), 0.15),
              engagementDrop: z._default(z.number().check(z.gte(0, 'must be at least 0')), 0.1),
            })
            .check(
              z.refine(
                (w) => w.notAlive + w.frequencyDrop + w.complaints + w.engagementDrop > 0,
                'must not all be zero',
              ),
            ),
          {},
        ),
        complaintsForFullSignal: z._default(count(100), 2),
        complaintWindowDays: z._default(days(365), 90),
        engagementWindowDays: z._default(days(365), 30),
      }),
      {},
    ),
    clustering: z.prefault(
      z
        .strictObject({
          /** A fixed k, or 'auto' to pick by silhouette between kMin and kMax. */
          k: z._default(z.union([z.literal('auto'), count(50)]), 'auto'),
          kMin: z._default(count(50), 2),
          kMax: z._default(count(50), 8),
          seed: z._default(z.number().check(z.int('must be a whole number')), 42),
          silhouetteSample: z._default(count(20_000), 2000),
        })
        .check(
          z.superRefine((c, ctx) => {
            if (c.kMin > c.kMax)
              ctx.addIssue({
                code: 'custom',
                path: ['kMax'],
                message: 'must be at least kMin',
                input: c.kMax,
              });
          }),
        ),
      {},
    ),
    schedule: z.prefault(
      z.strictObject({
        /** Rescoring of every customer (RFM quantiles, tiers): nightly. */
        rescore: z._default(scheduleExpression, 'cron(0 2 * * ? *)'),
        /** Model fit (BG/NBD and Gamma-Gamma): weekly, since the parameters move slowly. */
        fit: z._default(scheduleExpression, 'cron(0 3 ? * SUN *)'),
      }),
      {},
    ),
  }),
);

export type ScoringSettings = z.infer<typeof scoringSettingsSchema>;
export type ScoringSettingsInput = z.input<typeof scoringSettingsSchema>;

/** The defaults alone: what a stage gets when it configures nothing. */
export function defaultScoringSettings(): ScoringSettings {
  return scoringSettingsSchema.parse({});
}

/** The yearly discount rate as a rate per discounting step of `stepDays`. */
export function discountPerStep(yearlyRate: number, stepDays: number): number {
  return (1 + yearlyRate) ** (stepDays / 365) - 1;
}
