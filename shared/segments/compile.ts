import { bucketOf, DAY_MS, dayOf, daysToAnniversary, distanceKm, type Zone, zone } from './calendar.ts';
import {
  type EventCount,
  type EventTime,
  type EventValue,
  type PropertyFilter,
  type Rule,
  scoreFields,
  tierFields,
  type ValueTest,
  valueOperators,
} from './rule.ts';
import type { Subject, SubjectEvent } from './subject.ts';
import type { CompiledRule, CompileOptions, Dependencies, Explanation } from './types.ts';

/**
 * The compiler: a rule becomes a tree of closures, built once, with sets, parsed dates and field
 * getters prepared, so that evaluating a customer only walks data. One context per compiled rule
 * carries the subject and the clock and works out the customer's "today" lazily, once per evaluation.
 */

interface Ctx {
  s: Subject;
  now: number;
  /** The stage default zone, for customers without one. */
  fallback: string;
  /** The customer's zone and today in it, resolved by the first node that needs days. */
  zone: Zone | undefined;
  today: number;
  /** The last zone worked out, by name and clock: a batch of customers mostly shares both. */
  memo: { name: string | undefined; now: number; zone: Zone | undefined; today: number };
}

interface Node {
  test(c: Ctx): boolean;
  explain(c: Ctx, path: string): Explanation;
  /** Earliest instant after now at which this node's result may change by the clock alone. */
  next(c: Ctx): number | null;
}

type Getter = (s: Subject) => unknown;

interface Deps {
  fields: Set<string>;
  eventTypes: Set<string>;
  eventDays: number | null;
  consents: Set<string>;
  location: boolean;
  segments: Set<string>;
  timeDependent: boolean;
}
interface Env {
  options: CompileOptions;
  deps: Deps;
}

export function compile(rule: Rule, options: CompileOptions = {}): CompiledRule {
  const fallback = options.defaultTimeZone ?? 'UTC';
  const deps: Deps = {
    fields: new Set(),
    eventTypes: new Set(),
    eventDays: 0,
    consents: new Set(),
    location: false,
    segments: new Set(),
    timeDependent: false,
  };
  const root = build(rule, { options, deps });
  // One context, reused: evaluation is synchronous, and allocating per customer shows at a million.
  const ctx: Ctx = {
    s: undefined as unknown as Subject,
    now: 0,
    fallback,
    zone: undefined,
    today: Number.NaN,
    memo: { name: undefined, now: Number.NaN, zone: undefined, today: Number.NaN },
  };
  const enter = (s: Subject, now: number) => {
    ctx.s = s;
    ctx.now = now;
    ctx.zone = undefined;
    ctx.today = Number.NaN;
    return ctx;
  };
  const dependencies: Dependencies = {
    fields: [...deps.fields].sort(),
    eventTypes: [...deps.eventTypes].sort(),
    // A day more than the widest window: the customer's day and UTC's differ by up to one.
    eventDays: deps.eventDays === null ? null : deps.eventTypes.size > 0 ? deps.eventDays + 1 : 0,
    consents: [...deps.consents].sort(),
    location: deps.location,
    segments: [...deps.segments].sort(),
    timeDependent: deps.timeDependent,
  };
  return {
    rule,
    dependencies,
    evaluate: (subject, now) => root.test(enter(subject, now)),
    explain: (subject, now) => root.explain(enter(subject, now), 'rule'),
    nextTransitionAt: (subject, now) => (deps.timeDependent ? root.next(enter(subject, now)) : null),
  };
}

/** The customer's zone (and `c.today`), worked out once per evaluation and only if a node needs it. */
function zoneOf(c: Ctx): Zone {
  if (c.zone === undefined) {
    const name = c.s.profile.timeZone;
    const memo = c.memo;
    if (memo.zone === undefined || memo.name !== name || memo.now !== c.now) {
      memo.zone = zone(name, c.fallback);
      memo.name = name;
      memo.now = c.now;
      memo.today = memo.zone.day(c.now);
    }
    c.zone = memo.zone;
    c.today = memo.today;
  }
  return c.zone;
}

const minOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const never = () => null;

