import { ValidationError } from '../platform/errors.ts';
import { schema } from '../platform/schema.ts';
import { zodIssuesToFieldErrors } from '../platform/validation.ts';
import * as z from '../platform/zod.ts';
import { channels } from '../store/entities/consent.ts';

/**
 * The segment rule language: a JSON tree whose every node is an object with exactly one key, the
 * node's kind. docs/segments.md describes each kind with examples.
 */

export type Scalar = string | number | boolean;
/** A number, or a calendar date `YYYY-MM-DD` (compared by day in the customer's time zone). */
export type Comparable = number | string;

/** One test of a value; a condition carries exactly one. */
export interface ValueTest {
  equals?: Scalar;
  in?: Scalar[];
  contains?: string;
  startsWith?: string;
  gt?: Comparable;
  gte?: Comparable;
  lt?: Comparable;
  lte?: Comparable;
  between?: [Comparable, Comparable];
  exists?: boolean;
  /** The date falls on one of the last N calendar days, today included. */
  withinLastDays?: number;
  /** The date is more than N calendar days before today. */
  moreThanDaysAgo?: number;
  /** The next anniversary of the date (a birthday, lunar ones included) is at most N days away; 0 = today. */
  anniversaryWithinDays?: number;
}
export type ValueOperator = keyof ValueTest;
export const valueOperators = [
  'equals',
  'in',
  'contains',
  'startsWith',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'exists',
  'withinLastDays',
  'moreThanDaysAgo',
  'anniversaryWithinDays',
] as const satisfies readonly ValueOperator[];
export const numericOperators = ['equals', 'in', 'gt', 'gte', 'lt', 'lte', 'between', 'exists'] as const;
const propertyOperators = [
  'equals',
  'in',
  'contains',
  'startsWith',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'exists',
] as const;
const dateOperators = [
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'exists',
  'withinLastDays',
  'moreThanDaysAgo',
  'anniversaryWithinDays',
] as const;
export type NumericTest = Pick<ValueTest, (typeof numericOperators)[number]>;
export type PropertyTest = Pick<ValueTest, (typeof propertyOperators)[number]>;
export type DateTest = Pick<ValueTest, (typeof dateOperators)[number]>;

export interface Window {
  /** The last N calendar days in the customer's time zone, today included. */
  days: number;
}
export type PropertyFilter = { property: string } & PropertyTest;

export interface EventCount {
  type: string;
  within?: Window;
  where?: PropertyFilter[];
  /** Default 1 when neither bound is given. */
  atLeast?: number;
  atMost?: number;
}
export type EventValue = {
  type: string;
  fn: 'sum' | 'avg' | 'min' | 'max';
  property: string;
  within?: Window;
  where?: PropertyFilter[];
} & NumericTest;
export type EventTime = {
  type: string;
  which: 'first' | 'last';
  where?: PropertyFilter[];
} & DateTest;

export type ScoreName = (typeof scoreNames)[number];
export const scoreNames = [
  'recency',
  'frequency',
  'monetary',
  'fm',
  'clv',
  'clvHistorical',
  'clvDecile',
  'probabilityAlive',
  'churn',
] as const;

export type Rule =
  | { and: Rule[] }
  | { or: Rule[] }
  | { not: Rule }
  | { attribute: { field: string } & ValueTest }
  | { tags: { any?: string[]; all?: string[]; none?: string[] } }
  | { geo: { country?: string[]; province?: string[]; city?: string[] } }
  | { near: { lat: number; lon: number; km: number } }
  | { consent: { channel: string; topic?: string; status?: ConsentState } }
  | { tier: { abc?: string[]; value?: string[]; lifecycle?: string[]; rfmGroup?: string[] } }
  | { score: { name: ScoreName } & NumericTest }
  | { event: EventCount }
  | { eventValue: EventValue }
  | { eventTime: EventTime }
  | { segment: { id: string } }
  | { bucket: { salt: string; from: number; to: number } };

