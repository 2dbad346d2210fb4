import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/platform/errors.ts';
import { compile } from '../../shared/segments/compile.ts';
import { checkSegmentReferences } from '../../shared/segments/cycles.ts';
import { evaluateReference } from '../../shared/segments/reference.ts';
import { parseRule, type Rule, type SegmentDefinition } from '../../shared/segments/rule.ts';
import type { Subject } from '../../shared/segments/subject.ts';

const DAY = 86_400_000;
/** 2026-11-23 12:00 in Shanghai. */
const NOW = Date.UTC(2026, 10, 23, 4, 0, 0);
const OPTIONS = {
  defaultTimeZone: 'Asia/Shanghai',
  topicDefaults: { promotions: 'opted_out', service: 'opted_in' },
} as const;

const customer = (over: Partial<Subject> = {}): Subject => ({
  id: '01JD00000000000000000000AA',
  profile: {
    name: '王芳',
    email: 'wang@example.cn',
    emails: ['wang@example.cn', 'fang@example.com'],
    gender: 'female',
    timeZone: 'Asia/Shanghai',
    address: { country: 'CN', province: '广东', city: '深圳' },
    tags: ['vip', '复购'],
    owner: 'alice',
    birthday: { date: '1990-11-25', calendar: 'gregorian' },
    attributes: { level: 3, memberSince: '2024-05-01', newsletter: true, colors: ['red', 'blue'] },
    createdAt: '2026-11-20T02:00:00.000Z',
  },
  computed: { orders: 4, revenue: 1280.5, lastPurchaseDate: '2026-10-01' },
  scores: {
    abc: 'A',
    valueTier: 'high-value',
    lifecycle: { stage: 'active' },
    rfm: { recency: 4, frequency: 5, group: 'champions' },
    churn: { score: 0.12, flagged: false },
    clv: { predicted: 3200, decile: 9 },
  },
  consents: { 'sms:*': 'opted_in', 'email:promotions': 'opted_out' },
  events: [
    { type: 'order', at: NOW - 10 * DAY, properties: { amount: 300, channel: 'app' } },
    { type: 'order', at: NOW - 60 * DAY, properties: { amount: 500, channel: 'store' } },
    { type: 'order', at: NOW - 200 * DAY, properties: { amount: 480.5, channel: 'app' } },
    { type: 'page_view', at: NOW - 1 * DAY, properties: { path: '/sale' } },
  ],
  segments: ['01JD0000000000000000000001'],
  location: { lat: 22.5431, lon: 114.0579 },
  ...over,
});

/** Evaluates both ways and insists they agree. */
function holds(raw: unknown, subject: Subject = customer(), now = NOW): boolean {
  const rule = parseRule(raw);
  const compiled = compile(rule, OPTIONS).evaluate(subject, now);
  expect(evaluateReference(rule, subject, now, OPTIONS)).toBe(compiled);
  expect(compile(rule, OPTIONS).explain(subject, now).result).toBe(compiled);
  return compiled;
}

function errorsOf(raw: unknown) {
  try {
    parseRule(raw);
  } catch (e) {
    if (e instanceof ValidationError) return e.errors;
    throw e;
  }
  throw new Error('accepted');
}