function build(rule: Rule, env: Env): Node {
  if ('and' in rule)
    return logic(
      'and',
      rule.and.map((r) => build(r, env)),
    );
  if ('or' in rule)
    return logic(
      'or',
      rule.or.map((r) => build(r, env)),
    );
  if ('not' in rule) return not(build(rule.not, env));
  if ('attribute' in rule) {
    const { field, ...test } = rule.attribute;
    env.deps.fields.add(field);
    return valueLeaf('attribute', field, getter(field), test, env);
  }
  if ('score' in rule) {
    const { name, ...test } = rule.score;
    const field = scoreFields[name];
    env.deps.fields.add(field);
    return valueLeaf('score', `score ${name}`, getter(field), test, env);
  }
  if ('tags' in rule) return tagsLeaf(rule.tags, env);
  if ('geo' in rule) {
    const lists = Object.entries(rule.geo).map(
      ([k, v]) => [k, new Set<unknown>(v), getter(`address.${k}`)] as const,
    );
    for (const [k] of lists) env.deps.fields.add(`address.${k}`);
    return listsLeaf('geo', lists);
  }
  if ('tier' in rule) {
    const lists = Object.entries(rule.tier).map(([k, v]) => {
      const field = tierFields[k as keyof typeof tierFields];
      env.deps.fields.add(field);
      return [k, new Set<unknown>(v), getter(field)] as const;
    });
    return listsLeaf('tier', lists);
  }
  if ('near' in rule) return nearLeaf(rule.near, env);
  if ('consent' in rule) return consentLeaf(rule.consent, env);
  if ('event' in rule) return eventCountLeaf(rule.event, env);
  if ('eventValue' in rule) return eventValueLeaf(rule.eventValue, env);
  if ('eventTime' in rule) return eventTimeLeaf(rule.eventTime, env);
  if ('segment' in rule) return segmentLeaf(rule.segment.id, env);
  if ('bucket' in rule) return bucketLeaf(rule.bucket);
  throw new Error(`unknown rule node ${Object.keys(rule as object)[0]}`);
}

function logic(kind: 'and' | 'or', children: Node[]): Node {
  const isAnd = kind === 'and';
  const n = children.length;
  return {
    test: isAnd
      ? (c) => {
          for (let i = 0; i < n; i++) if (!(children[i] as Node).test(c)) return false;
          return true;
        }
      : (c) => {
          for (let i = 0; i < n; i++) if ((children[i] as Node).test(c)) return true;
          return false;
        },
    explain(c, path) {
      const parts = children.map((child, i) => child.explain(c, `${path}.${kind}[${i}]`));
      const failed = parts.filter((p) => !p.result).length;
      const result = isAnd ? failed === 0 : failed < n;
      return {
        path,
        kind,
        result,
        condition: isAnd ? `all of ${n} conditions` : `any of ${n} conditions`,
        ...(!result && { reason: isAnd ? `${failed} of ${n} conditions failed` : 'no condition held' }),
        children: parts,
      };
    },
    next: (c) => children.reduce<number | null>((m, child) => minOf(m, child.next(c)), null),
  };
}

function not(child: Node): Node {
  return {
    test: (c) => !child.test(c),
    explain(c, path) {
      const inner = child.explain(c, `${path}.not`);
      return {
        path,
        kind: 'not',
        result: !inner.result,
        condition: `not (${inner.condition})`,
        ...(inner.result && { reason: `${inner.condition} holds` }),
        children: [inner],
      };
    },
    next: (c) => child.next(c),
  };
}

function without<T extends object>(o: T, ...keys: string[]): T {
  const out = { ...o } as Record<string, unknown>;
  for (const key of keys) delete out[key];
  return out as T;
}

/**
 * A leaf measures something and tests the measure. `label` names what is measured, `need` what it
 * must be, and `show` renders a measure, so a failure reads "orders in the last 90 days: 1, needs at
 * least 2".
 */