export type RuleKind = Rule extends infer R ? (R extends Record<infer K, unknown> ? K : never) : never;
export const ruleKinds = [
  'and',
  'or',
  'not',
  'attribute',
  'tags',
  'geo',
  'near',
  'consent',
  'tier',
  'score',
  'event',
  'eventValue',
  'eventTime',
  'segment',
  'bucket',
] as const satisfies readonly RuleKind[];

/** What a consent rule asks for: the effective status, `none` when nothing (not even a default) applies. */
export type ConsentState = 'opted_in' | 'opted_out' | 'pending' | 'none';

/**
 * A segment is either kept by rule, or static: its members are an uploaded list that the store keeps,
 * and no rule decides them (other rules may still refer to it with `{ "segment": { "id": ... } }`).
 */
export type SegmentDefinition = { kind: 'dynamic'; rule: Rule } | { kind: 'static' };

/** What a field holds decides which tests apply to it. */
export type FieldKind = 'string' | 'strings' | 'number' | 'boolean' | 'date' | 'birthday' | 'any';

const PROFILE_FIELDS: Record<string, FieldKind> = {
  externalId: 'string',
  email: 'string',
  emails: 'strings',
  phone: 'string',
  phones: 'strings',
  name: 'string',
  givenName: 'string',
  familyName: 'string',
  gender: 'string',
  birthday: 'birthday',
  locale: 'string',
  timeZone: 'string',
  'address.country': 'string',
  'address.province': 'string',
  'address.city': 'string',
  tags: 'strings',
  sourceChannel: 'string',
  owner: 'string',
  createdAt: 'date',
  updatedAt: 'date',
  'computed.currency': 'string',
  'computed.orders': 'number',
  'computed.revenue': 'number',
  'computed.averageOrderValue': 'number',
  'computed.purchaseDays': 'number',
  'computed.firstPurchaseDate': 'date',
  'computed.lastPurchaseDate': 'date',
  'scores.rfm.recency': 'number',
  'scores.rfm.frequency': 'number',
  'scores.rfm.monetary': 'number',
  'scores.rfm.fm': 'number',
  'scores.rfm.group': 'string',
  'scores.abc': 'string',
  'scores.valueTier': 'string',
  'scores.lifecycle.stage': 'string',
  'scores.clv.historical': 'number',
  'scores.clv.contributionShare': 'number',
  'scores.clv.predicted': 'number',
  'scores.clv.decile': 'number',
  'scores.clv.probabilityAlive': 'number',
  'scores.churn.score': 'number',
  'scores.churn.flagged': 'boolean',
};
export const knownFields: readonly string[] = Object.keys(PROFILE_FIELDS);

const ATTRIBUTE_FIELD = /^attributes\.[a-z][a-zA-Z0-9_]{0,63}$/;

/** The kind of a field a rule may name, or undefined when there is no such field. */
export function fieldKind(field: string): FieldKind | undefined {
  if (Object.hasOwn(PROFILE_FIELDS, field)) return PROFILE_FIELDS[field];
  return ATTRIBUTE_FIELD.test(field) ? 'any' : undefined;
}

/** Which tests each kind of field accepts. */
export const operatorsFor: Record<FieldKind, readonly ValueOperator[]> = {
  string: ['equals', 'in', 'contains', 'startsWith', 'exists'],
  strings: ['equals', 'in', 'contains', 'startsWith', 'exists'],
  number: numericOperators,
  boolean: ['equals', 'exists'],
  date: ['equals', ...dateOperators],
  birthday: ['exists', 'anniversaryWithinDays'],
  any: valueOperators,
};

/** Score names of `{ score }` and the fields they read. */
export const scoreFields: Record<ScoreName, string> = {
  recency: 'scores.rfm.recency',
  frequency: 'scores.rfm.frequency',
  monetary: 'scores.rfm.monetary',
  fm: 'scores.rfm.fm',
  clv: 'scores.clv.predicted',
  clvHistorical: 'scores.clv.historical',
  clvDecile: 'scores.clv.decile',
  probabilityAlive: 'scores.clv.probabilityAlive',
  churn: 'scores.churn.score',
};

