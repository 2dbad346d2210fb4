import type { RfmSummary } from './clv.ts';

/**
 * The BG/NBD / Gamma-Gamma summary (x, tx, T, mean repeat value) from raw transactions, as Fader,
 * Hardie and Lee define it: several transactions of one customer on one day are one purchase occasion
 * (their values add up), the first occasion opens the customer's observation and is not a repeat, and
 * only occasions up to the end of the calibration period count.
 */

export interface Transaction {
  customerId: string;
  /** Whole days since the Unix epoch (UTC): the models work at day resolution. */
  day: number;
  value: number;
}

export interface SummaryOptions {
  /** Last day of the calibration period, inclusive. */
  endDay: number;
  /** Days per model period (7 for weeks). */
  periodDays: number;
}

/** Whole days since the epoch for a UTC calendar date. */
export function epochDay(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / 86_400_000);
}

/** Per customer, the summary of their occasions up to `endDay`; customers first seen later are left out. */
export function summarize(
  transactions: Iterable<Transaction>,
  options: SummaryOptions,
): Map<string, RfmSummary> {
  const byCustomer = new Map<string, Map<number, number>>();
  for (const t of transactions) {
    if (t.day > options.endDay) continue;
    let days = byCustomer.get(t.customerId);
    if (!days) {
      days = new Map();
      byCustomer.set(t.customerId, days);
    }
    days.set(t.day, (days.get(t.day) ?? 0) + t.value);
  }
  const out = new Map<string, RfmSummary>();
  for (const [customerId, days] of byCustomer) {
    out.set(customerId, summarizeDays(days, options));
  }
  return out;
}

/** One customer's summary from their purchase days (day -> value of that day). */
export function summarizeDays(days: ReadonlyMap<number, number>, options: SummaryOptions): RfmSummary {
  const sorted = [...days.entries()].filter(([day]) => day <= options.endDay).sort((p, q) => p[0] - q[0]);
  const first = sorted[0];
  if (!first) return { x: 0, tx: 0, T: 0, monetary: 0 };
  const last = sorted[sorted.length - 1] ?? first;
  const repeats = sorted.slice(1);
  let repeatValue = 0;
  for (const [, value] of repeats) repeatValue += value;
  return {
    x: repeats.length,
    tx: (last[0] - first[0]) / options.periodDays,
    T: (options.endDay - first[0]) / options.periodDays,
    monetary: repeats.length > 0 ? repeatValue / repeats.length : 0,
  };
}