describe('segment rules: operators', () => {
  it.each<[string, unknown, boolean]>([
    ['equals a string', { attribute: { field: 'gender', equals: 'female' } }, true],
    ['equals another', { attribute: { field: 'gender', equals: 'male' } }, false],
    ['equals a number', { attribute: { field: 'attributes.level', equals: 3 } }, true],
    ['equals does not coerce', { attribute: { field: 'attributes.level', equals: '3' } }, false],
    ['equals a boolean', { attribute: { field: 'attributes.newsletter', equals: true } }, true],
    ['in', { attribute: { field: 'owner', in: ['bob', 'alice'] } }, true],
    ['in, none', { attribute: { field: 'owner', in: ['bob'] } }, false],
    ['contains in a string', { attribute: { field: 'email', contains: '@example' } }, true],
    ['contains in a list', { attribute: { field: 'attributes.colors', contains: 'red' } }, true],
    ['startsWith', { attribute: { field: 'name', startsWith: '王' } }, true],
    ['startsWith, any of a list', { attribute: { field: 'emails', startsWith: 'fang' } }, true],
    ['gt', { attribute: { field: 'computed.orders', gt: 3 } }, true],
    ['gt, equal', { attribute: { field: 'computed.orders', gt: 4 } }, false],
    ['gte', { attribute: { field: 'computed.orders', gte: 4 } }, true],
    ['lt', { attribute: { field: 'computed.revenue', lt: 1280.5 } }, false],
    ['lte', { attribute: { field: 'computed.revenue', lte: 1280.5 } }, true],
    ['between, inclusive', { attribute: { field: 'computed.revenue', between: [1000, 1280.5] } }, true],
    ['between, outside', { attribute: { field: 'computed.revenue', between: [0, 1000] } }, false],
    ['date gt', { attribute: { field: 'computed.lastPurchaseDate', gt: '2026-09-30' } }, true],
    ['date lte', { attribute: { field: 'attributes.memberSince', lte: '2024-04-30' } }, false],
    ['date between', { attribute: { field: 'createdAt', between: ['2026-11-20', '2026-11-21'] } }, true],
    ['exists', { attribute: { field: 'phone', exists: false } }, true],
    ['exists, present', { attribute: { field: 'address.city', exists: true } }, true],
    ['within the last N days', { attribute: { field: 'createdAt', withinLastDays: 4 } }, true],
    ['within the last N days, too short', { attribute: { field: 'createdAt', withinLastDays: 3 } }, false],
    [
      'more than N days ago',
      { attribute: { field: 'computed.lastPurchaseDate', moreThanDaysAgo: 30 } },
      true,
    ],
    [
      'more than N days ago, not yet',
      { attribute: { field: 'computed.lastPurchaseDate', moreThanDaysAgo: 53 } },
      false,
    ],
    ['birthday within 2 days', { attribute: { field: 'birthday', anniversaryWithinDays: 2 } }, true],
    ['birthday within 1 day', { attribute: { field: 'birthday', anniversaryWithinDays: 1 } }, false],
    ['tags any', { tags: { any: ['new', 'vip'] } }, true],
    ['tags all', { tags: { all: ['vip', 'new'] } }, false],
    ['tags none', { tags: { none: ['wholesale'] } }, true],
    ['geo province', { geo: { province: ['广东', '浙江'] } }, true],
    ['geo country and city', { geo: { country: ['CN'], city: ['杭州'] } }, false],
    ['near Guangzhou, 120 km', { near: { lat: 23.1291, lon: 113.2644, km: 120 } }, true],
    ['near Guangzhou, 50 km', { near: { lat: 23.1291, lon: 113.2644, km: 50 } }, false],
    ['consent on a channel', { consent: { channel: 'sms' } }, true],
    ['consent on a topic via the channel', { consent: { channel: 'sms', topic: 'promotions' } }, true],
    [
      'consent opted out of a topic',
      { consent: { channel: 'email', topic: 'promotions', status: 'opted_out' } },
      true,
    ],
    ['consent by topic default', { consent: { channel: 'email', topic: 'service' } }, true],
    ['consent nothing at all', { consent: { channel: 'push', status: 'none' } }, true],
    ['tier abc', { tier: { abc: ['A'] } }, true],
    ['tier value and lifecycle', { tier: { value: ['high-value'], lifecycle: ['lost'] } }, false],
    ['score churn below', { score: { name: 'churn', lt: 0.5 } }, true],
    ['score clv decile', { score: { name: 'clvDecile', gte: 9 } }, true],
    ['event at least 2 in 90 days', { event: { type: 'order', within: { days: 90 }, atLeast: 2 } }, true],
    ['event at least 3 in 90 days', { event: { type: 'order', within: { days: 90 }, atLeast: 3 } }, false],
    ['event at most 1 in 30 days', { event: { type: 'order', within: { days: 30 }, atMost: 1 } }, true],
    [
      'event with a property filter',
      { event: { type: 'order', where: [{ property: 'channel', equals: 'app' }], atLeast: 2 } },
      true,
    ],
    ['event never done', { event: { type: 'refund' } }, false],
    ['sum of amounts', { eventValue: { type: 'order', fn: 'sum', property: 'amount', gte: 1280.5 } }, true],
    [
      'avg in a window',
      { eventValue: { type: 'order', fn: 'avg', property: 'amount', within: { days: 90 }, equals: 400 } },
      true,
    ],
    ['min', { eventValue: { type: 'order', fn: 'min', property: 'amount', lt: 300 } }, false],
    ['max', { eventValue: { type: 'order', fn: 'max', property: 'amount', equals: 500 } }, true],
    [
      'avg of nothing fails',
      { eventValue: { type: 'refund', fn: 'avg', property: 'amount', gte: 0 } },
      false,
    ],
    [
      'sum of nothing is 0',
      { eventValue: { type: 'refund', fn: 'sum', property: 'amount', equals: 0 } },
      true,
    ],
    ['last order within 30 days', { eventTime: { type: 'order', which: 'last', withinLastDays: 30 } }, true],
    [
      'first order more than 180 days ago',
      { eventTime: { type: 'order', which: 'first', moreThanDaysAgo: 180 } },
      true,
    ],
    ['first page view exists', { eventTime: { type: 'page_view', which: 'first', exists: true } }, true],
    ['member of a segment', { segment: { id: '01JD0000000000000000000001' } }, true],
    ['not a member', { segment: { id: '01JD0000000000000000000002' } }, false],
    ['and', { and: [{ tier: { abc: ['A'] } }, { tags: { any: ['vip'] } }] }, true],
    ['or', { or: [{ tier: { abc: ['C'] } }, { tags: { any: ['wholesale'] } }] }, false],
    ['not', { not: { tier: { abc: ['C'] } } }, true],
  ])('%s', (_name, rule, expected) => {
    expect(holds(rule)).toBe(expected);
  });

  it('puts a customer in the same random bucket every time, and buckets split customers about evenly', () => {
    // Prepare
    const ids = Array.from({ length: 2000 }, (_, i) => `01JD${String(i).padStart(22, '0')}`);
    const rule = { bucket: { salt: 'holdout-2026', from: 0, to: 9 } };
    // Act
    const first = ids.filter((id) => holds(rule, customer({ id })));
    const again = ids.filter((id) => holds(rule, customer({ id })));
    // Assess
    expect(again).toEqual(first);
    expect(first.length).toBeGreaterThan(140);
    expect(first.length).toBeLessThan(260);
  });

  it("evaluates the issue's example rule and explains which condition failed", () => {
    // Prepare
    const rule = parseRule({
      and: [
        { tier: { abc: ['A'] } },
        { geo: { province: ['广东', '浙江'] } },
        { event: { type: 'order', within: { days: 90 }, atLeast: 2 } },
        { not: { event: { type: 'order', within: { days: 30 } } } },
        { consent: { channel: 'sms' } },
        { not: { segment: { id: '01JD0000000000000000000009' } } },
      ],
    });
    const recentBuyer = customer();
    const quietBuyer = customer({
      events: [
        { type: 'order', at: NOW - 40 * DAY, properties: { amount: 100 } },
        { type: 'order', at: NOW - 80 * DAY, properties: { amount: 100 } },
      ],
    });
    const oneOrder = customer({
      events: [{ type: 'order', at: NOW - 40 * DAY, properties: { amount: 100 } }],
    });
    const compiled = compile(rule, OPTIONS);
    // Act
    const why = compiled.explain(oneOrder, NOW);
    // Assess
    expect(compiled.evaluate(recentBuyer, NOW)).toBe(false);
    expect(compiled.evaluate(quietBuyer, NOW)).toBe(true);
    expect(why.result).toBe(false);
    expect(why.children?.[2]).toMatchObject({
      path: 'rule.and[2]',
      result: false,
      reason: 'order events in the last 90 days: 1, needs at least 2',
    });
    expect(why.children?.filter((c) => !c.result)).toHaveLength(1);
    expect(compiled.explain(recentBuyer, NOW).children?.[3]).toMatchObject({
      path: 'rule.and[3]',
      result: false,
      reason: 'order events in the last 30 days at least 1 holds',
    });
  });

  it('names what a rule depends on', () => {
    // Act
    const { dependencies } = compile(
      parseRule({
        and: [
          { attribute: { field: 'attributes.vip', equals: true } },
          { tier: { abc: ['A'] } },
          { geo: { province: ['广东'] } },
          { event: { type: 'order', within: { days: 90 }, atLeast: 2 } },
          { eventValue: { type: 'refund', fn: 'sum', property: 'amount', within: { days: 30 }, lt: 100 } },
          { consent: { channel: 'email', topic: 'promotions' } },
          { not: { segment: { id: '01JD0000000000000000000009' } } },
          { near: { lat: 30.27, lon: 120.15, km: 50 } },
        ],
      }),
      OPTIONS,
    );
    // Assess
    expect(dependencies).toEqual({
      fields: ['address.province', 'attributes.vip', 'scores.abc'],
      eventTypes: ['order', 'refund'],
      eventDays: 91,
      consents: ['email:*', 'email:promotions'],
      location: true,
      segments: ['01JD0000000000000000000009'],
      timeDependent: true,
    });
    expect(
      compile(parseRule({ eventTime: { type: 'order', which: 'first', exists: true } })).dependencies,
    ).toMatchObject({
      eventDays: null,
      timeDependent: false,
    });
  });
});

