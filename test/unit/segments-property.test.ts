import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../shared/segments/compile.ts';
import { evaluateReference } from '../../shared/segments/reference.ts';
import { parseRule, type Rule } from '../../shared/segments/rule.ts';
import type { Subject, SubjectEvent } from '../../shared/segments/subject.ts';

/**
 * Random rule trees (every kind of node) against random customers: the compiled evaluator, its
 * explanation and the naive reference evaluator give the same answer, and a time-dependent rule does
 * not change its answer before the instant `nextTransitionAt` names.
 */

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 23, 15, 37, 12);
const ZONES = [
  'Asia/Shanghai',
  'America/New_York',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'UTC',
  'Asia/Kathmandu',
];
const SEGMENTS = ['01JD0000000000000000000001', '01JD0000000000000000000002', '01JD0000000000000000000003'];
const TAGS = ['vip', '复购', 'wholesale', 'new'];
const PROVINCES = ['广东', '浙江', 'Guangdong', 'Zhejiang', '江苏'];
const CITIES = ['广州', '深圳', '杭州', '南京'];
const EVENT_TYPES = ['order', 'page_view', 'coupon_redeemed'];
const OPTIONS = {
  defaultTimeZone: 'Asia/Shanghai',
  topicDefaults: { promotions: 'opted_out', service: 'opted_in' },
} as const;

// A few days around "now", so windows and anniversaries land both in and out.
const instant = fc
  .integer({ min: -400, max: 3 })
  .chain((d) => fc.integer({ min: 0, max: DAY - 1 }).map((ms) => NOW + d * DAY - (NOW % DAY) + ms));
const isoDate = fc
  .integer({ min: -800, max: 5 })
  .map((d) => new Date(NOW + d * DAY).toISOString().slice(0, 10));
const dateOrTime = fc.oneof(
  isoDate,
  instant.map((ms) => new Date(ms).toISOString()),
);
const num = fc.oneof(fc.integer({ min: -5, max: 500 }), fc.double({ min: 0, max: 5, noNaN: true }));
const str = fc.constantFrom('a', 'ab', 'abc', 'b', '广东', '广州市', 'vip', '');
const scalar = fc.oneof(str, fc.integer({ min: 0, max: 5 }), fc.boolean());
const comparable = fc.oneof(fc.integer({ min: -5, max: 500 }), isoDate);
const days = fc.integer({ min: 1, max: 120 });

