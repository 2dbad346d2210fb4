import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capChecks, firstFull } from '../../shared/delivery/caps.ts';
import {
  isoWeek,
  localDay,
  minutesOfDay,
  type QuietWindow,
  quietUntil,
} from '../../shared/delivery/clock.ts';
import { defaultDeliverySettings } from '../../shared/delivery/settings.ts';

/**
 * Caps and quiet hours against an independent naive model: local wall time read through another locale's
 * formatted string, quiet hours found by walking minute by minute, weeks counted as days since a known
 * Monday, caps as a list of earlier sends. Zones with DST on both hemispheres, a half-hour DST (Lord
 * Howe), a 45-minute offset (Chatham) and none at all (Shanghai); instants cluster around the 2026 changes.
 */

const ZONES = [
  'America/New_York',
  'Europe/London',
  'Australia/Lord_Howe',
  'Asia/Shanghai',
  'Pacific/Chatham',
  'America/Sao_Paulo',
] as const;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// DST changes of 2026 in the zones above (UTC instants), so the generated instants straddle them.
const TRANSITIONS = [
  '2026-03-08T07:00:00Z', // New York springs forward
  '2026-11-01T06:00:00Z', // New York falls back
  '2026-03-29T01:00:00Z', // London springs forward
  '2026-10-25T01:00:00Z', // London falls back
  '2026-04-04T15:00:00Z', // Lord Howe: +11 -> +10:30
  '2026-10-03T15:30:00Z', // Lord Howe: +10:30 -> +11
  '2026-04-04T14:00:00Z', // Chatham: +13:45 -> +12:45
  '2026-09-26T14:00:00Z', // Chatham: +12:45 -> +13:45
  '2026-12-31T16:00:00Z', // New Year in Shanghai (an ISO week across years)
].map(Date.parse);

const naiveFormat = new Map<string, Intl.DateTimeFormat>();
/** Local wall time as `YYYY-MM-DD HH:mm:ss` (the Swedish locale writes ISO-like dates). */
function naiveLocal(instant: number, zone: string): { date: string; minuteOfDay: number } {
  let f = naiveFormat.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('sv-SE', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
    });
    naiveFormat.set(zone, f);
  }
  const text = f.format(instant);
  const [date, time] = text.split(' ') as [string, string];
  const [h, m] = time.split(':').map(Number) as [number, number];
  return { date, minuteOfDay: (h % 24) * 60 + m };
}

function naiveQuiet(minute: number, w: QuietWindow): boolean {
  if (w.start === w.end) return false;
  if (w.start < w.end) return w.start <= minute && minute < w.end;
  return minute >= w.start || minute < w.end;
}

/** The first instant >= t outside quiet hours, by trying t and then every following UTC minute. */
function naiveQuietUntil(t: number, zone: string, w: QuietWindow): number | undefined {
  if (!naiveQuiet(naiveLocal(t, zone).minuteOfDay, w)) return undefined;
  for (let c = Math.floor(t / MINUTE) * MINUTE + MINUTE; c < t + 3 * 24 * HOUR; c += MINUTE) {
    if (!naiveQuiet(naiveLocal(c, zone).minuteOfDay, w)) return c;
  }
  throw new Error('no end of quiet hours within three days');
}

const MONDAY_EPOCH = Date.UTC(1970, 0, 5);
function naiveWeekIndex(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Math.floor((Date.UTC(y, m - 1, d) - MONDAY_EPOCH) / (7 * 86_400_000));
}

const zone = fc.constantFrom(...ZONES);
const nearTransition = fc
  .tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -30 * HOUR, max: 30 * HOUR }))
  .map(([t, d]) => t + d);
const anyInstant = fc.integer({
  min: Date.parse('2026-01-01T00:00:00Z'),
  max: Date.parse('2027-01-31T00:00:00Z'),
});
const instant = fc.oneof(nearTransition, anyInstant);
const clock = fc.integer({ min: 0, max: 47 }).map((half) => half * 30 + (half % 3 === 0 ? 15 : 0));
const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

