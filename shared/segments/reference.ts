import { Solar } from 'lunar-javascript';
import type { PropertyFilter, Rule, ValueTest } from './rule.ts';
import type { Subject, SubjectEvent } from './subject.ts';
import type { CompileOptions } from './types.ts';

/**
 * The naive reference evaluator: the rule language read straight off the tree, plainly and slowly, with
 * no code shared with compile.ts (calendar sums are done a different way too: day by day, through
 * Intl every time). The property test holds the compiled evaluator to it.
 */
export function evaluateReference(
  rule: Rule,
  subject: Subject,
  now: number,
  options: CompileOptions = {},
): boolean {
  return new Reference(subject, now, options).holds(rule);
}

const ONE_DAY = 24 * 60 * 60 * 1000;

class Reference {
  constructor(
    readonly subject: Subject,
    readonly now: number,
    readonly options: CompileOptions,
  ) {}

  get timeZone(): string {
    const wanted = this.subject.profile.timeZone ?? this.options.defaultTimeZone ?? 'UTC';
    try {
      new Intl.DateTimeFormat('en', { timeZone: wanted });
      return wanted;
    } catch {
      return this.options.defaultTimeZone ?? 'UTC';
    }
  }

  /** Days since 1970-01-01 of the calendar date that the instant has on the customer's wall clock. */
  localDay(ms: number): number {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: this.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).formatToParts(new Date(ms));
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    return Date.UTC(get('year'), get('month') - 1, get('day')) / ONE_DAY;
  }

  get today(): number {
    return this.localDay(this.now);
  }

  /** The calendar day a value stands for, if it stands for one. */
  dayOfValue(value: unknown): number | undefined {
    if (typeof value !== 'string') return undefined;
    const plain = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (plain) return Date.UTC(Number(plain[1]), Number(plain[2]) - 1, Number(plain[3])) / ONE_DAY;
    if (value.length === 10 || !value.includes('T') || Number.isNaN(Date.parse(value))) return undefined;
    return this.localDay(Date.parse(value));
  }

  holds(rule: Rule): boolean {
    if ('and' in rule) return rule.and.every((r) => this.holds(r));
    if ('or' in rule) return rule.or.some((r) => this.holds(r));
    if ('not' in rule) return !this.holds(rule.not);
    if ('attribute' in rule) {
      const { field, ...test } = rule.attribute;
      return this.passes(this.field(field), test);
    }
    if ('score' in rule) {
      const { name, ...test } = rule.score;
      const scores = this.subject.scores;
      const value = {
        recency: scores?.rfm?.recency,
        frequency: scores?.rfm?.frequency,
        monetary: scores?.rfm?.monetary,
        fm: scores?.rfm?.fm,
        clv: scores?.clv?.predicted,
        clvHistorical: scores?.clv?.historical,
        clvDecile: scores?.clv?.decile,
        probabilityAlive: scores?.clv?.probabilityAlive,
        churn: scores?.churn?.score,
      }[name];
      return this.passes(value, test);
    }
    if ('tags' in rule) {
      const tags = this.subject.profile.tags ?? [];
      if (rule.tags.any) return rule.tags.any.some((t) => tags.includes(t));
      if (rule.tags.all) return rule.tags.all.every((t) => tags.includes(t));
      return (rule.tags.none ?? []).every((t) => !tags.includes(t));
    }
    if ('geo' in rule) {
      const address = this.subject.profile.address ?? {};
      if (rule.geo.country && !rule.geo.country.includes(address.country as string)) return false;
      if (rule.geo.province && !rule.geo.province.includes(address.province as string)) return false;
      if (rule.geo.city && !rule.geo.city.includes(address.city as string)) return false;
      return true;
    }
    if ('tier' in rule) {
      const s = this.subject.scores;
      if (rule.tier.abc && !rule.tier.abc.includes(s?.abc as string)) return false;
      if (rule.tier.value && !rule.tier.value.includes(s?.valueTier as string)) return false;
      if (rule.tier.lifecycle && !rule.tier.lifecycle.includes(s?.lifecycle?.stage as string)) return false;
      if (rule.tier.rfmGroup && !rule.tier.rfmGroup.includes(s?.rfm?.group as string)) return false;
      return true;
    }
    if ('near' in rule) {
      const at = this.subject.location;
      if (!at) return false;
      return haversine(rule.near.lat, rule.near.lon, at.lat, at.lon) <= rule.near.km;
    }
    if ('consent' in rule) {
      const { channel, topic } = rule.consent;
      const records = this.subject.consents ?? {};
      const channelRecord = records[`${channel}:*`];
      let status: string;
      if (topic === undefined) status = channelRecord ?? 'none';
      else if (channelRecord === 'opted_out') status = 'opted_out';
      else if (records[`${channel}:${topic}`]) status = records[`${channel}:${topic}`] as string;
      else if (channelRecord) status = channelRecord;
      else status = this.options.topicDefaults?.[topic] ?? 'none';
      return status === (rule.consent.status ?? 'opted_in');
    }
    if ('event' in rule) {
      const n = this.events(rule.event.type, rule.event.within?.days, rule.event.where).length;
      if (rule.event.atLeast === undefined && rule.event.atMost === undefined) return n >= 1;
      return n >= (rule.event.atLeast ?? 0) && n <= (rule.event.atMost ?? Number.POSITIVE_INFINITY);
    }
    if ('eventValue' in rule) {
      const { type, fn, property, within, where, ...test } = rule.eventValue;
      const values = this.events(type, within?.days, where)
        .map((e) => e.properties?.[property])
        .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      let value: number | undefined;
      if (fn === 'sum') value = values.reduce((a, b) => a + b, 0);
      else if (values.length > 0) {
        if (fn === 'avg') value = values.reduce((a, b) => a + b, 0) / values.length;
        if (fn === 'min') value = Math.min(...values);
        if (fn === 'max') value = Math.max(...values);
      }
      return this.passes(value, test);
    }
    if ('eventTime' in rule) {
      const { type, which, where, ...test } = rule.eventTime;
      const times = this.events(type, undefined, where).map((e) => e.at);
      const at = times.length === 0 ? undefined : which === 'first' ? Math.min(...times) : Math.max(...times);
      return this.passes(at === undefined ? undefined : new Date(at).toISOString(), test);
    }
    if ('segment' in rule) {
      const segments = this.subject.segments ?? [];
      return [...segments].includes(rule.segment.id);
    }
    if ('bucket' in rule) {
      const bucket = fnv1a(`${rule.bucket.salt}:${this.subject.id}`) % 100;
      return bucket >= rule.bucket.from && bucket <= rule.bucket.to;
    }
    throw new Error('unknown rule');
  }

  field(field: string): unknown {
    let value: unknown;
    const [head, ...rest] = field.split('.');
    if (head === 'computed') value = this.subject.computed;
    else if (head === 'scores') value = this.subject.scores;
    else {
      value = this.subject.profile;
      rest.unshift(head as string);
    }
    for (const key of rest) {
      value = value === null || value === undefined ? undefined : (value as Record<string, unknown>)[key];
    }
    return value === null ? undefined : value;
  }

  events(type: string, days: number | undefined, where: PropertyFilter[] | undefined): SubjectEvent[] {
    const today = this.today;
    return (this.subject.events ?? []).filter((e) => {
      if (e.type !== type) return false;
      if (days !== undefined) {
        const day = this.localDay(e.at);
        if (day <= today - days || day > today) return false;
      }
      return (where ?? []).every(({ property, ...test }) => this.passes(e.properties?.[property], test));
    });
  }

  passes(value: unknown, test: ValueTest): boolean {
    if (test.exists !== undefined) {
      const present = value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);
      return present === test.exists;
    }
    if (value === undefined || value === null) return false;
    if (Array.isArray(value)) return value.some((item) => this.passesOne(item, test));
    return this.passesOne(value, test);
  }

  passesOne(value: unknown, test: ValueTest): boolean {
    if (test.equals !== undefined) return value === test.equals;
    if (test.in !== undefined) return test.in.includes(value as string);
    if (test.contains !== undefined) return typeof value === 'string' && value.includes(test.contains);
    if (test.startsWith !== undefined) return typeof value === 'string' && value.startsWith(test.startsWith);
    if (test.gt !== undefined) return this.compare(value, test.gt, (a, b) => a > b);
    if (test.gte !== undefined) return this.compare(value, test.gte, (a, b) => a >= b);
    if (test.lt !== undefined) return this.compare(value, test.lt, (a, b) => a < b);
    if (test.lte !== undefined) return this.compare(value, test.lte, (a, b) => a <= b);
    if (test.between !== undefined) {
      const [low, high] = test.between;
      return this.compare(value, low, (a, b) => a >= b) && this.compare(value, high, (a, b) => a <= b);
    }
    if (test.withinLastDays !== undefined) {
      const day = this.dayOfValue(value);
      return day !== undefined && day > this.today - test.withinLastDays && day <= this.today;
    }
    if (test.moreThanDaysAgo !== undefined) {
      const day = this.dayOfValue(value);
      return day !== undefined && day < this.today - test.moreThanDaysAgo;
    }
    if (test.anniversaryWithinDays !== undefined)
      return this.anniversaryWithin(value, test.anniversaryWithinDays);
    throw new Error('no test');
  }

  compare(value: unknown, operand: number | string, holds: (a: number, b: number) => boolean): boolean {
    if (typeof operand === 'number') return typeof value === 'number' && holds(value, operand);
    const day = this.dayOfValue(value);
    return day !== undefined && holds(day, this.dayOfValue(operand) as number);
  }

  /** Walks the next N days and asks of each whether it is the anniversary. */
  anniversaryWithin(value: unknown, days: number): boolean {
    let month: number;
    let dayOfMonth: number;
    let lunar = false;
    let leap = false;
    if (typeof value === 'string') {
      const day = this.dayOfValue(value);
      if (day === undefined) return false;
      const date = new Date(day * ONE_DAY);
      month = date.getUTCMonth() + 1;
      dayOfMonth = date.getUTCDate();
    } else if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { date?: unknown }).date === 'string'
    ) {
      const b = value as { date: string; calendar?: string; leapMonth?: boolean };
      const parts = /^(?:\d{4}|-)-(\d{2})-(\d{2})/.exec(b.date);
      if (!parts) return false;
      month = Number(parts[1]);
      dayOfMonth = Number(parts[2]);
      lunar = b.calendar === 'lunar';
      leap = b.leapMonth === true;
    } else return false;
    for (let k = 0; k <= days; k++) {
      const date = new Date((this.today + k) * ONE_DAY);
      const y = date.getUTCFullYear();
      const m = date.getUTCMonth() + 1;
      const d = date.getUTCDate();
      if (!lunar) {
        if (m === month && d === dayOfMonth) return true;
        const leapYear = new Date(Date.UTC(y, 1, 29)).getUTCMonth() === 1;
        if (month === 2 && dayOfMonth === 29 && !leapYear && m === 2 && d === 28) return true;
        continue;
      }
      const l = Solar.fromYmd(y, m, d).getLunar();
      const lunarMonth = l.getMonth();
      if (Math.abs(lunarMonth) !== month) continue;
      // Which month of that number the birthday keeps: the leap one if the year has it, else the ordinary one.
      const yearHasLeap = lunarYearHasLeapMonth(l.getYear(), month);
      const wantLeap = leap && yearHasLeap;
      if (lunarMonth < 0 !== wantLeap) continue;
      const monthLength = lunarMonthLength(y, m, d, l.getDay());
      if (l.getDay() === Math.min(dayOfMonth, monthLength)) return true;
    }
    return false;
  }
}

/** Whether lunar year `year` has a leap month numbered `month`: look for a day in it. */
function lunarYearHasLeapMonth(year: number, month: number): boolean {
  // Scan the solar days of the lunar year for a leap month with that number.
  const start = Solar.fromYmd(year, 1, 1);
  for (let i = 0; i < 420; i += 15) {
    const date = new Date(Date.UTC(start.getYear(), 0, 1) + i * ONE_DAY);
    const l = Solar.fromYmd(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()).getLunar();
    if (l.getYear() === year && l.getMonth() === -month) return true;
  }
  return false;
}

/** The length of the lunar month holding solar y-m-d (whose lunar day is `lunarDay`): walk to its end. */
function lunarMonthLength(y: number, m: number, d: number, lunarDay: number): number {
  let length = lunarDay;
  const base = Date.UTC(y, m - 1, d);
  for (let k = 1; k <= 30; k++) {
    const date = new Date(base + k * ONE_DAY);
    const l = Solar.fromYmd(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()).getLunar();
    if (l.getDay() === 1) break;
    length = l.getDay();
  }
  return length;
}

function fnv1a(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash;
}

function haversine(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180;
  const a =
    Math.sin(((lat2 - lat1) * r) / 2) ** 2 +
    Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(a)));
}