const subject: fc.Arbitrary<Subject> = fc.record(
  {
    id: fc.stringMatching(/^01J[0-9A-HJKMNP-TV-Z]{23}$/),
    profile: fc.record(
      {
        email: fc.constantFrom('a@example.com', 'b@example.cn'),
        name: fc.constantFrom('张伟', 'Ann Lee', 'abc'),
        gender: fc.constantFrom('female', 'male'),
        timeZone: fc.constantFrom(...ZONES, 'Not/AZone'),
        birthday: fc.record(
          {
            date: fc.oneof(
              isoDate,
              fc.constantFrom('--02-29', '--12-01', '1990-11-25', '1988-10-16', '1990-10-30'),
            ),
            calendar: fc.constantFrom('gregorian', 'lunar'),
            leapMonth: fc.boolean(),
          },
          { requiredKeys: ['date', 'calendar'] },
        ),
        address: fc.record(
          {
            country: fc.constantFrom('CN', 'US'),
            province: fc.constantFrom(...PROVINCES),
            city: fc.constantFrom(...CITIES),
          },
          { requiredKeys: [] },
        ),
        tags: fc.subarray(TAGS),
        owner: fc.constantFrom('alice', 'bob'),
        createdAt: instant.map((ms) => new Date(ms).toISOString()),
        attributes: fc.dictionary(
          fc.constantFrom('vip', 'level', 'since', 'colors'),
          fc.oneof(str, num, fc.boolean(), dateOrTime, fc.subarray(['red', 'blue', 'a', '2026-11-20'])),
        ),
      },
      { requiredKeys: [] },
    ),
    computed: fc.record(
      {
        orders: fc.integer({ min: 0, max: 10 }),
        revenue: num,
        lastPurchaseDate: fc.option(isoDate, { nil: null }),
      },
      { requiredKeys: [] },
    ),
    scores: fc.record(
      {
        abc: fc.constantFrom('A', 'B', 'C'),
        valueTier: fc.constantFrom('high-value', 'potential', 'ordinary'),
        lifecycle: fc.record({ stage: fc.constantFrom('new', 'active', 'at_risk', 'lost') }),
        rfm: fc.record({
          recency: fc.integer({ min: 1, max: 5 }),
          group: fc.constantFrom('champions', 'hibernating'),
        }),
        churn: fc.record({ score: fc.double({ min: 0, max: 1, noNaN: true }), flagged: fc.boolean() }),
        clv: fc.record({ predicted: num, decile: fc.integer({ min: 0, max: 10 }) }),
      },
      { requiredKeys: [] },
    ),
    consents: fc.dictionary(
      fc.constantFrom('sms:*', 'email:*', 'sms:promotions', 'email:promotions', 'email:service'),
      fc.constantFrom('opted_in', 'opted_out', 'pending'),
    ),
    events: fc.array(
      fc.record(
        {
          type: fc.constantFrom(...EVENT_TYPES),
          at: instant,
          properties: fc.record(
            { amount: fc.oneof(num, str), channel: fc.constantFrom('app', 'store', 'web'), sku: str },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: ['type', 'at'] },
      ) as fc.Arbitrary<SubjectEvent>,
      { maxLength: 8 },
    ),
    segments: fc.subarray(SEGMENTS),
    location: fc.record({
      lat: fc.double({ min: 20, max: 32, noNaN: true }),
      lon: fc.double({ min: 110, max: 122, noNaN: true }),
    }),
  },
  { requiredKeys: ['id', 'profile'] },
) as fc.Arbitrary<Subject>;

const valueTest = fc.oneof(
  scalar.map((v) => ({ equals: v })),
  fc.array(scalar, { minLength: 1, maxLength: 4 }).map((v) => ({ in: v })),
  str.filter((s) => s !== '').map((v) => ({ contains: v })),
  str.filter((s) => s !== '').map((v) => ({ startsWith: v })),
  fc.constantFrom('gt', 'gte', 'lt', 'lte').chain((op) => comparable.map((v) => ({ [op]: v }))),
  fc
    .oneof(
      fc.tuple(fc.integer({ min: -5, max: 200 }), fc.integer({ min: 0, max: 300 })),
      fc.tuple(isoDate, isoDate),
    )
    .map(([a, b]) => ({ between: (a <= b ? [a, b] : [b, a]) as [number, number] })),
  fc.boolean().map((v) => ({ exists: v })),
  days.map((v) => ({ withinLastDays: v })),
  fc.integer({ min: 0, max: 120 }).map((v) => ({ moreThanDaysAgo: v })),
  fc.integer({ min: 0, max: 366 }).map((v) => ({ anniversaryWithinDays: v })),
);
const numericTest = fc.oneof(
  fc.integer({ min: 0, max: 5 }).map((v) => ({ equals: v })),
  fc.constantFrom('gt', 'gte', 'lt', 'lte').chain((op) => num.map((v) => ({ [op]: v }))),
  fc.tuple(num, num).map(([a, b]) => ({ between: (a <= b ? [a, b] : [b, a]) as [number, number] })),
  fc.boolean().map((v) => ({ exists: v })),
);
const propertyTest = fc.oneof(
  scalar.map((v) => ({ equals: v })),
  fc.array(scalar, { minLength: 1, maxLength: 3 }).map((v) => ({ in: v })),
  fc.constantFrom('gt', 'lte').chain((op) => fc.integer({ min: 0, max: 300 }).map((v) => ({ [op]: v }))),
  fc.boolean().map((v) => ({ exists: v })),
);
const where = fc.option(
  fc.array(
    fc
      .tuple(fc.constantFrom('amount', 'channel', 'sku'), propertyTest)
      .map(([property, t]) => ({ property, ...t })),
    { maxLength: 2 },
  ),
  { nil: undefined },
);
const within = fc.option(
  days.map((d) => ({ days: d })),
  { nil: undefined },
);
const strip = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const FIELDS = [
  'email',
  'name',
  'gender',
  'birthday',
  'owner',
  'createdAt',
  'address.province',
  'address.city',
  'tags',
  'attributes.vip',
  'attributes.level',
  'attributes.since',
  'attributes.colors',
  'computed.orders',
  'computed.revenue',
  'computed.lastPurchaseDate',
  'scores.abc',
  'scores.churn.score',
  'scores.churn.flagged',
];

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.tuple(fc.constantFrom(...FIELDS), valueTest).map(([field, t]) => ({ attribute: { field, ...t } })),
  fc
    .constantFrom('any', 'all', 'none')
    .chain((mode) => fc.subarray(TAGS, { minLength: 1 }).map((t) => ({ tags: { [mode]: t } }))),
  fc
    .record(
      {
        country: fc.subarray(['CN', 'US'], { minLength: 1 }),
        province: fc.subarray(PROVINCES, { minLength: 1 }),
        city: fc.subarray(CITIES, { minLength: 1 }),
      },
      { requiredKeys: [] },
    )
    .filter((g) => Object.keys(g).length > 0)
    .map((geo) => ({ geo })),
  fc
    .record({
      lat: fc.double({ min: 20, max: 32, noNaN: true }),
      lon: fc.double({ min: 110, max: 122, noNaN: true }),
      km: fc.double({ min: 1, max: 1500, noNaN: true }),
    })
    .map((near) => ({ near })),
  fc
    .record(
      {
        channel: fc.constantFrom('sms', 'email'),
        topic: fc.constantFrom('promotions', 'service', 'news'),
        status: fc.constantFrom('opted_in', 'opted_out', 'pending', 'none'),
      },
      { requiredKeys: ['channel'] },
    )
    .map((consent) => ({ consent })),
  fc
    .record(
      {
        abc: fc.subarray(['A', 'B', 'C'], { minLength: 1 }),
        value: fc.subarray(['high-value', 'potential', 'ordinary'], { minLength: 1 }),
        lifecycle: fc.subarray(['new', 'active', 'lost'], { minLength: 1 }),
        rfmGroup: fc.subarray(['champions', 'hibernating'], { minLength: 1 }),
      },
      { requiredKeys: [] },
    )
    .filter((t) => Object.keys(t).length > 0)
    .map((tier) => ({ tier })),
  fc
    .tuple(fc.constantFrom('recency', 'churn', 'clv', 'clvDecile', 'frequency'), numericTest)
    .map(([name, t]) => ({ score: { name, ...t } })),
  fc
    .record({
      type: fc.constantFrom(...EVENT_TYPES),
      within,
      where,
      atLeast: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      atMost: fc.option(fc.integer({ min: 3, max: 6 }), { nil: undefined }),
    })
    .map((e) => ({ event: strip(e) })),
  fc
    .tuple(
      fc.record({
        type: fc.constantFrom(...EVENT_TYPES),
        fn: fc.constantFrom('sum', 'avg', 'min', 'max'),
        property: fc.constantFrom('amount', 'sku'),
        within,
        where,
      }),
      numericTest,
    )
    .map(([e, t]) => ({ eventValue: strip({ ...e, ...t }) })),
  fc
    .tuple(
      fc.record({ type: fc.constantFrom(...EVENT_TYPES), which: fc.constantFrom('first', 'last'), where }),
      fc.oneof(
        fc.constantFrom('gt', 'lte').chain((op) => isoDate.map((v) => ({ [op]: v }))),
        fc.boolean().map((v) => ({ exists: v })),
        days.map((v) => ({ withinLastDays: v })),
        fc.integer({ min: 0, max: 120 }).map((v) => ({ moreThanDaysAgo: v })),
        fc.integer({ min: 0, max: 366 }).map((v) => ({ anniversaryWithinDays: v })),
      ),
    )
    .map(([e, t]) => ({ eventTime: strip({ ...e, ...t }) })),
  fc.constantFrom(...SEGMENTS).map((id) => ({ segment: { id } })),
  fc
    .tuple(
      fc.constantFrom('holdout', '对照组'),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
    )
    .map(([salt, a, b]) => ({ bucket: { salt, from: Math.min(a, b), to: Math.max(a, b) } })),
);