function leaf(
  kind: string,
  label: string,
  need: string,
  measure: (c: Ctx) => unknown,
  check: (m: unknown, c: Ctx) => boolean,
  show: (m: unknown) => string,
  next: (c: Ctx) => number | null = never,
): Node {
  const condition = `${label} ${need}`;
  return {
    test: (c) => check(measure(c), c),
    explain(c, path) {
      const m = measure(c);
      const result = check(m, c);
      return { path, kind, result, condition, ...(!result && { reason: `${show(m)}, needs ${need}` }) };
    },
    next,
  };
}

const showValue = (v: unknown): string =>
  v === undefined || v === null ? 'none' : Array.isArray(v) ? `[${v.join(', ')}]` : JSON.stringify(v);

// ---------------------------------------------------------------------------------------------------
// Value tests

/** Reads a dotted field off the subject: `computed.*`, `scores.*`, else the profile. */
function getter(field: string): Getter {
  const parts = field.split('.');
  const head = parts[0];
  const rest = head === 'computed' || head === 'scores' ? parts.slice(1) : parts;
  const from: Getter =
    head === 'computed' ? (s) => s.computed : head === 'scores' ? (s) => s.scores : (s) => s.profile;
  if (rest.length === 1) {
    const [a] = rest as [string];
    return (s) => (from(s) as Record<string, unknown> | undefined)?.[a] ?? undefined;
  }
  if (rest.length === 2) {
    const [a, b] = rest as [string, string];
    return (s) => (from(s) as Record<string, Record<string, unknown>> | undefined)?.[a]?.[b] ?? undefined;
  }
  return (s) => {
    let v: unknown = from(s);
    for (const p of rest) v = (v as Record<string, unknown> | undefined)?.[p];
    return v ?? undefined;
  };
}

type Test = { op: keyof ValueTest; operand: unknown; describe: string };

function describeTest(test: ValueTest): Test {
  const op = valueOperators.find((o) => test[o] !== undefined) as keyof ValueTest;
  const operand = test[op];
  const pair = operand as unknown[];
  const words: Record<keyof ValueTest, string> = {
    equals: `equal to ${JSON.stringify(operand)}`,
    in: `one of ${JSON.stringify(operand)}`,
    contains: `containing ${JSON.stringify(operand)}`,
    startsWith: `starting with ${JSON.stringify(operand)}`,
    gt: `above ${operand}`,
    gte: `at least ${operand}`,
    lt: `below ${operand}`,
    lte: `at most ${operand}`,
    between: `between ${pair?.[0]} and ${pair?.[1]}`,
    exists: operand ? 'present' : 'absent',
    withinLastDays: `within the last ${operand} days`,
    moreThanDaysAgo: `more than ${operand} days ago`,
    anniversaryWithinDays: `with an anniversary within ${operand} days`,
  };
  return { op, operand, describe: words[op] };
}

const isRelative = (op: string) =>
  op === 'withinLastDays' || op === 'moreThanDaysAgo' || op === 'anniversaryWithinDays';

const UTC = zone('UTC', 'UTC');

/**
 * The test of one (non-array) value. Numbers compare with numbers, dates (a `YYYY-MM-DD` operand)
 * with the calendar day of the value; a value of another kind fails every test.
 */
function scalarTest(test: Test): (v: unknown, c: Ctx) => boolean {
  const { op, operand } = test;
  const ordered = (cmp: (a: number, b: number) => boolean) => {
    if (typeof operand === 'number') return (v: unknown) => typeof v === 'number' && cmp(v, operand);
    const day = dayOf(operand, UTC) as number;
    return (v: unknown, c: Ctx) => {
      const d = dayOf(v, zoneOf(c));
      return d !== undefined && cmp(d, day);
    };
  };
  switch (op) {
    case 'equals':
      return (v) => v === operand;
    case 'in': {
      const set = new Set(operand as unknown[]);
      return (v) => set.has(v);
    }
    case 'contains':
      return (v) => typeof v === 'string' && v.includes(operand as string);
    case 'startsWith':
      return (v) => typeof v === 'string' && v.startsWith(operand as string);
    case 'gt':
      return ordered((a, b) => a > b);
    case 'gte':
      return ordered((a, b) => a >= b);
    case 'lt':
      return ordered((a, b) => a < b);
    case 'lte':
      return ordered((a, b) => a <= b);
    case 'between': {
      const [lo, hi] = operand as [unknown, unknown];
      if (typeof lo === 'number' && typeof hi === 'number') {
        return (v) => typeof v === 'number' && v >= lo && v <= hi;
      }
      const dlo = dayOf(lo, UTC) as number;
      const dhi = dayOf(hi, UTC) as number;
      return (v, c) => {
        const d = dayOf(v, zoneOf(c));
        return d !== undefined && d >= dlo && d <= dhi;
      };
    }
    case 'withinLastDays': {
      const n = operand as number;
      return (v, c) => {
        const d = dayOf(v, zoneOf(c));
        return d !== undefined && d > c.today - n && d <= c.today;
      };
    }
    case 'moreThanDaysAgo': {
      const n = operand as number;
      return (v, c) => {
        const d = dayOf(v, zoneOf(c));
        return d !== undefined && d < c.today - n;
      };
    }
    case 'anniversaryWithinDays': {
      const n = operand as number;
      return (v, c) => {
        const u = untilAnniversary(v, c);
        return u !== undefined && u <= n;
      };
    }
    default:
      throw new Error(`no scalar test ${op}`);
  }
}

