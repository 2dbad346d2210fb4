import { FIRST_YEAR, LEAP_SHIFT, MONTHS, NEW_YEARS } from './lunar-table.ts';

/**
 * The Chinese lunar calendar from the generated table (lunar-table.ts, `npm run gen:lunar`), so the
 * functions that evaluate segments carry 3.5 KB minified instead of lunar-javascript's 320 KB.
 * The table covers lunar years FIRST_YEAR-LAST_YEAR (1900-2100), from FIRST_DAY (1900-01-31) to the day
 * before END_DAY (2101-01-29); outside them every function here throws a RangeError rather than guess.
 * Days are counted from 1970-01-01, as in calendar.ts.
 */

export interface LunarDate {
  year: number;
  /** 1-12; a leap month has the number of the month it follows. */
  month: number;
  day: number;
  leap: boolean;
}

export { FIRST_YEAR };
export const LAST_YEAR = FIRST_YEAR + MONTHS.length - 1;
/** The first day of the table (new year FIRST_YEAR). */
export const FIRST_DAY = NEW_YEARS[0] as number;
/** The first day after the table (new year LAST_YEAR + 1). */
export const END_DAY = NEW_YEARS[MONTHS.length] as number;

function monthsOf(year: number): number {
  const months = Number.isInteger(year) ? MONTHS[year - FIRST_YEAR] : undefined;
  if (months === undefined)
    throw new RangeError(`lunar year ${year} is outside the table (${FIRST_YEAR}-${LAST_YEAR})`);
  return months;
}

/** Days in month `index` (from 0, in order) of a year's MONTHS entry. */
const daysIn = (months: number, index: number) => 29 + ((months >>> index) & 1);

/** The position of a month in its year, the leap month after its ordinary one; throws when there is none. */
function indexOf(year: number, months: number, month: number, leap: boolean): number {
  const leapMonth = months >>> LEAP_SHIFT;
  if (!Number.isInteger(month) || month < 1 || month > 12 || (leap && month !== leapMonth))
    throw new RangeError(`lunar year ${year} has no ${leap ? 'leap ' : ''}month ${month}`);
  return leapMonth !== 0 && (leap || month > leapMonth) ? month : month - 1;
}

/** The leap month of a lunar year, 0 when it has none. */
export function leapMonthOf(year: number): number {
  return monthsOf(year) >>> LEAP_SHIFT;
}

/** Days in a lunar month (29 or 30). */
export function monthLength(year: number, month: number, leap: boolean): number {
  const months = monthsOf(year);
  return daysIn(months, indexOf(year, months, month, leap));
}

/** The day (since 1970-01-01) of a lunar date. */
export function dayOfLunar(year: number, month: number, day: number, leap: boolean): number {
  const months = monthsOf(year);
  const index = indexOf(year, months, month, leap);
  if (!Number.isInteger(day) || day < 1 || day > daysIn(months, index))
    throw new RangeError(`lunar ${year}/${leap ? 'leap ' : ''}${month} has no day ${day}`);
  let at = NEW_YEARS[year - FIRST_YEAR] as number;
  for (let i = 0; i < index; i++) at += daysIn(months, i);
  return at + day - 1;
}

/** The lunar date of a day (since 1970-01-01). */
export function lunarOfDay(day: number): LunarDate {
  if (!Number.isInteger(day) || day < FIRST_DAY || day >= END_DAY)
    throw new RangeError(`day ${day} is outside the lunar table (lunar years ${FIRST_YEAR}-${LAST_YEAR})`);
  // Lunar years are 353-385 days long and keep to the solar year: the mean year puts `i` at most one off.
  let i = Math.min(Math.floor((day - FIRST_DAY) / 365.25), MONTHS.length - 1);
  while ((NEW_YEARS[i] as number) > day) i--;
  while ((NEW_YEARS[i + 1] as number) <= day) i++;
  const months = MONTHS[i] as number;
  const leapMonth = months >>> LEAP_SHIFT;
  let offset = day - (NEW_YEARS[i] as number);
  let index = 0;
  while (offset >= daysIn(months, index)) offset -= daysIn(months, index++);
  return {
    year: FIRST_YEAR + i,
    month: leapMonth !== 0 && index >= leapMonth ? index : index + 1,
    day: offset + 1,
    leap: leapMonth !== 0 && index === leapMonth,
  };
}
