import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/scoring/numeric.ts';
import {
  DEFAULT_SEGMENTS,
  mergeRfmPopulations,
  NO_PURCHASE_SEGMENT,
  type RfmInput,
  rfmCutPoints,
  rfmPopulationOf,
  scoreRfm,
  uncoveredCells,
} from '../../shared/scoring/rfm.ts';
import { cdf, digestOf, mergeDigests, quantile } from '../../shared/scoring/sketch.ts';

/** The exact value at quantile q of sorted values (nearest rank). */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

function lognormalBase(n: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () =>
    Math.exp(3 + 1.2 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())),
  );
}

describe('t-digest sketch', () => {
  it('is exact in rank when the data fit in the compression', () => {
    // Prepare
    const values = [5, 1, 4, 2, 3, 9, 7, 8, 6, 10];
    // Act
    const digest = digestOf(values);
    // Assess
    expect(digest.centroids).toHaveLength(10);
    expect(quantile(digest, 0)).toBe(1);
    expect(quantile(digest, 1)).toBe(10);
    expect(quantile(digest, 0.5)).toBeCloseTo(5.5, 9);
    expect(cdf(digest, 3)).toBeCloseTo(0.3, 9);
  });

  it('merged from segments, answers quantiles within 1% of rank of the exact ones', () => {
    // Prepare: 100,000 revenues from a skewed distribution, split over 8 workers.
    const values = lognormalBase(100_000, 11);
    const sorted = [...values].sort((p, q) => p - q);
    const parts = Array.from({ length: 8 }, (_, w) => digestOf(values.filter((_, i) => i % 8 === w)));
    // Act
    const merged = mergeDigests(parts);
    // Assess: the rank of the answer is within 1% of the asked quantile.
    for (const q of [0.01, 0.2, 0.4, 0.5, 0.6, 0.8, 0.99]) {
      const answer = quantile(merged, q);
      const rank = sorted.filter((v) => v <= answer).length / sorted.length;
      expect(Math.abs(rank - q), `q=${q}`).toBeLessThan(0.01);
    }
    expect(merged.count).toBe(100_000);
    expect(merged.centroids.length).toBeLessThan(400);
    expect(exactQuantile(sorted, 0)).toBe(merged.min);
  });

  it('never answers NaN, whatever it is fed', () => {
    fc.assert(
      fc.property(fc.array(fc.double()), fc.double({ min: 0, max: 1, noNaN: true }), (values, q) => {
        const digest = digestOf(values);
        return !Number.isNaN(quantile(digest, q)) && !Number.isNaN(cdf(digest, 0));
      }),
    );
  });
});

describe('RFM scores', () => {
  const customers: RfmInput[] = Array.from({ length: 1000 }, (_, i) => ({
    recencyDays: i % 365,
    frequency: 1 + (i % 10),
    monetary: 10 * (i % 100),
  }));

  it('scores 1 to 5 in equal-sized bins, recency reversed', () => {
    // Prepare
    const cuts = rfmCutPoints(rfmPopulationOf(customers), 5);
    // Act
    const scores = customers.map((c) => scoreRfm(c, cuts));
    // Assess: each monetary score holds about a fifth of the base; the most recent get R = 5.
    for (let s = 1; s <= 5; s++) {
      const share = scores.filter((x) => x.monetary === s).length / scores.length;
      expect(share).toBeGreaterThan(0.15);
      expect(share).toBeLessThan(0.25);
    }
    expect(scoreRfm({ recencyDays: 0, frequency: 10, monetary: 990 }, cuts)).toMatchObject({
      recency: 5,
      frequency: 5,
      monetary: 5,
      segment: 'Champions',
    });
    expect(scoreRfm({ recencyDays: 364, frequency: 1, monetary: 0 }, cuts)).toMatchObject({
      recency: 1,
      frequency: 1,
      segment: 'Lost',
    });
  });

  it('gives the same cut points from merged segment populations as from the whole', () => {
    // Act
    const whole = rfmCutPoints(rfmPopulationOf(customers), 5);
    const merged = rfmCutPoints(
      mergeRfmPopulations([rfmPopulationOf(customers.slice(0, 400)), rfmPopulationOf(customers.slice(400))]),
      5,
    );
    // Assess: 1,000 values exceed the compression, so merging may move cut points a little, not a bin.
    merged.monetary.forEach((cut, i) => {
      expect(Math.abs(cut - (whole.monetary[i] as number))).toBeLessThanOrEqual(10);
    });
  });

  it('lets customers with one purchase share the lowest frequency score when most bought once', () => {
    // Prepare
    const base: RfmInput[] = Array.from({ length: 100 }, (_, i) => ({
      recencyDays: i,
      frequency: i < 70 ? 1 : 2 + (i % 5),
      monetary: i,
    }));
    const cuts = rfmCutPoints(rfmPopulationOf(base), 5);
    // Act
    const once = scoreRfm({ recencyDays: 1, frequency: 1, monetary: 5 }, cuts);
    const twice = scoreRfm({ recencyDays: 1, frequency: 2, monetary: 5 }, cuts);
    // Assess
    expect(once.frequency).toBe(1);
    expect(twice.frequency).toBeGreaterThan(1);
  });

  it('gives customers with no purchase defined scores, not NaN, and the prospect segment', () => {
    // Prepare: even against an empty population.
    const cuts = rfmCutPoints(rfmPopulationOf([]), 5);
    // Act
    const prospect = scoreRfm({ recencyDays: null, frequency: 0, monetary: 0 }, cuts);
    const buyer = scoreRfm({ recencyDays: 3, frequency: 1, monetary: 20 }, cuts);
    // Assess
    expect(prospect).toEqual({ recency: 0, frequency: 0, monetary: 0, fm: 0, segment: NO_PURCHASE_SEGMENT });
    expect(Object.values(buyer).every((v) => typeof v === 'string' || Number.isInteger(v))).toBe(true);
  });

  it('has a default segment map covering every cell of the 5 x 5 grid', () => {
    expect(uncoveredCells(DEFAULT_SEGMENTS, 5)).toEqual([]);
    expect(new Set(DEFAULT_SEGMENTS.map((s) => s.name)).size).toBe(11);
  });
});