/** Days to the next anniversary of a date, a date-time (its day where the customer is) or a birthday. */
function untilAnniversary(v: unknown, c: Ctx): number | undefined {
  const z = zoneOf(c);
  if (typeof v === 'string') {
    const day = dayOf(v, z);
    if (day === undefined) return undefined;
    return daysToAnniversary(new Date(day * DAY_MS).toISOString().slice(0, 10), 'gregorian', false, c.today);
  }
  if (typeof v === 'object' && v !== null && typeof (v as { date?: unknown }).date === 'string') {
    const b = v as { date: string; calendar?: string; leapMonth?: boolean };
    return daysToAnniversary(
      b.date,
      b.calendar === 'lunar' ? 'lunar' : 'gregorian',
      b.leapMonth === true,
      c.today,
    );
  }
  return undefined;
}

const exists = (v: unknown) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);

/** A full value test: a list passes when any element does; `exists` looks at the whole value. */
function valueTest(test: Test): (v: unknown, c: Ctx) => boolean {
  if (test.op === 'exists') {
    const want = test.operand as boolean;
    return (v) => exists(v) === want;
  }
  const one = scalarTest(test);
  return (v, c) => {
    if (v === undefined || v === null) return false;
    if (Array.isArray(v)) {
      for (const item of v) if (one(item, c)) return true;
      return false;
    }
    return one(v, c);
  };
}

/** When a relative test on this value may flip with the clock alone. */
function valueTransition(test: Test, v: unknown, c: Ctx): number | null {
  if (!isRelative(test.op) || v === undefined || v === null) return null;
  if (Array.isArray(v))
    return v.reduce<number | null>((m, item) => minOf(m, valueTransition(test, item, c)), null);
  const z = zoneOf(c);
  const n = test.operand as number;
  if (test.op === 'anniversaryWithinDays') {
    const u = untilAnniversary(v, c);
    if (u === undefined) return null;
    return z.dayStart(c.today + (u <= n ? u + 1 : u - n));
  }
  const d = dayOf(v, z);
  if (d === undefined) return null;
  if (d > c.today) return z.dayStart(d);
  if (test.op === 'withinLastDays') return d > c.today - n ? z.dayStart(d + n) : null;
  return d < c.today - n ? null : z.dayStart(d + n + 1);
}

function valueLeaf(kind: string, label: string, get: Getter, raw: ValueTest, env: Env): Node {
  const test = describeTest(raw);
  const relative = isRelative(test.op);
  if (relative) env.deps.timeDependent = true;
  const check = valueTest(test);
  return leaf(
    kind,
    label,
    test.describe,
    (c) => get(c.s),
    check,
    (v) => `${label}: ${showValue(v)}`,
    relative ? (c) => valueTransition(test, get(c.s), c) : never,
  );
}

// ---------------------------------------------------------------------------------------------------
// Profile conditions

