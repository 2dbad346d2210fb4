import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bgNbdLikelihood,
  expectedPurchases,
  fitBgNbd,
  fitGammaGamma,
  probabilityAlive,
} from '../../shared/scoring/clv.ts';
import { nelderMead } from '../../shared/scoring/numeric.ts';
import { simulateCustomers } from '../../shared/scoring/simulate.ts';

/**
 * Parameter recovery: a base of 10,000 customers drawn from known parameters (seeded), fitted back.
 *
 * Why "within 4 standard errors": the maximum-likelihood estimate is asymptotically normal around the
 * true value with the covariance given by the inverse observed information, which the fit reports. A
 * miss by more than 4 standard errors has odds of about 6e-5 per parameter for a correct fit, while a
 * wrong likelihood (a sign, a missing term) moves the estimate by many standard errors at this size.
 * The standard errors themselves must be small (under 25% of the value), so the check cannot pass just
 * because the data say little.
 */

const TRUTH = { r: 0.3, alpha: 5, a: 0.8, b: 2.5 };
const SPEND = { p: 6, q: 4, gamma: 15 };

// Fits take a second or two alone; the margin is for a loaded machine, not a performance bound.
const FIT_TIMEOUT_MS = 60_000;

describe('CLV parameter recovery on simulated customers', () => {
  const base = simulateCustomers(TRUTH, SPEND, {
    customers: 10_000,
    seed: 20_240_601,
    observed: { min: 26, max: 78 },
  });

  it(
    'recovers the BG/NBD parameters within 4 standard errors',
    () => {
      // Act
      const fit = fitBgNbd(base);
      // Assess
      expect(fit.converged).toBe(true);
      for (const key of ['r', 'alpha', 'a', 'b'] as const) {
        const se = fit.standardErrors[key];
        expect(se / TRUTH[key], key).toBeLessThan(0.25);
        expect(Math.abs(fit.params[key] - TRUTH[key]) / se, key).toBeLessThan(4);
      }
    },
    FIT_TIMEOUT_MS,
  );

  it(
    'recovers the Gamma-Gamma parameters within 4 standard errors',
    () => {
      // Act
      const fit = fitGammaGamma(base);
      // Assess
      expect(fit.converged).toBe(true);
      for (const key of ['p', 'q', 'gamma'] as const) {
        const se = fit.standardErrors[key];
        expect(se / SPEND[key], key).toBeLessThan(0.25);
        expect(Math.abs(fit.params[key] - SPEND[key]) / se, key).toBeLessThan(4);
      }
    },
    FIT_TIMEOUT_MS,
  );
});

describe('BG/NBD on a base without dropout', () => {
  // Prepare: nobody drops out (p ~ Beta(0.001, 1e6)), so the likelihood's supremum lies at a -> 0 with
  // b large, where no search can converge. Seed 1 is a base where the fit ends on that ridge.
  const base = simulateCustomers({ r: 0.6, alpha: 2, a: 0.001, b: 1e6 }, null, {
    customers: 1000,
    seed: 1,
    observed: { min: 26, max: 78 },
  });

  it(
    'stops on the ridge early and loses nothing against a search run to its iteration limit',
    () => {
      // Act
      const fit = fitBgNbd(base);
      const longer = nelderMead(
        (v) => {
          const [r = 0, alpha = 0, a = 0, b = 0] = v.map(Math.exp);
          return -bgNbdLikelihood(base, { r, alpha, a, b }) / base.length;
        },
        [0, 0, 0, 0],
        { tolerance: 1e-12, maxIterations: 1000 },
      );
      // Assess: stopped by the stall rule well before the longer search, which never converges either,
      // and the longer search finds no better likelihood (to 1e-9 relative).
      expect(fit.stalled).toBe(true);
      expect(fit.converged).toBe(false);
      expect(fit.iterations).toBeLessThan(longer.iterations);
      expect(longer.converged).toBe(false);
      const best = -longer.value * base.length;
      expect(best - fit.logLikelihood).toBeLessThanOrEqual(1e-9 * Math.abs(best));
      // The dropout probability it implies is what the data say: about none.
      expect(fit.params.a / (fit.params.a + fit.params.b)).toBeLessThan(1e-6);
    },
    FIT_TIMEOUT_MS,
  );
});

describe('CLV predictions at the edges', () => {
  const params = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

  it('stay finite, non-negative and growing with the horizon, heavy buyers included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.1, max: 520, noNaN: true }),
        fc.double({ min: 0.1, max: 520, noNaN: true }),
        (x, lastShare, T, t) => {
          const customer = { x, tx: x > 0 ? lastShare * T : 0, T, monetary: 20 };
          const near = expectedPurchases(params, customer, t);
          const far = expectedPurchases(params, customer, t * 2);
          const alive = probabilityAlive(params, customer);
          return Number.isFinite(near) && near >= 0 && far >= near - 1e-9 && alive >= 0 && alive <= 1;
        },
      ),
    );
  });

  it('expects a steady heavy buyer to keep buying at about their own rate', () => {
    // Prepare: 400 repeat purchases in 400 weeks, the last one just now.
    const customer = { x: 400, tx: 400, T: 400, monetary: 20 };
    // Act
    const next52 = expectedPurchases(params, customer, 52);
    // Assess: a little under 52 (some chance of dropping out), far from 0.
    expect(next52).toBeGreaterThan(40);
    expect(next52).toBeLessThan(55);
  });
});
