import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';
import { sourceKinds } from './ref.ts';

const ID = /^[A-Za-z0-9_-]{1,128}$/;
const idText = (what: string) =>
  z.string().check(z.regex(ID, `must be a ${what} of 1 to 128 letters, digits, _ or -`));

export const resultsParams = /* @__PURE__ */ schema(() =>
  z.strictObject({
    kind: z.enum(sourceKinds, { error: `must be one of ${sourceKinds.join(', ')}` }),
    sourceId: idText('source id'),
  }),
);

export const resultsQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    /** Only this occurrence of a recurring source. */
    run: z.optional(idText('run')),
  }),
);

const rates = z.record(z.string(), z.nullable(z.number()));
const counts = z.record(z.string(), z.number());
const row = z.object({
  run: z.string(),
  variant: z.string(),
  tier: z.string(),
  channel: z.string(),
  counts,
  rates,
});
const test = z.object({
  metric: z.string(),
  over: z.string(),
  test: z.enum(['two-proportion-z', 'chi-square']),
  statistic: z.number(),
  df: z.optional(z.number()),
  pValue: z.number(),
});

export const resultsView = /* @__PURE__ */ schema(() =>
  z.object({
    source: z.string(),
    run: z.optional(z.string()),
    total: z.object({ counts, rates }),
    rows: z.array(row),
    variants: z.array(z.object({ variant: z.string(), counts, rates })),
    significance: z.array(test),
  }),
);
