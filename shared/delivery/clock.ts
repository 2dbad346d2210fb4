/**
 * Wall-clock arithmetic in a customer's time zone, without I/O: the calendar day and ISO week a send
 * counts against, and the next instant outside quiet hours. Offsets come from the runtime's IANA data
 * through Intl, so DST changes (including Lord Howe's half hour) and zones without DST behave alike.
 */

const MINUTE = 60_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether the runtime knows the zone (profiles may hold anything a client sent). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

export function localTime(instant: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year as number,
    month: parts.month as number,
    day: parts.day as number,
    hour: parts.hour as number,
    minute: parts.minute as number,
  };
}

/** Minutes the zone is ahead of UTC at the instant (whole minutes; sub-minute historic offsets are dropped). */
export function offsetMinutes(instant: number, timeZone: string): number {
  const at = Math.floor(instant / MINUTE) * MINUTE;
  const l = localTime(at, timeZone);
  return Math.round((Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute) - at) / MINUTE);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The calendar day in the zone, `YYYY-MM-DD`. */
export function localDay(instant: number, timeZone: string): string {
  const l = localTime(instant, timeZone);
  return `${l.year}-${pad(l.month)}-${pad(l.day)}`;
}

/** ISO 8601 week of a calendar date, `YYYY-Www` (weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeek(year: number, month: number, day: number): string {
  const date = new Date(Date.UTC(year, month - 1, day));
  // The Thursday of the date's week decides the week's year.
  date.setUTCDate(date.getUTCDate() + 4 - (date.getUTCDay() || 7));
  const weekYear = date.getUTCFullYear();
  const week = Math.ceil(((date.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000 + 1) / 7);
  return `${weekYear}-W${pad(week)}`;
}

export interface CapPeriods {
  day: string;
  week: string;
  month: string;
}

/** The periods a send at this instant counts against, in the customer's zone. */
export function capPeriods(instant: number, timeZone: string): CapPeriods {
  const l = localTime(instant, timeZone);
  return {
    day: `${l.year}-${pad(l.month)}-${pad(l.day)}`,
    week: isoWeek(l.year, l.month, l.day),
    month: `${l.year}-${pad(l.month)}`,
  };
}

/** Quiet hours as local wall-clock minutes of the day: [start, end), across midnight when end < start. */
export interface QuietWindow {
  start: number;
  end: number;
}

/** `HH:mm` to minutes of the day. */
export function minutesOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h as number) * 60 + (m as number);
}

export function inWindow(minute: number, w: QuietWindow): boolean {
  if (w.start === w.end) return false;
  return w.start < w.end ? minute >= w.start && minute < w.end : minute >= w.start || minute < w.end;
}

function minuteOfDayAt(instant: number, timeZone: string): number {
  const l = localTime(instant, timeZone);
  return l.hour * 60 + l.minute;
}

/** The next instant after `from` where the zone's offset differs from its offset at `from`, within `horizon` ms. */
function nextTransition(from: number, horizon: number, timeZone: string): number | undefined {
  const start = Math.floor(from / MINUTE) * MINUTE;
  const offset = offsetMinutes(start, timeZone);
  // Zones change offset a few times a year at most, never twice within 6 hours: probe, then bisect.
  const step = 6 * 3600_000;
  let lo = start;
  for (let probe = start + step; probe - step <= from + horizon; probe += step) {
    if (offsetMinutes(probe, timeZone) !== offset) {
      let hi = probe;
      while (hi - lo > MINUTE) {
        const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
        if (offsetMinutes(mid, timeZone) === offset) lo = mid;
        else hi = mid;
      }
      return hi;
    }
    lo = probe;
  }
  return undefined;
}

/**
 * The first instant at or after `instant` outside the quiet window in the zone, or undefined when
 * `instant` is already outside. Walks spans of constant offset: within one, local time runs with real
 * time, so the end of the window is a subtraction away; a DST change in between starts a new span.
 */
export function quietUntil(instant: number, timeZone: string, window: QuietWindow): number | undefined {
  if (!inWindow(minuteOfDayAt(instant, timeZone), window)) return undefined;
  let from = instant;
  for (let spans = 0; spans < 8; spans++) {
    const minute = minuteOfDayAt(from, timeZone);
    if (!inWindow(minute, window)) return from;
    const wait = (window.end - minute + 1440) % 1440 || 1440;
    // The wall clock reaches `end` at the start of a minute: count from the start of this one.
    const candidate = Math.floor(from / MINUTE) * MINUTE + wait * MINUTE;
    const change = nextTransition(from, candidate - from, timeZone);
    if (change === undefined || change > candidate) return candidate;
    from = change;
  }
  throw new Error(`No time outside quiet hours found in ${timeZone}`);
}