/** Tier lists of `{ tier }` and the fields they read. */
export const tierFields = {
  abc: 'scores.abc',
  value: 'scores.valueTier',
  lifecycle: 'scores.lifecycle.stage',
  rfmGroup: 'scores.rfm.group',
} as const;

// ---------------------------------------------------------------------------------------------------
// Validation

const MAX_DAYS = 36_500;
const MAX_LIST = 1000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const dayCount = (max = MAX_DAYS) =>
  z
    .number({ message: 'must be a number of days' })
    .check(
      z.int('must be a whole number of days'),
      z.minimum(0, 'must not be negative'),
      z.maximum(max, `must be at most ${max} days`),
    );

const isRealDate = (s: string) => {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
};

const comparable = /* @__PURE__ */ schema(() =>
  z.union([
    z.number({ message: 'must be a number or a date YYYY-MM-DD' }),
    z.string().check(z.refine(isRealDate, 'must be a number or a date YYYY-MM-DD')),
  ]),
);
const scalar = /* @__PURE__ */ schema(() =>
  z.union([z.string().check(z.maxLength(1000)), z.number(), z.boolean()], {
    error: 'must be a string, number or boolean',
  }),
);
const nonEmptyText = (max: number) =>
  z
    .string()
    .check(z.minLength(1, 'must not be empty'), z.maxLength(max, `must be at most ${max} characters`));
const list = <T extends z.ZodMiniType>(item: T) =>
  z
    .array(item)
    .check(
      z.minLength(1, 'must list at least one value'),
      z.maxLength(MAX_LIST, `must list at most ${MAX_LIST} values`),
    );

const testFields = /* @__PURE__ */ schema(() => ({
  equals: z.optional(scalar),
  in: z.optional(list(scalar)),
  contains: z.optional(nonEmptyText(1000)),
  startsWith: z.optional(nonEmptyText(1000)),
  gt: z.optional(comparable),
  gte: z.optional(comparable),
  lt: z.optional(comparable),
  lte: z.optional(comparable),
  between: z.optional(
    z
      .tuple([comparable, comparable], { error: 'must be [low, high]' })
      .check(
        z.refine(
          ([a, b]) => typeof a === typeof b && a <= b,
          'must be [low, high] of the same kind, low not above high',
        ),
      ),
  ),
  exists: z.optional(z.boolean()),
  withinLastDays: z.optional(dayCount()),
  moreThanDaysAgo: z.optional(dayCount()),
  anniversaryWithinDays: z.optional(dayCount(366)),
}));

/** Exactly one test among `allowed`, each issue on the field that breaks the rule. */
function testIssues(node: Record<string, unknown>, allowed: readonly string[], what: string) {
  const issues: { path: string[]; message: string }[] = [];
  const present = valueOperators.filter((op) => node[op] !== undefined);
  for (const op of present) {
    if (!allowed.includes(op)) issues.push({ path: [op], message: `does not apply to ${what}` });
  }
  if (present.length === 0) issues.push({ path: [], message: `needs one test: ${allowed.join(', ')}` });
  else if (present.length > 1) {
    issues.push({
      path: [present[1] as string],
      message: `only one test per condition (also has ${present[0]}); combine conditions with and`,
    });
  }
  return issues;
}

function oneTest(allowed: readonly string[], what: string) {
  return z.superRefine((node: Record<string, unknown>, ctx) => {
    for (const issue of testIssues(node, allowed, what))
      ctx.addIssue({ code: 'custom', input: node, ...issue });
  });
}