const { tree } = fc.letrec<{ tree: unknown }>((self) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(self('tree'), { minLength: 1, maxLength: 4 }).map((and) => ({ and })),
    fc.array(self('tree'), { minLength: 1, maxLength: 4 }).map((or) => ({ or })),
    self('tree').map((not) => ({ not })),
  ),
}));

/** Only trees the language accepts (the arbitraries may combine a test with a field it does not fit). */
const validRule = tree
  .map((raw) => {
    try {
      return parseRule(raw);
    } catch {
      return undefined;
    }
  })
  .filter((r): r is Rule => r !== undefined);

describe('segment rules: compiled evaluator against the reference', () => {
  it('agree on every rule and customer, and explain gives the same answer at its root', () => {
    fc.assert(
      fc.property(validRule, fc.array(subject, { minLength: 1, maxLength: 6 }), (rule, subjects) => {
        const compiled = compile(rule, OPTIONS);
        for (const s of subjects) {
          const expected = evaluateReference(rule, s, NOW, OPTIONS);
          expect(compiled.evaluate(s, NOW)).toBe(expected);
          expect(compiled.explain(s, NOW).result).toBe(expected);
        }
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('keeps its answer until the instant nextTransitionAt names', () => {
    fc.assert(
      fc.property(
        validRule,
        subject,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
        (rule, s, fractions) => {
          const compiled = compile(rule, OPTIONS);
          const next = compiled.nextTransitionAt(s, NOW);
          if (!compiled.dependencies.timeDependent) expect(next).toBeNull();
          const before = compiled.evaluate(s, NOW);
          const horizon = next ?? NOW + 400 * DAY;
          expect(horizon).toBeGreaterThan(NOW);
          for (const f of fractions) {
            const t = NOW + Math.floor(f * (horizon - NOW - 1));
            expect(evaluateReference(rule, s, t, OPTIONS)).toBe(before);
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 120_000);
});