function tagsLeaf(rule: { any?: string[]; all?: string[]; none?: string[] }, env: Env): Node {
  env.deps.fields.add('tags');
  const [mode, wanted] = Object.entries(rule)[0] as ['any' | 'all' | 'none', string[]];
  const set = new Set(wanted);
  const list = [...set];
  const check =
    mode === 'any'
      ? (tags: readonly string[]) => tags.some((t) => set.has(t))
      : mode === 'all'
        ? (tags: readonly string[]) => list.every((t) => tags.includes(t))
        : (tags: readonly string[]) => !tags.some((t) => set.has(t));
  return leaf(
    'tags',
    'tags',
    `${mode} of [${list.join(', ')}]`,
    (c) => c.s.profile.tags ?? [],
    (tags) => check(tags as readonly string[]),
    (tags) => `tags: [${(tags as string[]).join(', ')}]`,
  );
}

function listsLeaf(kind: string, lists: readonly (readonly [string, Set<unknown>, Getter])[]): Node {
  const need = lists.map(([k, set]) => `${k} in [${[...set].join(', ')}]`).join(' and ');
  return leaf(
    kind,
    kind,
    need,
    (c) => c.s,
    (s) => {
      for (let i = 0; i < lists.length; i++) {
        const [, set, get] = lists[i] as (typeof lists)[number];
        if (!set.has(get(s as Subject))) return false;
      }
      return true;
    },
    (s) => lists.map(([k, , get]) => `${k}: ${showValue(get(s as Subject))}`).join(', '),
  );
}

function nearLeaf(rule: { lat: number; lon: number; km: number }, env: Env): Node {
  env.deps.location = true;
  return leaf(
    'near',
    'distance',
    `within ${rule.km} km of ${rule.lat},${rule.lon}`,
    (c) => {
      const at = c.s.location;
      return at === undefined ? undefined : distanceKm(rule.lat, rule.lon, at.lat, at.lon);
    },
    (d) => d !== undefined && (d as number) <= rule.km,
    (d) => (d === undefined ? 'location unknown' : `distance ${(d as number).toFixed(1)} km`),
  );
}

function consentLeaf(rule: { channel: string; topic?: string; status?: string }, env: Env): Node {
  const channelKey = `${rule.channel}:*`;
  const topicKey = rule.topic === undefined ? undefined : `${rule.channel}:${rule.topic}`;
  env.deps.consents.add(channelKey);
  if (topicKey) env.deps.consents.add(topicKey);
  const fallback = (rule.topic !== undefined && env.options.topicDefaults?.[rule.topic]) || 'none';
  const want = rule.status ?? 'opted_in';
  // The send gate's order: a channel opt-out, then the topic record, the channel record, the default.
  const status = (s: Subject): string => {
    const channel = s.consents?.[channelKey];
    if (topicKey === undefined) return channel ?? 'none';
    if (channel === 'opted_out') return 'opted_out';
    return s.consents?.[topicKey] ?? channel ?? fallback;
  };
  const label = `consent ${rule.channel}${rule.topic ? `/${rule.topic}` : ''}`;
  return leaf(
    'consent',
    label,
    want,
    (c) => status(c.s),
    (v) => v === want,
    (v) => `${label}: ${v}`,
  );
}

function segmentLeaf(id: string, env: Env): Node {
  env.deps.segments.add(id);
  return leaf(
    'segment',
    `segment ${id}`,
    'membership',
    (c) => {
      const segs = c.s.segments;
      if (segs === undefined) return false;
      return 'has' in segs ? segs.has(id) : segs.includes(id);
    },
    (m) => m === true,
    () => `not a member of segment ${id}`,
  );
}

function bucketLeaf(rule: { salt: string; from: number; to: number }): Node {
  return leaf(
    'bucket',
    `bucket of ${JSON.stringify(rule.salt)}`,
    `${rule.from}..${rule.to}`,
    (c) => bucketOf(rule.salt, c.s.id),
    (b) => (b as number) >= rule.from && (b as number) <= rule.to,
    (b) => `bucket ${b}`,
  );
}

// ---------------------------------------------------------------------------------------------------
// Event conditions

