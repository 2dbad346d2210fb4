/**
 * EventBridge schedule expressions, in UTC: `rate(N minute|minutes|hour|hours|day|days)` and the 6-field
 * `cron(minutes hours day-of-month month day-of-week year)` with `*`, `?`, ranges, lists, steps, month
 * and weekday names, `L` (last day of the month, or `5L` the last Thursday), `W` (nearest weekday) and
 * `#` (`2#1` the first Monday). Day-of-week counts 1 = Sunday to 7 = Saturday, as EventBridge does.
 * Pure: no timers, no clock; the scheduler asks `next(after)`.
 */

export interface Schedule {
  expression: string;
  /** The first firing time strictly after `after`, or undefined when the schedule never fires again. */
  next(after: Date): Date | undefined;
}

export class ScheduleExpressionError extends Error {
  constructor(expression: string, reason: string) {
    super(`Invalid schedule expression "${expression}": ${reason}`);
    this.name = 'ScheduleExpressionError';
  }
}

export function parseSchedule(expression: string, options: { anchor?: Date } = {}): Schedule {
  const trimmed = expression.trim();
  const rate = /^rate\((.*)\)$/.exec(trimmed);
  if (rate) return parseRate(trimmed, rate[1] ?? '', options.anchor ?? new Date());
  const cron = /^cron\((.*)\)$/.exec(trimmed);
  if (cron) return parseCron(trimmed, cron[1] ?? '');
  throw new ScheduleExpressionError(expression, 'expected rate(...) or cron(...)');
}

const rateUnits: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** A rate fires every period counted from when the schedule was created (the anchor). */
function parseRate(expression: string, body: string, anchor: Date): Schedule {
  const match = /^\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*$/.exec(body);
  if (!match?.[1] || !match[2]) {
    throw new ScheduleExpressionError(
      expression,
      'expected rate(<value> minute|minutes|hour|hours|day|days)',
    );
  }
  const value = Number(match[1]);
  const unit = match[2];
  if (value < 1) throw new ScheduleExpressionError(expression, 'the value must be a positive whole number');
  const singular = !unit.endsWith('s');
  if (value === 1 && !singular)
    throw new ScheduleExpressionError(expression, `write rate(1 ${unit.slice(0, -1)})`);
  if (value > 1 && singular) throw new ScheduleExpressionError(expression, `write rate(${value} ${unit}s)`);
  const period = value * (rateUnits[singular ? unit : unit.slice(0, -1)] ?? 0);
  const start = anchor.getTime();
  return {
    expression,
    next(after) {
      const elapsed = after.getTime() - start;
      const periods = elapsed < 0 ? 1 : Math.floor(elapsed / period) + 1;
      return new Date(start + periods * period);
    },
  };
}

const monthNames = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const dayNames = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const lastYear = 2199;

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const fieldSpecs = {
  minutes: { name: 'minutes', min: 0, max: 59 },
  hours: { name: 'hours', min: 0, max: 23 },
  dayOfMonth: { name: 'day-of-month', min: 1, max: 31 },
  month: { name: 'month', min: 1, max: 12, names: monthNames },
  dayOfWeek: { name: 'day-of-week', min: 1, max: 7, names: dayNames },
  year: { name: 'year', min: 1970, max: lastYear },
} satisfies Record<string, FieldSpec>;

type DayOfMonthRule =
  | { kind: 'any' }
  | { kind: 'set'; days: Set<number> }
  | { kind: 'last'; offset: number }
  | { kind: 'nearestWeekday'; day: number }
  | { kind: 'lastWeekday' };
type DayOfWeekRule =
  | { kind: 'any' }
  | { kind: 'set'; days: Set<number> }
  | { kind: 'last'; weekday: number }
  | { kind: 'nth'; weekday: number; nth: number };