const eventType = /* @__PURE__ */ schema(() =>
  z.string().check(z.regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be an event type in lower_snake_case')),
);
const propertyName = /* @__PURE__ */ schema(() => nonEmptyText(64));
const window = /* @__PURE__ */ schema(() => z.strictObject({ days: dayCount() }));
const where = /* @__PURE__ */ schema(() =>
  z
    .array(
      z
        .strictObject({ property: propertyName, ...testFields })
        .check(oneTest(propertyOperators, 'event properties')),
    )
    .check(z.maxLength(20, 'must have at most 20 filters')),
);
const count = (what: string) =>
  z
    .number({ message: `must be a ${what}` })
    .check(z.int(`must be a whole ${what}`), z.minimum(0, 'must not be negative'), z.maximum(1_000_000));

const stringList = (max: number) => list(nonEmptyText(max));

const nodeSchemas = /* @__PURE__ */ schema(() => {
  const rules = () =>
    z
      .array(ruleSchema)
      .check(z.minLength(1, 'must hold at least one rule'), z.maxLength(100, 'must hold at most 100 rules'));
  return {
    and: z.strictObject({
      get and() {
        return rules();
      },
    }),
    or: z.strictObject({
      get or() {
        return rules();
      },
    }),
    not: z.strictObject({
      get not() {
        return ruleSchema;
      },
    }),
    attribute: z.strictObject({
      attribute: z
        .strictObject({
          field: z
            .string()
            .check(
              z.refine(
                (f) => fieldKind(f) !== undefined,
                'must be a known field (e.g. address.province, computed.orders, scores.abc) or attributes.<name>',
              ),
            ),
          ...testFields,
        })
        .check(
          z.superRefine((node, ctx) => {
            const kind = fieldKind(node.field);
            if (kind === undefined) return;
            for (const issue of testIssues(node, operatorsFor[kind], `a ${kind} field`)) {
              ctx.addIssue({ code: 'custom', input: node, ...issue });
            }
          }),
        ),
    }),
    tags: z.strictObject({
      tags: z
        .strictObject({
          any: z.optional(stringList(64)),
          all: z.optional(stringList(64)),
          none: z.optional(stringList(64)),
        })
        .check(exactlyOne(['any', 'all', 'none'])),
    }),
    geo: z.strictObject({
      geo: z
        .strictObject({
          country: z.optional(
            list(z.string().check(z.regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as CN'))),
          ),
          province: z.optional(stringList(100)),
          city: z.optional(stringList(100)),
        })
        .check(atLeastOne(['country', 'province', 'city'])),
    }),
    near: z.strictObject({
      near: z.strictObject({
        lat: z.number().check(z.minimum(-90, 'must be -90..90'), z.maximum(90, 'must be -90..90')),
        lon: z.number().check(z.minimum(-180, 'must be -180..180'), z.maximum(180, 'must be -180..180')),
        km: z.number().check(z.positive('must be positive'), z.maximum(20_100, 'must be at most 20100')),
      }),
    }),
    consent: z.strictObject({
      consent: z.strictObject({
        channel: z.enum(channels, { error: `must be one of ${channels.join(', ')}` }),
        topic: z.optional(
          z.string().check(z.regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a topic name such as promotions')),
        ),
        status: z.optional(
          z.enum(['opted_in', 'opted_out', 'pending', 'none'], {
            error: 'must be opted_in, opted_out, pending or none',
          }),
        ),
      }),
    }),
    tier: z.strictObject({
      tier: z
        .strictObject({
          abc: z.optional(list(z.enum(['A', 'B', 'C'], { error: 'must be A, B or C' }))),
          value: z.optional(
            list(
              z.enum(['high-value', 'potential', 'ordinary'], {
                error: 'must be high-value, potential or ordinary',
              }),
            ),
          ),
          lifecycle: z.optional(stringList(64)),
          rfmGroup: z.optional(stringList(64)),
        })
        .check(atLeastOne(['abc', 'value', 'lifecycle', 'rfmGroup'])),
    }),
    score: z.strictObject({
      score: z
        .strictObject({
          name: z.enum(scoreNames, { error: `must be one of ${scoreNames.join(', ')}` }),
          ...testFields,
        })
        .check(oneTest(numericOperators, 'scores')),
    }),
    event: z.strictObject({
      event: z
        .strictObject({
          type: eventType,
          within: z.optional(window),
          where: z.optional(where),
          atLeast: z.optional(count('count')),
          atMost: z.optional(count('count')),
        })
        .check(
          z.refine((e) => e.atLeast === undefined || e.atMost === undefined || e.atLeast <= e.atMost, {
            message: 'must not be below atLeast',
            path: ['atMost'],
          }),
        ),
    }),
    eventValue: z.strictObject({
      eventValue: z
        .strictObject({
          type: eventType,
          fn: z.enum(['sum', 'avg', 'min', 'max'], { error: 'must be sum, avg, min or max' }),
          property: propertyName,
          within: z.optional(window),
          where: z.optional(where),
          ...testFields,
        })
        .check(oneTest(numericOperators, 'event values')),
    }),
    eventTime: z.strictObject({
      eventTime: z
        .strictObject({
          type: eventType,
          which: z.enum(['first', 'last'], { error: 'must be first or last' }),
          where: z.optional(where),
          ...testFields,
        })
        .check(oneTest(dateOperators, 'event times')),
    }),
    segment: z.strictObject({
      segment: z.strictObject({
        id: z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a segment id (26-character ULID)')),
      }),
    }),
    bucket: z.strictObject({
      bucket: z
        .strictObject({
          salt: nonEmptyText(64),
          from: z.number().check(z.int('must be a whole number'), z.minimum(0), z.maximum(99)),
          to: z.number().check(z.int('must be a whole number'), z.minimum(0), z.maximum(99)),
        })
        .check(z.refine((b) => b.from <= b.to, { message: 'must not be below from', path: ['to'] })),
    }),
  };
});

function exactlyOne(keys: readonly string[]) {
  return z.superRefine((node: Record<string, unknown>, ctx) => {
    const present = keys.filter((k) => node[k] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: present.length > 1 ? [present[1] as string] : [],
        message: `needs exactly one of ${keys.join(', ')}`,
        input: node,
      });
    }
  });
}

function atLeastOne(keys: readonly string[]) {
  return z.superRefine((node: Record<string, unknown>, ctx) => {
    if (!keys.some((k) => node[k] !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `needs at least one of ${keys.join(', ')}`,
        input: node,
      });
    }
  });
}

/**
 * A rule node: the key names the kind, and only that kind's schema runs, so an error points into the
 * node the author meant (`rule.and[2].event.within.days`) rather than at whichever union branch zod
 * happened to try.
 */
export const ruleSchema: z.ZodMiniType<Rule> = /* @__PURE__ */ schema(
  () =>
    z
      .pipe(
        z.unknown(),
        z.transform((node: unknown, ctx) => {
          const fail = (message: string, path: PropertyKey[] = []) => {
            ctx.issues.push({ code: 'custom', message, input: node, path });
            return z.NEVER;
          };
          if (typeof node !== 'object' || node === null || Array.isArray(node)) {
            return fail(`must be an object with one key, the kind of condition: ${ruleKinds.join(', ')}`);
          }
          const keys = Object.keys(node);
          if (keys.length !== 1) {
            return fail(
              `must have exactly one key, the kind of condition (${ruleKinds.join(', ')}); has ${keys.length}`,
            );
          }
          const kind = keys[0] as string;
          if (!Object.hasOwn(nodeSchemas, kind)) {
            return fail(`is not a kind of condition; use one of ${ruleKinds.join(', ')}`, [kind]);
          }
          const result = nodeSchemas[kind as RuleKind].safeParse(node);
          if (result.success) return result.data as Rule;
          for (const issue of result.error.issues) ctx.issues.push({ ...issue, input: node } as never);
          return z.NEVER;
        }),
      )
      .check(
        z.meta({
          id: 'SegmentRule',
          description:
            'A segment rule: an object with one key, the kind of condition (and, or, not, attribute, tags, geo, near, consent, tier, score, event, eventValue, eventTime, segment, bucket). See docs/segments.md.',
        }),
      ) as unknown as z.ZodMiniType<Rule>,
);

export const segmentDefinitionSchema = /* @__PURE__ */ schema(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('dynamic'), rule: ruleSchema }),
    z.strictObject({ kind: z.literal('static') }),
  ]),
);

/** Validates a rule; a ValidationError names each bad field as `<location>.and[2].event.within.days`. */
export function parseRule(input: unknown, location = 'rule'): Rule {
  const result = ruleSchema.safeParse(input);
  if (!result.success) throw new ValidationError(zodIssuesToFieldErrors(result.error.issues, location));
  return result.data;
}
