import { lnGamma } from '../scoring/numeric.ts';

/**
 * Significance tests between variants, pure functions. Two variants: the two-proportion z-test (pooled
 * standard error, two-sided). Three or more: Pearson's chi-square test of independence on the k x 2 table
 * of successes and failures (k - 1 degrees of freedom). For two variants both give the same p-value
 * (chi-square = z squared).
 */

export interface Arm {
  /** Messages the rate is over (e.g. delivered). */
  trials: number;
  /** Those that did it (e.g. clicked). */
  successes: number;
}

export interface TestResult {
  test: 'two-proportion-z' | 'chi-square';
  statistic: number;
  /** Degrees of freedom (chi-square only). */
  df?: number;
  pValue: number;
}

/** The standard normal upper tail, P(Z > z), from the complementary error function. */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * erfc by its continued fraction (large x) and series of erf (small x); accurate to ~1e-14, enough for
 * p-values down to 1e-300 without the cancellation of 1 - erf(x).
 */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    // erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Lentz's method for erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** The regularized upper incomplete gamma function Q(a, x) (Numerical Recipes' gammq). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnPrefix = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - sum * Math.exp(lnPrefix);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    d = Math.abs(d) < tiny ? tiny : d;
    c = b + an / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(lnPrefix) * h;
}

/** P(X > x) for a chi-square distribution with df degrees of freedom. */
export function chiSquareUpperTail(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

/** Two-sided two-proportion z-test with the pooled proportion; undefined when it cannot be computed. */
export function twoProportionZ(a: Arm, b: Arm): TestResult | undefined {
  if (a.trials <= 0 || b.trials <= 0) return undefined;
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  if (se === 0) return undefined;
  const z = (a.successes / a.trials - b.successes / b.trials) / se;
  return { test: 'two-proportion-z', statistic: z, pValue: Math.min(1, 2 * normalUpperTail(Math.abs(z))) };
}

/** Pearson's chi-square test of independence over k arms (success / failure); undefined when degenerate. */
export function chiSquare(arms: readonly Arm[]): TestResult | undefined {
  const used = arms.filter((a) => a.trials > 0);
  if (used.length < 2) return undefined;
  const trials = used.reduce((s, a) => s + a.trials, 0);
  const successes = used.reduce((s, a) => s + a.successes, 0);
  const failures = trials - successes;
  if (successes === 0 || failures === 0) return undefined;
  let statistic = 0;
  for (const arm of used) {
    const expectedSuccesses = (arm.trials * successes) / trials;
    const expectedFailures = (arm.trials * failures) / trials;
    statistic += (arm.successes - expectedSuccesses) ** 2 / expectedSuccesses;
    statistic += (arm.trials - arm.successes - expectedFailures) ** 2 / expectedFailures;
  }
  const df = used.length - 1;
  return { test: 'chi-square', statistic, df, pValue: chiSquareUpperTail(statistic, df) };
}

/** The z-test for two arms, chi-square for more. */
export function compareArms(arms: readonly Arm[]): TestResult | undefined {
  const used = arms.filter((a) => a.trials > 0);
  if (used.length === 2) return twoProportionZ(used[0] as Arm, used[1] as Arm);
  return chiSquare(used);
}
