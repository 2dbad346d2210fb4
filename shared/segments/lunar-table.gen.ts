import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Lunar, LunarMonth, LunarYear, Solar } from 'lunar-javascript';
import type { LunarDate } from './lunar.ts';

/**
 * Writes lunar-table.ts: for each Chinese lunar year of the range, its new year, its leap month and which
 * of its months have 30 days, taken from lunar-javascript (some 320 KB minified, which every function
 * evaluating segments carried for four calls). `npm run gen:lunar` after upgrading lunar-javascript;
 * test/unit/lunar-table.test.ts fails while the committed table differs from what this produces.
 *
 * The range: lunar-javascript computes any year from the new moons and solar terms (the sxwnl
 * algorithm, with its correction tables for historical calendars), but only a century or two around
 * now is both needed and settled: from 1900, the first birth year the profile schema accepts, to 2100,
 * where the published tables end (the Hong Kong Observatory's runs 1901-2100). Further on, ΔT (the drift
 * of the Earth's rotation) is ever less certain, and a new moon near midnight could move a month by a day.
 * Only "today" picks lunar years in calendar.ts (a birthday gives a month and a day), so the range is
 * the years segments can be evaluated in.
 */

export const FIRST_YEAR = 1900;
export const LAST_YEAR = 2100;

const TARGET = fileURLToPath(new URL('./lunar-table.ts', import.meta.url));
const DAY_MS = 86_400_000;
/** MONTHS holds the leap month from this bit up, the 30-day months below it. */
const LEAP_SHIFT = 16;

const epochDay = (s: { getYear(): number; getMonth(): number; getDay(): number }) =>
  Math.floor(Date.UTC(s.getYear(), s.getMonth() - 1, s.getDay()) / DAY_MS);

/** lunar-javascript's lunar date of a day (days since 1970-01-01). */
export function referenceLunar(day: number): LunarDate {
  const t = new Date(day * DAY_MS);
  const lunar = Solar.fromYmd(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()).getLunar();
  return {
    year: lunar.getYear(),
    month: Math.abs(lunar.getMonth()),
    day: lunar.getDay(),
    leap: lunar.getMonth() < 0,
  };
}

/** lunar-javascript's day (since 1970-01-01) of a lunar date. */
export function referenceDay(year: number, month: number, day: number, leap: boolean): number {
  return epochDay(Lunar.fromYmd(year, leap ? -month : month, day).getSolar());
}

/** lunar-javascript's months of a year in order, the leap month after its ordinary one (negative). */
export function referenceMonths(year: number): { month: number; days: number }[] {
  const leapMonth = LunarYear.fromYear(year).getLeapMonth();
  const months: { month: number; days: number }[] = [];
  for (let month = 1; month <= 12; month++)
    for (const m of month === leapMonth ? [month, -month] : [month])
      months.push({ month: m, days: LunarMonth.fromYm(year, m)?.getDayCount() ?? 0 });
  return months;
}

/** Days from `today` to the next lunar anniversary, as calendar.ts counted them with lunar-javascript. */
export function referenceLunarUntil(month: number, day: number, leap: boolean, today: number): number {
  const t = new Date(today * DAY_MS);
  const lunarYear = Solar.fromYmd(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate())
    .getLunar()
    .getYear();
  let best = Number.POSITIVE_INFINITY;
  for (const y of [lunarYear - 1, lunarYear, lunarYear + 1]) {
    const m = leap && LunarYear.fromYear(y).getLeapMonth() === month ? -month : month;
    const length = LunarMonth.fromYm(y, m)?.getDayCount() ?? 29;
    const solar = Lunar.fromYmd(y, m, Math.min(day, length)).getSolar();
    const at = Math.floor(Date.UTC(solar.getYear(), solar.getMonth() - 1, solar.getDay()) / DAY_MS);
    if (at >= today && at - today < best) best = at - today;
  }
  return best;
}

export interface LunarTable {
  /** Lunar new year of every year from FIRST_YEAR to LAST_YEAR + 1, in days since 1970-01-01. */
  newYears: number[];
  /** Per year: the leap month (0 for none) << LEAP_SHIFT | bit i set when the year's month i has 30 days. */
  months: number[];
}

export function generate(): { source: string; table: LunarTable } {
  const table: LunarTable = { newYears: [], months: [] };
  for (let year = FIRST_YEAR; year <= LAST_YEAR; year++) {
    const newYear = referenceDay(year, 1, 1, false);
    const months = referenceMonths(year);
    let mask = 0;
    let days = 0;
    months.forEach((m, i) => {
      if (m.days !== 29 && m.days !== 30) throw new Error(`lunar ${year}/${m.month} has ${m.days} days`);
      if (m.days === 30) mask |= 1 << i;
      days += m.days;
    });
    // The months must fill the year exactly, or a day would belong to no month or to two.
    if (referenceDay(year + 1, 1, 1, false) - newYear !== days)
      throw new Error(`lunar ${year}: its months hold ${days} days, not the days to the next new year`);
    table.newYears.push(newYear);
    table.months.push((LunarYear.fromYear(year).getLeapMonth() << LEAP_SHIFT) | mask);
  }
  table.newYears.push(referenceDay(LAST_YEAR + 1, 1, 1, false));
  return { source: render(table), table };
}

/** Numbers filled into lines of Biome's width, as Biome lays out an array of numbers. */
function fill(items: string[]): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line && 2 + line.length + 1 + item.length + 1 > 110) {
      lines.push(line);
      line = '';
    }
    line += line ? ` ${item},` : `${item},`;
  }
  if (line) lines.push(line);
  return lines.map((l) => `  ${l}`).join('\n');
}

function render(table: LunarTable): string {
  const hex = (n: number) => `0x${n.toString(16).padStart(5, '0')}`;
  const body = [
    `export const FIRST_YEAR = ${FIRST_YEAR};\n/** Where MONTHS keeps the leap month: the bits below are the 30-day months. */\nexport const LEAP_SHIFT = ${LEAP_SHIFT};`,
    `/** Lunar new year of every year from FIRST_YEAR, then of the year after the last, in days since 1970-01-01. */\nexport const NEW_YEARS: readonly number[] = [\n${fill(table.newYears.map(String))}\n];`,
    `/**\n * Per year from FIRST_YEAR: the leap month (0 for none) << LEAP_SHIFT, plus bit i set when the year's\n * month i (from 0, the leap month after its ordinary one) has 30 days rather than 29.\n */\nexport const MONTHS: readonly number[] = [\n${fill(table.months.map(hex))}\n];`,
  ].join('\n\n');
  const manifest = JSON.parse(
    readFileSync(new URL('../../node_modules/lunar-javascript/package.json', import.meta.url), 'utf8'),
  );
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return `// Generated by shared/segments/lunar-table.gen.ts from lunar-javascript ${manifest.version}: do not edit.
// Regenerate with \`npm run gen:lunar\`. Content hash ${hash}.
// Chinese lunar years ${FIRST_YEAR}-${LAST_YEAR}: new years, leap months and long months (see lunar.ts).

${body}
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const { source, table } = generate();
  writeFileSync(TARGET, source);
  const leapYears = table.months.filter((m) => m >>> LEAP_SHIFT !== 0).length;
  console.log(
    `lunar-table.ts: ${(source.length / 1024).toFixed(1)} KB, lunar years ${FIRST_YEAR}-${LAST_YEAR} ` +
      `(${table.months.length}, ${leapYears} with a leap month); ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
