import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  gammaSample,
  hyp2f1,
  invert,
  lnGamma,
  logAddExp,
  nelderMead,
  seededRandom,
} from '../../shared/scoring/numeric.ts';

describe('lnGamma', () => {
  it('matches known values to about 1e-13 relative', () => {
    // Prepare: ln((n-1)!) and Γ(1/2) = √π; lnΓ(100) from tables.
    const cases: [number, number][] = [
      [1, 0],
      [2, 0],
      [0.5, 0.5 * Math.log(Math.PI)],
      [10, Math.log(362_880)],
      [100, 359.1342053695754],
      [1e-3, 6.907178885383853],
    ];
    for (const [x, expected] of cases) {
      // Act
      const actual = lnGamma(x);
      // Assess
      expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
    }
  });

  it('satisfies lnΓ(x + 1) = lnΓ(x) + ln x over a wide range', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e6, noNaN: true }), (x) => {
        const gap = lnGamma(x + 1) - lnGamma(x) - Math.log(x);
        return Math.abs(gap) <= 1e-9 * Math.max(1, Math.abs(lnGamma(x + 1)));
      }),
    );
  });
});

describe('hyp2f1', () => {
  it('agrees with closed forms', () => {
    // 2F1(1, 1; 2; z) = -ln(1 - z) / z and 2F1(a, b; b; z) = (1 - z)^-a.
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 0.99, noNaN: true }),
        fc.double({ min: 0.1, max: 20, noNaN: true }),
        (z, a) => {
          const log = hyp2f1(1, 1, 2, z);
          const power = hyp2f1(a, 3.5, 3.5, z);
          return (
            Math.abs(log - -Math.log1p(-z) / z) <= 1e-10 * Math.abs(log) &&
            Math.abs(power - (1 - z) ** -a) <= 1e-9 * Math.abs(power)
          );
        },
      ),
    );
  });

  it('refuses arguments outside [0, 1) instead of returning a wrong number', () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, 2, Number.NaN)).toThrow(RangeError);
  });
});

describe('nelderMead', () => {
  it('finds the minimum of the Rosenbrock valley', () => {
    // Act
    const result = nelderMead(([x = 0, y = 0]) => (1 - x) ** 2 + 100 * (y - x * x) ** 2, [-1.2, 1], {
      tolerance: 1e-14,
    });
    // Assess
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 4);
    expect(result.x[1]).toBeCloseTo(1, 4);
  });

  it('backs away from regions where the objective is not finite', () => {
    // Act: undefined (NaN) for x < 0, minimum at x = 2.
    const result = nelderMead(([x = 0]) => (x < 0 ? Number.NaN : (x - 2) ** 2), [0.1]);
    // Assess
    expect(result.x[0]).toBeCloseTo(2, 5);
  });
});

describe('small helpers', () => {
  it('inverts a matrix and adds logs without overflow', () => {
    // Act
    const inverse = invert([
      [4, 1],
      [1, 3],
    ]);
    // Assess
    expect(inverse[0]?.[0]).toBeCloseTo(3 / 11, 12);
    expect(inverse[0]?.[1]).toBeCloseTo(-1 / 11, 12);
    expect(logAddExp(1000, 1000)).toBeCloseTo(1000 + Math.log(2), 10);
    expect(logAddExp(Number.NEGATIVE_INFINITY, 3)).toBe(3);
    expect(() =>
      invert([
        [1, 2],
        [2, 4],
      ]),
    ).toThrow(RangeError);
  });

  it('draws gamma variates with the right mean and variance from a seed', () => {
    // Prepare: Gamma(k, 1) has mean k and variance k; 200,000 draws give both to about 1%.
    for (const shape of [0.3, 2.5, 9]) {
      const random = seededRandom(7);
      let sum = 0;
      let squares = 0;
      const n = 200_000;
      // Act
      for (let i = 0; i < n; i++) {
        const v = gammaSample(random, shape);
        sum += v;
        squares += v * v;
      }
      // Assess: within 5 standard errors of the mean (sd of the mean is sqrt(k / n)).
      const mean = sum / n;
      expect(Math.abs(mean - shape)).toBeLessThan(5 * Math.sqrt(shape / n));
      expect(squares / n - mean * mean).toBeCloseTo(shape, 0);
    }
  });

  it('gives the same stream for the same seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });
});