describe('segment rules: calendars and time zones', () => {
  const lunar = (date: string, leapMonth = false): Subject =>
    customer({ profile: { ...customer().profile, birthday: { date, calendar: 'lunar', leapMonth } } });

  it('counts days to a lunar birthday (today is lunar 10/15; 10/20 falls on 2026-11-28)', () => {
    expect(holds({ attribute: { field: 'birthday', anniversaryWithinDays: 5 } }, lunar('1990-10-20'))).toBe(
      true,
    );
    expect(holds({ attribute: { field: 'birthday', anniversaryWithinDays: 4 } }, lunar('1990-10-20'))).toBe(
      false,
    );
    expect(holds({ attribute: { field: 'birthday', anniversaryWithinDays: 0 } }, lunar('--10-15'))).toBe(
      true,
    );
  });

  it('keeps a lunar 30th on the last day of a 29-day month (lunar 2026/12 has 29 days: 2027-02-05)', () => {
    expect(holds({ attribute: { field: 'birthday', anniversaryWithinDays: 74 } }, lunar('1990-12-30'))).toBe(
      true,
    );
    expect(holds({ attribute: { field: 'birthday', anniversaryWithinDays: 73 } }, lunar('1990-12-30'))).toBe(
      false,
    );
  });

  it('celebrates a leap-month birthday in the leap month when the year has one', () => {
    // 2025 has a leap sixth month: leap 6/10 is 2025-08-03, the ordinary 6/10 was 2025-07-04.
    const now = Date.UTC(2025, 6, 25, 4);
    const rule = { attribute: { field: 'birthday', anniversaryWithinDays: 9 } };
    expect(holds(rule, lunar('1987-06-10', true), now)).toBe(true);
    expect(
      holds({ attribute: { field: 'birthday', anniversaryWithinDays: 8 } }, lunar('1987-06-10', true), now),
    ).toBe(false);
    // Without the leap flag the next one is the ordinary 6/10 of 2026 (2026-07-23), a year away.
    expect(holds(rule, lunar('1987-06-10'), now)).toBe(false);
  });

  it('keeps a 29 February birthday on 28 February in common years', () => {
    const now = Date.UTC(2027, 1, 27, 4);
    const born = customer({
      profile: { ...customer().profile, birthday: { date: '2000-02-29', calendar: 'gregorian' } },
    });
    expect(holds({ attribute: { field: 'birthday', anniversaryWithinDays: 1 } }, born, now)).toBe(true);
    expect(holds({ attribute: { field: 'birthday', anniversaryWithinDays: 0 } }, born, now)).toBe(false);
  });

  it("counts days in the customer's zone, across a daylight-saving change", () => {
    // New York moved to EDT on 2026-03-08; now is 2026-03-09 23:00 EDT.
    const now = Date.UTC(2026, 2, 10, 3, 0);
    const at = (iso: string, timeZone: string) =>
      customer({ profile: { timeZone }, events: [{ type: 'order', at: Date.parse(iso) }] });
    const today = { event: { type: 'order', within: { days: 1 } } };
    // 00:30 EDT on the 9th is today there; 23:30 EDT on the 8th is not.
    expect(holds(today, at('2026-03-09T04:30:00Z', 'America/New_York'), now)).toBe(true);
    expect(holds(today, at('2026-03-09T03:30:00Z', 'America/New_York'), now)).toBe(false);
    expect(
      holds(
        { event: { type: 'order', within: { days: 2 } } },
        at('2026-03-09T03:30:00Z', 'America/New_York'),
        now,
      ),
    ).toBe(true);
    // Where it is already the 10th, the first of those instants was yesterday.
    expect(holds(today, at('2026-03-09T04:30:00Z', 'UTC'), now)).toBe(false);
  });

  it('falls back to the stage zone for a customer without one', () => {
    // 2026-11-23 17:00Z is already the 24th in Shanghai; 15:30Z on the 23rd was yesterday there.
    const now = Date.UTC(2026, 10, 23, 17);
    const subject = customer({
      profile: {},
      events: [{ type: 'order', at: Date.UTC(2026, 10, 23, 15, 30) }],
    });
    expect(holds({ event: { type: 'order', within: { days: 1 } } }, subject, now)).toBe(false);
    expect(compile(parseRule({ event: { type: 'order', within: { days: 1 } } })).evaluate(subject, now)).toBe(
      true,
    );
  });

  it('says when a time-dependent rule will next change by the clock alone', () => {
    // Prepare: one order on 2026-11-20 (Shanghai); the 90-day window lets go of it at the start of 2027-02-18.
    const subject = customer({ events: [{ type: 'order', at: Date.UTC(2026, 10, 20, 2) }] });
    const rule = parseRule({ event: { type: 'order', within: { days: 90 } } });
    // Act
    const next = compile(rule, OPTIONS).nextTransitionAt(subject, NOW);
    // Assess
    expect(next).toBe(Date.UTC(2027, 1, 17, 16));
    expect(evaluateReference(rule, subject, (next as number) - 1, OPTIONS)).toBe(true);
    expect(evaluateReference(rule, subject, next as number, OPTIONS)).toBe(false);
    expect(compile(parseRule({ tier: { abc: ['A'] } })).nextTransitionAt(subject, NOW)).toBeNull();
  });
});

