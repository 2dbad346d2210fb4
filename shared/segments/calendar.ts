import { dayOfLunar, END_DAY, FIRST_DAY, LAST_YEAR, leapMonthOf, lunarOfDay, monthLength } from './lunar.ts';

/**
 * Calendar days in a customer's time zone, fast: evaluating a million customers asks "what day is it
 * there" millions of times, so offsets are cached per zone and quarter hour (every zone changes its
 * offset on a quarter hour) and day starts per zone and day. Days are counted from 1970-01-01.
 */

export const DAY_MS = 86_400_000;
const QUARTER_MS = 900_000;

export interface Zone {
  /** The calendar day (epoch day) at instant `ms` in this zone. */
  day(ms: number): number;
  /** The first instant of calendar day `day` in this zone. */
  dayStart(day: number): number;
}

const utc: Zone = {
  day: (ms) => Math.floor(ms / DAY_MS),
  dayStart: (day) => day * DAY_MS,
};

class IanaZone implements Zone {
  readonly #format: Intl.DateTimeFormat;
  readonly #offsets = new Map<number, number>();
  readonly #days = new Map<number, number>();
  readonly #starts = new Map<number, number>();

  constructor(name: string) {
    this.#format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
  }

  /** The offset at a quarter hour, asked of Intl (slow: microseconds) once per quarter. */
  #offsetAtQuarter(quarter: number): number {
    let offset = this.#offsets.get(quarter);
    if (offset === undefined) {
      const at = quarter * QUARTER_MS;
      const parts: Record<string, number> = {};
      for (const p of this.#format.formatToParts(at))
        if (p.type !== 'literal') parts[p.type] = Number(p.value);
      const local = Date.UTC(
        parts.year as number,
        (parts.month as number) - 1,
        parts.day as number,
        parts.hour as number,
        parts.minute as number,
      );
      offset = local - at;
      if (this.#offsets.size > 100_000) this.#offsets.clear();
      this.#offsets.set(quarter, offset);
    }
    return offset;
  }

  /**
   * Instants spread over years (sign-up dates, orders) would each miss a quarter-hour cache; a UTC day
   * whose first and last quarter share an offset has that offset throughout (zones change at most once
   * a day), so most lookups end at a per-day entry.
   */
  #offset(ms: number): number {
    const utcDay = Math.floor(ms / DAY_MS);
    let offset = this.#days.get(utcDay);
    if (offset === undefined) {
      const first = this.#offsetAtQuarter(utcDay * 96);
      offset = first === this.#offsetAtQuarter(utcDay * 96 + 95) ? first : Number.NaN;
      if (this.#days.size > 100_000) this.#days.clear();
      this.#days.set(utcDay, offset);
    }
    return Number.isNaN(offset) ? this.#offsetAtQuarter(Math.floor(ms / QUARTER_MS)) : offset;
  }

  day(ms: number): number {
    return Math.floor((ms + this.#offset(ms)) / DAY_MS);
  }

  dayStart(day: number): number {
    let start = this.#starts.get(day);
    if (start === undefined) {
      // The first instant whose local day is `day`: local days only move forward, so bisect.
      let lo = day * DAY_MS - 15 * 3_600_000;
      let hi = day * DAY_MS + 15 * 3_600_000;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (this.day(mid) >= day) hi = mid;
        else lo = mid + 1;
      }
      start = lo;
      if (this.#starts.size > 100_000) this.#starts.clear();
      this.#starts.set(day, start);
    }
    return start;
  }
}

const zones = new Map<string, Zone>([['UTC', utc]]);

/** The zone by IANA name; a name Intl does not know falls back to `fallback`. */
export function zone(name: string | undefined, fallback: string): Zone {
  const key = name ?? fallback;
  let found = zones.get(key);
  if (found === undefined) {
    try {
      found = new IanaZone(key);
    } catch {
      found = key === fallback ? utc : zone(fallback, 'UTC');
    }
    zones.set(key, found);
  }
  return found;
}

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The calendar day a value names: a date `YYYY-MM-DD` is that day wherever the customer is; a date-time
 * (it has a `T`) is the day it fell on in the customer's zone. Anything else names no day.
 */
export function dayOf(value: unknown, tz: Zone): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.length === 10) {
    const m = CALENDAR_DATE.exec(value);
    return m ? Math.floor(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS) : undefined;
  }
  if (!value.includes('T')) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : tz.day(ms);
}

/** Parses `YYYY-MM-DD` or `--MM-DD` into month and day. */
function monthDay(date: string): [number, number] | undefined {
  const m = /^(?:\d{4}|-)-(\d{2})-(\d{2})/.exec(date);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

const untilCache = new Map<string, number | undefined>();

/**
 * Days from `today` to the next anniversary (0 when it is today) of a date, in the Gregorian or the
 * Chinese lunar calendar. A 29 February anniversary falls on 28 February in common years; a lunar day 30
 * on the last day of a 29-day month; a birthday in a leap month on the ordinary month of that number in
 * years without that leap month. Undefined when the date names no month and day, and for a lunar date
 * outside the lunar table (see lunarUntil).
 */
export function daysToAnniversary(
  date: string,
  calendar: 'gregorian' | 'lunar',
  leapMonth: boolean,
  today: number,
): number | undefined {
  const md = monthDay(date);
  if (!md) return undefined;
  const key = `${calendar}|${md[0]}|${md[1]}|${leapMonth ? 1 : 0}|${today}`;
  let until = untilCache.get(key);
  if (until === undefined && !untilCache.has(key)) {
    until =
      calendar === 'lunar' ? lunarUntil(md[0], md[1], leapMonth, today) : gregorianUntil(md[0], md[1], today);
    if (untilCache.size > 200_000) untilCache.clear();
    untilCache.set(key, until);
  }
  return until;
}

function gregorianUntil(month: number, day: number, today: number): number {
  const year = new Date(today * DAY_MS).getUTCFullYear();
  for (const y of [year, year + 1]) {
    const d = month === 2 && day === 29 && !isLeapYear(y) ? 28 : day;
    const at = Math.floor(Date.UTC(y, month - 1, d) / DAY_MS);
    if (at >= today) return at - today;
  }
  return 366; // unreachable: next year's anniversary is always ahead
}

/**
 * Days to the next lunar anniversary, from the generated table (lunar.ts). It is this lunar year's if
 * still ahead, else next year's; last year's lies before this year's new year, so before today.
 * Undefined when today or that anniversary falls outside the table (today before 1900-01-31, or an
 * anniversary after lunar year 2100, which ends on 2101-01-28): segment rules then find no anniversary,
 * as for a birthday without a date, rather than a wrong one. Undefined too for a month outside 1-12 or
 * a day 0, which no lunar date has (the profile schema accepts neither).
 */
function lunarUntil(month: number, day: number, leap: boolean, today: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || today < FIRST_DAY || today >= END_DAY) return undefined;
  const year = lunarOfDay(today).year;
  for (const y of [year, year + 1]) {
    if (y > LAST_YEAR) return undefined;
    const inLeap = leap && leapMonthOf(y) === month;
    const at = dayOfLunar(y, month, Math.min(day, monthLength(y, month, inLeap)), inLeap);
    if (at >= today) return at - today;
  }
  return undefined; // unreachable: next year's anniversary is always ahead
}

/** FNV-1a over the UTF-16 code units of `salt:id`, into 0..99: the same customer, the same bucket. */
export function bucketOf(salt: string, id: string): number {
  const text = `${salt}:${id}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 100;
}

const EARTH_KM = 6371.0088;
const RAD = Math.PI / 180;

/** Great-circle distance by the haversine formula. */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}
