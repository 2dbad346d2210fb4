import { readFileSync } from 'node:fs';
import { LunarMonth } from 'lunar-javascript';
import { describe, expect, it } from 'vitest';
import { DAY_MS, daysToAnniversary } from '../../shared/segments/calendar.ts';
import {
  dayOfLunar,
  END_DAY,
  FIRST_DAY,
  FIRST_YEAR,
  LAST_YEAR,
  leapMonthOf,
  lunarOfDay,
  monthLength,
} from '../../shared/segments/lunar.ts';
import {
  generate,
  referenceDay,
  referenceLunar,
  referenceLunarUntil,
  referenceMonths,
} from '../../shared/segments/lunar-table.gen.ts';

const day = (iso: string) => Date.parse(iso) / DAY_MS;
const iso = (d: number) => new Date(d * DAY_MS).toISOString().slice(0, 10);

describe('generated lunar table', () => {
  it('covers lunar years 1900-2100, from 1900-01-31 to 2101-01-28', () => {
    // Assess
    expect([FIRST_YEAR, LAST_YEAR]).toEqual([1900, 2100]);
    expect([iso(FIRST_DAY), iso(END_DAY - 1)]).toEqual(['1900-01-31', '2101-01-28']);
  });

  it('gives every day of the table the lunar date lunar-javascript gives, and back', () => {
    // Prepare
    const differing: string[] = [];
    // Act
    for (let d = FIRST_DAY; d < END_DAY; d++) {
      const want = referenceLunar(d);
      const got = lunarOfDay(d);
      const back = dayOfLunar(want.year, want.month, want.day, want.leap);
      if (JSON.stringify(got) !== JSON.stringify(want) || back !== d)
        differing.push(
          `${iso(d)}: ${JSON.stringify(got)} ${iso(back)}, lunar-javascript ${JSON.stringify(want)}`,
        );
    }
    // Assess
    expect(END_DAY - FIRST_DAY).toBeGreaterThan(73_000);
    expect(differing.slice(0, 10)).toEqual([]);
  }, 30_000);

  it('gives every lunar month the leap month, length and days lunar-javascript gives', () => {
    // Prepare
    const differing: string[] = [];
    let dates = 0;
    // Act
    for (let year = FIRST_YEAR; year <= LAST_YEAR; year++) {
      const months = referenceMonths(year);
      const leapMonth = months.find((m) => m.month < 0)?.month ?? 0;
      if (leapMonthOf(year) !== -leapMonth) differing.push(`${year}: leap month ${leapMonthOf(year)}`);
      for (const { month, days } of months) {
        const leap = month < 0;
        const m = Math.abs(month);
        if (monthLength(year, m, leap) !== days)
          differing.push(`${year}/${month}: ${monthLength(year, m, leap)}`);
        // Lunar.fromYmd's solar date is the month's first Julian day (at noon: JD 2440588 is 1970-01-01)
        // plus the day less one (lunar.js, _fromYmdHms): that for every day, and Lunar.fromYmd itself on the
        // first, as a call on each day would take 10 s (lunar.js caches one year, and a day of a lunar year
        // in the next solar year asks for both). The test above meets every day from the other side.
        const first = (LunarMonth.fromYm(year, month)?.getFirstJulianDay() ?? Number.NaN) - 2_440_588;
        for (let d = 1; d <= days; d++, dates++)
          if (dayOfLunar(year, m, d, leap) !== first + d - 1) differing.push(`${year}/${month}/${d}`);
        if (dayOfLunar(year, m, 1, leap) !== referenceDay(year, m, 1, leap))
          differing.push(`${year}/${month}/1: ${iso(dayOfLunar(year, m, 1, leap))}`);
      }
    }
    // Assess
    expect(dates).toBe(END_DAY - FIRST_DAY);
    expect(differing.slice(0, 10)).toEqual([]);
  }, 30_000);

  it('refuses years, months and days outside the table with a RangeError', () => {
    // Assess
    expect(() => lunarOfDay(FIRST_DAY - 1)).toThrow(RangeError);
    expect(() => lunarOfDay(END_DAY)).toThrow(RangeError);
    expect(() => leapMonthOf(1899)).toThrow(RangeError);
    expect(() => monthLength(2101, 1, false)).toThrow(RangeError);
    expect(() => monthLength(2026, 6, true)).toThrow(/no leap month 6/);
    expect(() => dayOfLunar(2026, 13, 1, false)).toThrow(RangeError);
    expect(() => dayOfLunar(2026, 12, 30, false)).toThrow(/has no day 30/);
  });

  it('is what the generator writes from the installed lunar-javascript (npm run gen:lunar)', () => {
    // Prepare
    const committed = readFileSync(new URL('../../shared/segments/lunar-table.ts', import.meta.url), 'utf8');
    // Act
    const { source } = generate();
    // Assess
    expect(source === committed, 'lunar-table.ts is stale: npm run gen:lunar').toBe(true);
  });
});