describe('segment rules: validation', () => {
  it.each<[string, unknown, { path: string; message: string }]>([
    [
      'a negative window',
      {
        and: [
          { tier: { abc: ['A'] } },
          { tags: { any: ['x'] } },
          { event: { type: 'order', within: { days: -1 } } },
        ],
      },
      { path: 'rule.and[2].event.within.days', message: 'must not be negative' },
    ],
    [
      'an unknown kind',
      { or: [{ attr: {} }] },
      { path: 'rule.or[0].attr', message: expect.stringContaining('is not a kind of condition') },
    ],
    [
      'two kinds in one node',
      { and: [{ tier: { abc: ['A'] } }], not: { tier: { abc: ['B'] } } },
      { path: 'rule', message: expect.stringContaining('exactly one key') },
    ],
    ['not an object', [1], { path: 'rule', message: expect.stringContaining('must be an object') }],
    ['an empty and', { and: [] }, { path: 'rule.and', message: 'must hold at least one rule' }],
    [
      'an unknown field',
      { attribute: { field: 'shoeSize', equals: 42 } },
      { path: 'rule.attribute.field', message: expect.stringContaining('must be a known field') },
    ],
    [
      'a test that does not fit the field',
      { attribute: { field: 'computed.orders', contains: '1' } },
      { path: 'rule.attribute.contains', message: 'does not apply to a number field' },
    ],
    [
      'no test',
      { attribute: { field: 'gender' } },
      { path: 'rule.attribute', message: expect.stringContaining('needs one test') },
    ],
    [
      'two tests',
      { attribute: { field: 'computed.orders', gt: 1, lt: 5 } },
      { path: 'rule.attribute.lt', message: expect.stringContaining('only one test') },
    ],
    [
      'a reversed range',
      { attribute: { field: 'computed.orders', between: [5, 1] } },
      { path: 'rule.attribute.between', message: expect.stringContaining('low not above high') },
    ],
    [
      'a bad date',
      { attribute: { field: 'createdAt', gt: '2026-02-30' } },
      { path: 'rule.attribute.gt', message: 'must be a number or a date YYYY-MM-DD' },
    ],
    [
      'an unknown field in a node',
      { tier: { abc: ['A'], rank: 1 } },
      { path: 'rule.tier.rank', message: 'is not a known field' },
    ],
    ['a bad tier', { tier: { abc: ['D'] } }, { path: 'rule.tier.abc[0]', message: 'must be A, B or C' }],
    [
      'an empty tier',
      { tier: {} },
      { path: 'rule.tier', message: expect.stringContaining('at least one of') },
    ],
    [
      'two tag modes',
      { tags: { any: ['a'], none: ['b'] } },
      { path: 'rule.tags.none', message: expect.stringContaining('exactly one of') },
    ],
    [
      'a bad channel',
      { consent: { channel: 'fax' } },
      { path: 'rule.consent.channel', message: expect.stringContaining('must be one of') },
    ],
    [
      'a bad latitude',
      { near: { lat: 91, lon: 0, km: 5 } },
      { path: 'rule.near.lat', message: 'must be -90..90' },
    ],
    [
      'a bad event type',
      { event: { type: 'Order' } },
      { path: 'rule.event.type', message: expect.stringContaining('lower_snake_case') },
    ],
    [
      'atMost below atLeast',
      { event: { type: 'order', atLeast: 3, atMost: 2 } },
      { path: 'rule.event.atMost', message: 'must not be below atLeast' },
    ],
    [
      'a bad property filter',
      { event: { type: 'order', where: [{ property: 'amount', withinLastDays: 3 }] } },
      { path: 'rule.event.where[0].withinLastDays', message: 'does not apply to event properties' },
    ],
    [
      'a bad aggregate',
      { eventValue: { type: 'order', fn: 'median', property: 'amount', gt: 1 } },
      { path: 'rule.eventValue.fn', message: 'must be sum, avg, min or max' },
    ],
    [
      'a relative test on a value',
      { eventValue: { type: 'order', fn: 'sum', property: 'amount', withinLastDays: 3 } },
      { path: 'rule.eventValue.withinLastDays', message: 'does not apply to event values' },
    ],
    [
      'a bad segment id',
      { not: { segment: { id: 'complaints' } } },
      { path: 'rule.not.segment.id', message: expect.stringContaining('segment id') },
    ],
    [
      'a reversed bucket',
      { bucket: { salt: 'h', from: 50, to: 10 } },
      { path: 'rule.bucket.to', message: 'must not be below from' },
    ],
    [
      'an anniversary of a number',
      { attribute: { field: 'computed.orders', anniversaryWithinDays: 3 } },
      { path: 'rule.attribute.anniversaryWithinDays', message: 'does not apply to a number field' },
    ],
  ])('names the field of %s', (_name, rule, error) => {
    expect(errorsOf(rule)).toEqual([error]);
  });
});