function parseCron(expression: string, body: string): Schedule {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleExpressionError(
      expression,
      `expected 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`,
    );
  }
  const [minutesField, hoursField, domField, monthField, dowField, yearField] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const fail = (reason: string) => new ScheduleExpressionError(expression, reason);
  if ((domField === '?') === (dowField === '?')) {
    throw fail('exactly one of day-of-month and day-of-week must be "?"');
  }
  const minutes = parseSetField(minutesField, fieldSpecs.minutes, fail);
  const hours = parseSetField(hoursField, fieldSpecs.hours, fail);
  const months = parseSetField(monthField, fieldSpecs.month, fail);
  const years = parseSetField(yearField, fieldSpecs.year, fail);
  const dayOfMonth = parseDayOfMonth(domField, fail);
  const dayOfWeek = parseDayOfWeek(dowField, fail);

  const dayMatches = (year: number, month: number, day: number): boolean => {
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (day > daysInMonth) return false;
    const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
    switch (dayOfMonth.kind) {
      case 'set':
        return dayOfMonth.days.has(day);
      case 'last':
        return day === daysInMonth - dayOfMonth.offset;
      case 'nearestWeekday':
        return day === nearestWeekday(year, month, Math.min(dayOfMonth.day, daysInMonth), daysInMonth);
      case 'lastWeekday':
        return day === nearestWeekday(year, month, daysInMonth, daysInMonth);
      case 'any':
        break;
    }
    switch (dayOfWeek.kind) {
      case 'set':
        return dayOfWeek.days.has(weekday);
      case 'last':
        return weekday === dayOfWeek.weekday && day + 7 > daysInMonth;
      case 'nth':
        return weekday === dayOfWeek.weekday && Math.ceil(day / 7) === dayOfWeek.nth;
      case 'any':
        return true;
    }
  };

  return {
    expression,
    next(after) {
      // Walk forward field by field (year, month, day, hour, minute), jumping past whole non-matching units.
      const t = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
      while (t.getUTCFullYear() <= lastYear) {
        const year = t.getUTCFullYear();
        if (!years.has(year)) {
          t.setTime(Date.UTC(year + 1, 0, 1));
          continue;
        }
        const month = t.getUTCMonth() + 1;
        if (!months.has(month)) {
          t.setTime(Date.UTC(year, month, 1));
          continue;
        }
        const day = t.getUTCDate();
        if (!dayMatches(year, month, day)) {
          t.setTime(Date.UTC(year, month - 1, day + 1));
          continue;
        }
        const hour = t.getUTCHours();
        if (!hours.has(hour)) {
          t.setTime(Date.UTC(year, month - 1, day, hour + 1));
          continue;
        }
        if (!minutes.has(t.getUTCMinutes())) {
          t.setTime(t.getTime() + 60_000);
          continue;
        }
        return new Date(t.getTime());
      }
      return undefined;
    },
  };
}

/** The weekday (Mon-Fri) nearest to `day`, never leaving the month, as Quartz and EventBridge define `W`. */
function nearestWeekday(year: number, month: number, day: number, daysInMonth: number): number {
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  if (weekday === 6) return day === 1 ? 3 : day - 1;
  if (weekday === 0) return day === daysInMonth ? day - 2 : day + 1;
  return day;
}

function parseSetField(field: string, spec: FieldSpec, fail: (reason: string) => Error): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const [rangePart, stepPart, ...extra] = part.split('/');
    if (rangePart === undefined || extra.length > 0) throw fail(`bad ${spec.name} "${part}"`);
    const step = stepPart === undefined ? 1 : Number(stepPart);
    if (!Number.isInteger(step) || step < 1) throw fail(`bad step in ${spec.name} "${part}"`);
    let from: number;
    let to: number;
    if (rangePart === '*') {
      from = spec.min;
      to = spec.max;
    } else if (rangePart.includes('-')) {
      const [a, b, ...more] = rangePart.split('-');
      if (a === undefined || b === undefined || more.length > 0)
        throw fail(`bad range in ${spec.name} "${part}"`);
      from = fieldValue(a, spec, fail);
      to = fieldValue(b, spec, fail);
    } else {
      from = fieldValue(rangePart, spec, fail);
      // `10/5` means from 10 to the end in steps of 5.
      to = stepPart === undefined ? from : spec.max;
    }
    if (from > to) throw fail(`range ${part} in ${spec.name} runs backwards`);
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function fieldValue(text: string, spec: FieldSpec, fail: (reason: string) => Error): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + 1 : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw fail(`${spec.name} value "${text}" is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

function parseDayOfMonth(field: string, fail: (reason: string) => Error): DayOfMonthRule {
  if (field === '?' || field === '*') return { kind: 'any' };
  if (field === 'L') return { kind: 'last', offset: 0 };
  if (field === 'LW') return { kind: 'lastWeekday' };
  const lastOffset = /^L-(\d+)$/.exec(field);
  if (lastOffset?.[1]) return { kind: 'last', offset: Number(lastOffset[1]) };
  const weekday = /^(\d+)W$/.exec(field);
  if (weekday?.[1])
    return { kind: 'nearestWeekday', day: fieldValue(weekday[1], fieldSpecs.dayOfMonth, fail) };
  return { kind: 'set', days: parseSetField(field, fieldSpecs.dayOfMonth, fail) };
}

function parseDayOfWeek(field: string, fail: (reason: string) => Error): DayOfWeekRule {
  if (field === '?' || field === '*') return { kind: 'any' };
  if (field === 'L') return { kind: 'set', days: new Set([7]) };
  const last = /^(\w+)L$/.exec(field);
  if (last?.[1]) return { kind: 'last', weekday: fieldValue(last[1], fieldSpecs.dayOfWeek, fail) };
  const nth = /^(\w+)#(\d)$/.exec(field);
  if (nth?.[1] && nth[2]) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5) throw fail(`"#${n}" must be 1-5`);
    return { kind: 'nth', weekday: fieldValue(nth[1], fieldSpecs.dayOfWeek, fail), nth: n };
  }
  return { kind: 'set', days: parseSetField(field, fieldSpecs.dayOfWeek, fail) };
}
