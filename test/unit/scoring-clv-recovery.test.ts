import { describe, expect, it } from 'vitest';
import { fitBgNbd, fitGammaGamma } from '../../shared/scoring/clv.ts';
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