describe('segment rules: references between segments', () => {
  const A = '01JD00000000000000000000A1';
  const B = '01JD00000000000000000000B1';
  const C = '01JD00000000000000000000C1';
  const L = '01JD00000000000000000000F1';
  const refers = (...ids: string[]): SegmentDefinition => ({
    kind: 'dynamic',
    rule: { and: ids.map((id) => ({ segment: { id } })) as [Rule, ...Rule[]] },
  });

  it('rejects a cycle through other segments, naming the path', () => {
    // Prepare: B refers to C, C refers to A; A is being saved referring to B.
    const others = new Map<string, SegmentDefinition>([
      [B, refers(C)],
      [C, refers(L, A)],
      [L, { kind: 'static' }],
    ]);
    // Act and assess
    expect(() =>
      checkSegmentReferences(
        A,
        parseRule({ and: [{ tier: { abc: ['A'] } }, { not: { segment: { id: B } } }] }),
        (id) => others.get(id),
      ),
    ).toThrow(
      expect.objectContaining({
        errors: [
          { path: 'rule.and[1].not.segment.id', message: `makes a cycle: ${A} -> ${B} -> ${C} -> ${A}` },
        ],
      }),
    );
  });

  it('accepts references without a cycle, and static segments', () => {
    const others = new Map<string, SegmentDefinition>([
      [B, refers(C)],
      [C, refers(L)],
      [L, { kind: 'static' }],
    ]);
    expect(() =>
      checkSegmentReferences(A, parseRule({ or: [{ segment: { id: B } }, { segment: { id: L } }] }), (id) =>
        others.get(id),
      ),
    ).not.toThrow();
  });

  it('rejects a reference to itself or to a segment that does not exist', () => {
    expect(() => checkSegmentReferences(A, parseRule({ segment: { id: A } }), () => undefined)).toThrow(
      expect.objectContaining({
        errors: [{ path: 'rule.segment.id', message: 'refers to the segment itself' }],
      }),
    );
    expect(() =>
      checkSegmentReferences(A, parseRule({ not: { segment: { id: B } } }), () => undefined),
    ).toThrow(
      expect.objectContaining({
        errors: [{ path: 'rule.not.segment.id', message: `refers to segment ${B}, which does not exist` }],
      }),
    );
  });
});