describe('lunar anniversaries from the table', () => {
  /** Days to a lunar birthday as calendar.ts counts them now, and as it did with lunar-javascript. */
  const both = (month: number, dayOfMonth: number, leap: boolean, today: number) => {
    const date = `--${String(month).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')}`;
    return {
      at: `${date}${leap ? ' leap' : ''} from ${iso(today)}`,
      got: daysToAnniversary(date, 'lunar', leap, today),
      want: referenceLunarUntil(month, dayOfMonth, leap, today),
    };
  };

  it('counts the days lunar-javascript counted, leap months and 30ths in short months included', () => {
    // Prepare: around each leap month of 2020-2036, a birthday in it (the 1st, 15th and 30th, which a
    // 29-day leap month lacks) seen from before the ordinary month, between the two, inside the leap month
    // and on its last day or after; with and without the flag.
    const cases: [number, number, boolean, number][] = [];
    for (let year = 2020; year <= 2036; year++) {
      const leapMonth = leapMonthOf(year);
      if (leapMonth === 0) continue;
      const start = dayOfLunar(year, leapMonth, 1, true);
      for (const today of [start - 40, start - 1, start + 14, start + 29])
        for (const d of [1, 15, 30])
          for (const leap of [true, false]) cases.push([leapMonth, d, leap, today]);
    }
    // Every month's 30th from a day in 2026, and birthdays spread over 1990-2099 by a fixed stride.
    for (let month = 1; month <= 12; month++) cases.push([month, 30, false, day('2026-11-23')]);
    for (let i = 0; i < 120; i++)
      cases.push([1 + (i % 12), 1 + ((i * 7) % 30), i % 5 === 0, day('1990-01-01') + i * 337]);
    // Act
    const results = cases.map(([month, d, leap, today]) => both(month, d, leap, today));
    // Assess
    expect(cases.length).toBe(300);
    expect(results.filter((r) => r.got !== r.want)).toEqual([]);
  }, 30_000);

  it('counts the days of the segment rule tests (2026-11-23 is lunar 10/15; leap 6/10 of 2025 is 2025-08-03)', () => {
    // Act
    const counts = [
      both(10, 20, false, day('2026-11-23')),
      both(10, 15, false, day('2026-11-23')),
      both(12, 30, false, day('2026-11-23')),
      both(6, 10, true, day('2025-07-25')),
      both(6, 10, false, day('2025-07-25')),
    ];
    // Assess
    expect(counts.map((c) => c.got)).toEqual([5, 0, 74, 9, 363]);
    expect(counts.map((c) => c.want)).toEqual([5, 0, 74, 9, 363]);
  });

  it('finds no anniversary outside the table instead of guessing', () => {
    // Act
    const before = daysToAnniversary('--01-01', 'lunar', false, FIRST_DAY - 1);
    const lastAhead = daysToAnniversary('--12-01', 'lunar', false, day('2100-06-01'));
    const lastPassed = daysToAnniversary('--01-01', 'lunar', false, day('2100-06-01'));
    const after = daysToAnniversary('--01-01', 'lunar', false, END_DAY);
    const noMonth = daysToAnniversary('--13-01', 'lunar', false, day('2026-11-23'));
    // Assess
    expect([before, lastPassed, after, noMonth]).toEqual([undefined, undefined, undefined, undefined]);
    expect(lastAhead).toBe(referenceLunarUntil(12, 1, false, day('2100-06-01')));
  });
});
