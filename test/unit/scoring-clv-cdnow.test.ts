import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bgNbdLikelihood,
  expectedPurchases,
  expectedSpend,
  fitBgNbd,
  fitGammaGamma,
  predictiveClv,
  probabilityAlive,
  type RfmSummary,
} from '../../shared/scoring/clv.ts';
import { epochDay, summarize, type Transaction } from '../../shared/scoring/summary.ts';

/**
 * End to end on the CDNOW sample: the summary computed here from the raw transactions must match the
 * published one, and the fits must reproduce the published parameters (Fader, Hardie and Lee 2005).
 * The data live beside the repository (../shared/data/cdnow from the repo root); the search walks up
 * from this file so any worktree depth finds them, and COHORT_DATA_DIR overrides it.
 */

function findCdnow(): string {
  const tried: string[] = [];
  if (process.env.COHORT_DATA_DIR) tried.push(join(process.env.COHORT_DATA_DIR, 'cdnow'));
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    tried.push(join(dir, 'shared', 'data', 'cdnow'), join(dir, 'data', 'cdnow'));
    dir = resolve(dir, '..');
  }
  const found = tried.find((d) => existsSync(join(d, 'CDNOW_sample.txt')));
  if (!found) {
    throw new Error(
      `CDNOW data not found: CDNOW_sample.txt is expected in ../shared/data/cdnow from the repository root. Looked in:\n${tried.join('\n')}\nSet COHORT_DATA_DIR to the folder holding cdnow/.`,
    );
  }
  return found;
}

/** One line: sample id, master id, YYYYMMDD, CDs, dollars. The master id numbers the published summary. */
function parseCdnow(text: string): Transaction[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const [, master, date, , value] = line.trim().split(/\s+/);
      if (!master || !date || value === undefined || !/^\d{8}$/.test(date)) {
        throw new Error(`CDNOW_sample.txt line ${i + 1} is malformed: ${line}`);
      }
      const day = epochDay(Number(date.slice(0, 4)), Number(date.slice(4, 6)), Number(date.slice(6, 8)));
      return { customerId: String(Number(master)), day, value: Number(value) };
    });
}

const CALIBRATION = { endDay: epochDay(1997, 9, 30), periodDays: 7 };

/** Within `share` of the published value (1% by default). */
function near(actual: number, published: number, share = 0.01): void {
  expect(Math.abs(actual - published) / Math.abs(published)).toBeLessThanOrEqual(share);
}

// Fits take a second or two alone; the margin is for a loaded machine, not a performance bound.
const FIT_TIMEOUT_MS = 60_000;

describe('CLV models on CDNOW', () => {
  let summaries: Map<string, RfmSummary>;
  let rows: RfmSummary[];
  let dir: string;

  beforeAll(() => {
    dir = findCdnow();
    summaries = summarize(parseCdnow(readFileSync(join(dir, 'CDNOW_sample.txt'), 'utf8')), CALIBRATION);
    rows = [...summaries.values()];
  }, FIT_TIMEOUT_MS);

  it(
    'computes the published calibration summary from the raw transactions',
    () => {
      // Prepare
      const published = readFileSync(join(dir, 'cdnow_customers_summary_with_transactions.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',').map(Number));
      // Act
      const mismatches = published.filter(([id, x, tx, T, zbar]) => {
        const mine = summaries.get(String(id));
        return (
          !mine ||
          mine.x !== x ||
          Math.abs(mine.tx - (tx as number)) > 0.006 ||
          Math.abs(mine.T - (T as number)) > 0.006 ||
          Math.abs(mine.monetary - (zbar as number)) > 0.006
        );
      });
      // Assess
      expect(published).toHaveLength(2357);
      expect(summaries.size).toBe(2357);
      expect(mismatches).toEqual([]);
    },
    FIT_TIMEOUT_MS,
  );

  it(
    'fits BG/NBD to the published parameters and log-likelihood',
    () => {
      // Act
      const fit = fitBgNbd(rows);
      // Assess
      expect(fit.converged).toBe(true);
      near(fit.params.r, 0.243);
      near(fit.params.alpha, 4.414);
      near(fit.params.a, 0.793);
      near(fit.params.b, 2.426);
      expect(fit.logLikelihood).toBeCloseTo(-9582.4, 1);
      expect(bgNbdLikelihood(rows, { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 })).toBeCloseTo(-9582.4, 0);
    },
    FIT_TIMEOUT_MS,
  );

  it(
    'fits Gamma-Gamma on the 946 repeat buyers to the published parameters',
    () => {
      // Act
      const fit = fitGammaGamma(rows);
      // Assess
      expect(rows.filter((r) => r.x > 0)).toHaveLength(946);
      expect(fit.converged).toBe(true);
      near(fit.params.p, 6.25);
      near(fit.params.q, 3.74);
      near(fit.params.gamma, 15.44);
    },
    FIT_TIMEOUT_MS,
  );

  it(
    'predicts as the paper does: the population expects about as many repeat purchases as it made',
    () => {
      // Prepare: the published parameters, so this checks the prediction formulas on their own.
      const params = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
      const spend = { p: 6.25, q: 3.74, gamma: 15.44 };
      const heavy = { x: 2, tx: 30.43, T: 38.86, monetary: 22.35 };
      // Act
      const alive = probabilityAlive(params, heavy);
      const next39 = rows.reduce((sum, row) => sum + expectedPurchases(params, row, 39), 0);
      const clv = predictiveClv(params, spend, heavy, {
        horizon: 52,
        stepPeriods: 30 / 7,
        discountRate: 0.01,
      });
      // Assess: the holdout period (weeks 40-78) had 1,788 repeat purchases; the paper's forecast is close.
      expect(alive).toBeGreaterThan(0.5);
      expect(alive).toBeLessThan(1);
      expect(next39).toBeGreaterThan(1600);
      expect(next39).toBeLessThan(2000);
      expect(expectedSpend(spend, heavy)).toBeGreaterThan(22.35);
      expect(expectedSpend(spend, { x: 0, tx: 0, T: 38.86, monetary: 0 })).toBeCloseTo(
        (6.25 * 15.44) / 2.74,
        6,
      );
      expect(clv).toBeGreaterThan(0);
    },
    FIT_TIMEOUT_MS,
  );
});