function propertyFilter(
  filters: PropertyFilter[] | undefined,
): ((e: SubjectEvent, c: Ctx) => boolean) | undefined {
  if (!filters || filters.length === 0) return undefined;
  const tests = filters.map((f) => ({
    property: f.property,
    check: valueTest(describeTest(without(f, 'property'))),
  }));
  return (e, c) => {
    for (const t of tests) if (!t.check(e.properties?.[t.property], c)) return false;
    return true;
  };
}

function describeFilters(filters: PropertyFilter[] | undefined): string {
  if (!filters || filters.length === 0) return '';
  return ` where ${filters.map((f) => `${f.property} ${describeTest(without(f, 'property')).describe}`).join(' and ')}`;
}

interface Scan {
  type: string;
  days: number | undefined;
  filter: ((e: SubjectEvent, c: Ctx) => boolean) | undefined;
  label: string;
}

function scanOf(rule: { type: string; within?: { days: number }; where?: PropertyFilter[] }, env: Env): Scan {
  env.deps.eventTypes.add(rule.type);
  const days = rule.within?.days;
  if (days === undefined) env.deps.eventDays = null;
  else {
    env.deps.timeDependent = true;
    if (env.deps.eventDays !== null) env.deps.eventDays = Math.max(env.deps.eventDays, days);
  }
  return {
    type: rule.type,
    days,
    filter: propertyFilter(rule.where),
    label: `${rule.type} events${days === undefined ? '' : ` in the last ${days} days`}${describeFilters(rule.where)}`,
  };
}

/** Calls `visit` for each event the scan takes, in the subject's order. */
function forEachEvent(scan: Scan, c: Ctx, visit: (e: SubjectEvent) => void): void {
  const events = c.s.events;
  if (events === undefined || events.length === 0) return;
  let from = Number.NEGATIVE_INFINITY;
  let until = Number.POSITIVE_INFINITY;
  if (scan.days !== undefined) {
    // The window as instants: from the start of the first of its days to the start of tomorrow.
    const z = zoneOf(c);
    from = z.dayStart(c.today - scan.days + 1);
    until = z.dayStart(c.today + 1);
  }
  const { type, filter } = scan;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as SubjectEvent;
    if (e.type !== type || e.at < from || e.at >= until) continue;
    if (filter !== undefined && !filter(e, c)) continue;
    visit(e);
  }
}

/** When the window moves past an event of the scan, or an event dated ahead comes into it. */
function windowTransition(scan: Scan, c: Ctx): number | null {
  if (scan.days === undefined || c.s.events === undefined) return null;
  const z = zoneOf(c);
  const days = scan.days;
  let next: number | null = null;
  for (const e of c.s.events) {
    if (e.type !== scan.type || (scan.filter !== undefined && !scan.filter(e, c))) continue;
    const d = z.day(e.at);
    const t = d > c.today ? z.dayStart(d) : d > c.today - days ? z.dayStart(d + days) : null;
    next = minOf(next, t);
  }
  return next;
}