describe('quiet hours in the customer’s time zone', () => {
  it('defers to exactly the first instant outside the window, as the minute-by-minute model finds it', () => {
    fc.assert(
      fc.property(zone, instant, clock, clock, (z, t, start, end) => {
        // Prepare
        const window = { start: minutesOfDay(hhmm(start)), end: minutesOfDay(hhmm(end)) };

        // Act
        const until = quietUntil(t, z, window);

        // Assess
        expect(until).toBe(naiveQuietUntil(t, z, window));
      }),
      { numRuns: 400 },
    );
  });

  it('finds the morning across a spring-forward gap and a repeated autumn hour', () => {
    // Prepare: quiet 01:30-02:30 in New York; on 2026-03-08 the clock jumps from 02:00 to 03:00.
    const gap = { start: 90, end: 150 };
    const inGap = Date.parse('2026-03-08T06:45:00Z'); // 01:45 EST
    // On 2026-11-01 01:00-02:00 happens twice; quiet 01:00-01:30 comes round again in the second one.
    const twice = { start: 60, end: 90 };
    const firstPass = Date.parse('2026-11-01T05:10:00Z'); // 01:10 EDT
    const secondPass = Date.parse('2026-11-01T06:10:00Z'); // 01:10 EST

    // Act
    const afterGap = quietUntil(inGap, 'America/New_York', gap);
    const afterFirst = quietUntil(firstPass, 'America/New_York', twice);
    const afterSecond = quietUntil(secondPass, 'America/New_York', twice);

    // Assess: 03:00 EDT is the first minute past 02:30 on that day.
    expect(new Date(afterGap as number).toISOString()).toBe('2026-03-08T07:00:00.000Z');
    expect(new Date(afterFirst as number).toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(new Date(afterSecond as number).toISOString()).toBe('2026-11-01T06:30:00.000Z');
  });
});

describe('frequency caps per calendar day and ISO week in the customer’s time zone', () => {
  it('names the local day and the ISO week the naive model names', () => {
    fc.assert(
      fc.property(zone, instant, (z, t) => {
        // Act
        const day = localDay(t, z);
        const [y, m, d] = day.split('-').map(Number) as [number, number, number];
        const week = isoWeek(y, m, d);
        const sameWeek = fc.sample(fc.integer({ min: -6, max: 6 }), 5).map((k) => {
          const other = new Date(Date.UTC(y, m - 1, d + k)).toISOString().slice(0, 10);
          const [oy, om, od] = other.split('-').map(Number) as [number, number, number];
          return [naiveWeekIndex(other) === naiveWeekIndex(day), isoWeek(oy, om, od) === week];
        });

        // Assess
        expect(day).toBe(naiveLocal(t, z).date);
        for (const [naive, ours] of sameWeek) expect(ours).toBe(naive);
      }),
      { numRuns: 400 },
    );
  });

  it('allows exactly the sends the naive model allows, for any sequence of attempts', () => {
    const attempts = fc.array(
      fc.tuple(nearTransition, fc.constantFrom('email', 'sms') as fc.Arbitrary<'email' | 'sms'>),
      { minLength: 1, maxLength: 40 },
    );
    fc.assert(
      fc.property(
        zone,
        attempts,
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom(undefined, 'A', 'B'),
        (z, tries, day, week, tier) => {
          // Prepare
          const settings = {
            ...defaultDeliverySettings(),
            caps: { email: { day, week }, sms: { day: 1 } },
            tierCaps: { A: { email: { day: day + 1 } } },
          };
          const sorted = [...tries].sort((a, b) => a[0] - b[0]);
          const counts = new Map<string, number>();
          const sent: { instant: number; channel: string }[] = [];

          for (const [t, channel] of sorted) {
            // Act: the gate's rule over in-memory counters
            const checks = capChecks(settings, { channel, instant: t, timeZone: z, tier });
            const allowed = firstFull(checks, counts) === undefined;
            if (allowed) for (const c of checks) counts.set(c.key, (counts.get(c.key) ?? 0) + 1);

            // Assess: the naive model counts earlier sends on the same local day and week
            const here = naiveLocal(t, z).date;
            const mine = sent.filter((s) => s.channel === channel).map((s) => naiveLocal(s.instant, z).date);
            const dayLimit = channel === 'sms' ? 1 : tier === 'A' ? day + 1 : day;
            const weekLimit = channel === 'sms' || tier === 'A' ? Number.POSITIVE_INFINITY : week;
            const naiveAllowed =
              mine.filter((d) => d === here).length < dayLimit &&
              mine.filter((d) => naiveWeekIndex(d) === naiveWeekIndex(here)).length < weekLimit;
            expect(allowed).toBe(naiveAllowed);
            if (naiveAllowed) sent.push({ instant: t, channel });
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts a 23-hour and a 25-hour day as one day each', () => {
    // Prepare: daily cap 1; two sends 22 hours apart on New York's short and long days.
    const settings = { ...defaultDeliverySettings(), caps: { email: { day: 1 } } };
    const zoneNy = 'America/New_York';
    const keysOf = (iso: string) =>
      capChecks(settings, { channel: 'email', instant: Date.parse(iso), timeZone: zoneNy }).map((c) => c.key);

    // Act
    const shortDay = [keysOf('2026-03-08T05:30:00Z'), keysOf('2026-03-09T03:30:00Z')]; // 00:30 EST, 23:30 EDT
    const longDay = [keysOf('2026-11-01T04:30:00Z'), keysOf('2026-11-02T04:30:00Z')]; // 00:30 EDT, 23:30 EST

    // Assess
    expect(shortDay[0]).toEqual(['ch:email#D2026-03-08']);
    expect(shortDay[1]).toEqual(['ch:email#D2026-03-08']);
    expect(longDay[0]).toEqual(['ch:email#D2026-11-01']);
    expect(longDay[1]).toEqual(['ch:email#D2026-11-01']);
  });
});