function eventCountLeaf(rule: EventCount, env: Env): Node {
  const scan = scanOf(rule, env);
  const atLeast = rule.atLeast ?? (rule.atMost === undefined ? 1 : 0);
  const atMost = rule.atMost ?? Number.POSITIVE_INFINITY;
  const need = [
    rule.atLeast !== undefined || rule.atMost === undefined ? `at least ${atLeast}` : '',
    rule.atMost !== undefined ? `at most ${atMost}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  let counted = 0;
  const tally = () => {
    counted++;
  };
  // One callback for the life of the rule: a closure per customer is garbage a million times over.
  const count = (c: Ctx) => {
    counted = 0;
    forEachEvent(scan, c, tally);
    return counted;
  };
  return leaf(
    'event',
    scan.label,
    need,
    count,
    (n) => (n as number) >= atLeast && (n as number) <= atMost,
    (n) => `${scan.label}: ${n}`,
    scan.days === undefined ? never : (c) => windowTransition(scan, c),
  );
}

function eventValueLeaf(rule: EventValue, env: Env): Node {
  const scan = scanOf(rule, env);
  const { fn, property } = rule;
  const test = describeTest(without(rule, 'type', 'fn', 'property', 'within', 'where'));
  const check = valueTest(test);
  let n = 0;
  let acc = 0;
  const add = (e: SubjectEvent) => {
    const v = e.properties?.[property];
    if (typeof v !== 'number' || !Number.isFinite(v)) return;
    n++;
    if (fn === 'min') acc = v < acc ? v : acc;
    else if (fn === 'max') acc = v > acc ? v : acc;
    else acc += v;
  };
  const measure = (c: Ctx): number | undefined => {
    n = 0;
    acc = fn === 'min' ? Number.POSITIVE_INFINITY : fn === 'max' ? Number.NEGATIVE_INFINITY : 0;
    forEachEvent(scan, c, add);
    if (fn === 'sum') return acc;
    if (n === 0) return undefined;
    return fn === 'avg' ? acc / n : acc;
  };
  const label = `${fn} of ${property} over ${scan.label}`;
  return leaf(
    'eventValue',
    label,
    test.describe,
    measure,
    check,
    (v) => `${label}: ${showValue(v)}`,
    scan.days === undefined ? never : (c) => windowTransition(scan, c),
  );
}

/**
 * A date test of an instant (epoch ms): the same answers as `valueTest` gives for the instant written as
 * an ISO date-time, without writing and parsing one per customer.
 */
function instantTest(test: Test): (ms: number | undefined, c: Ctx) => boolean {
  const { op, operand } = test;
  if (op === 'exists') return (ms) => (ms !== undefined) === operand;
  const day = (ms: number, c: Ctx) => zoneOf(c).day(ms);
  const ordered = (cmp: (a: number, b: number) => boolean) => {
    if (typeof operand !== 'string') return () => false;
    const d = dayOf(operand, UTC) as number;
    return (ms: number | undefined, c: Ctx) => ms !== undefined && cmp(day(ms, c), d);
  };
  switch (op) {
    case 'gt':
      return ordered((a, b) => a > b);
    case 'gte':
      return ordered((a, b) => a >= b);
    case 'lt':
      return ordered((a, b) => a < b);
    case 'lte':
      return ordered((a, b) => a <= b);
    case 'between': {
      const [lo, hi] = operand as [unknown, unknown];
      if (typeof lo !== 'string' || typeof hi !== 'string') return () => false;
      const dlo = dayOf(lo, UTC) as number;
      const dhi = dayOf(hi, UTC) as number;
      return (ms, c) => {
        if (ms === undefined) return false;
        const d = day(ms, c);
        return d >= dlo && d <= dhi;
      };
    }
    case 'withinLastDays': {
      const n = operand as number;
      return (ms, c) => {
        if (ms === undefined) return false;
        const d = day(ms, c);
        return d > c.today - n && d <= c.today;
      };
    }
    case 'moreThanDaysAgo': {
      const n = operand as number;
      return (ms, c) => ms !== undefined && day(ms, c) < c.today - n;
    }
    default: {
      const check = valueTest(test);
      return (ms, c) => ms !== undefined && check(new Date(ms).toISOString(), c);
    }
  }
}

function eventTimeLeaf(rule: EventTime, env: Env): Node {
  const scan = scanOf({ type: rule.type, ...(rule.where && { where: rule.where }) }, env);
  const test = describeTest(without(rule, 'type', 'which', 'where'));
  const relative = isRelative(test.op);
  if (relative) env.deps.timeDependent = true;
  const first = rule.which === 'first';
  const check = instantTest(test);
  const measure = (c: Ctx): number | undefined => {
    const events = c.s.events;
    if (events === undefined) return undefined;
    let at: number | undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as SubjectEvent;
      if (e.type !== scan.type || (scan.filter !== undefined && !scan.filter(e, c))) continue;
      if (at === undefined || (first ? e.at < at : e.at > at)) at = e.at;
    }
    return at;
  };
  const iso = (ms: unknown) => (ms === undefined ? undefined : new Date(ms as number).toISOString());
  const label = `${rule.which} ${rule.type}${describeFilters(rule.where)}`;
  return leaf(
    'eventTime',
    label,
    test.describe,
    measure,
    (ms, c) => check(ms as number | undefined, c),
    (ms) => `${label}: ${iso(ms) ?? 'never'}`,
    relative ? (c) => valueTransition(test, iso(measure(c)), c) : never,
  );
}
