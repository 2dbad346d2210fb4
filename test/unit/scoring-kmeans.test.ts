import { describe, expect, it } from 'vitest';
import { kmeans, type Point, standardize } from '../../shared/scoring/kmeans.ts';
import { normal, seededRandom } from '../../shared/scoring/numeric.ts';

/** Three well-separated groups of customers: (recency days, orders, revenue). */
function threeGroups(perGroup: number, seed: number): Point[] {
  const random = seededRandom(seed);
  const centres = [
    [10, 12, 2000],
    [200, 2, 150],
    [60, 5, 600],
  ];
  return centres.flatMap((centre, g) =>
    Array.from({ length: perGroup }, (_, i) => ({
      id: `g${g}-${i}`,
      features: centre.map((c) => c * (1 + 0.08 * normal(random))),
    })),
  );
}

describe('k-means clustering', () => {
  it('finds the three groups by silhouette and profiles them in original units', () => {
    // Prepare
    const points = threeGroups(200, 3);
    // Act
    const result = kmeans(points, { k: { min: 2, max: 6 }, seed: 42 });
    // Assess
    expect(result.k).toBe(3);
    expect(result.silhouette).toBeGreaterThan(0.7);
    const sizes = result.profiles.map((p) => p.size).sort();
    expect(sizes).toEqual([200, 200, 200]);
    const spender = result.profiles.find((p) => (p.centre[2] as number) > 1000);
    expect(spender?.centre[1]).toBeCloseTo(12, 0);
    expect(spender?.typicalMembers).toHaveLength(5);
    expect(spender?.typicalMembers.every((id) => id.startsWith('g0-'))).toBe(true);
  });

  it('is deterministic for a seed', () => {
    // Prepare
    const points = threeGroups(100, 9);
    // Act
    const first = kmeans(points, { k: 4, seed: 7 });
    const second = kmeans(points, { k: 4, seed: 7 });
    // Assess
    expect(second).toEqual(first);
  });

  it('standardizes a constant or non-finite feature to 0 instead of NaN', () => {
    // Act
    const { z } = standardize([
      [1, 5, Number.NaN],
      [2, 5, 3],
    ]);
    // Assess
    expect(z.flat().every(Number.isFinite)).toBe(true);
    expect(z[0]?.[1]).toBe(0);
  });

  it('handles fewer points than clusters and an empty input', () => {
    expect(kmeans([], { k: 3, seed: 1 }).profiles).toEqual([]);
    const two = kmeans(
      [
        { id: 'a', features: [1, 1] },
        { id: 'b', features: [1, 1] },
      ],
      { k: { min: 2, max: 5 }, seed: 1 },
    );
    expect(two.profiles.reduce((n, p) => n + p.size, 0)).toBe(2);
    expect(Number.isFinite(two.silhouette)).toBe(true);
  });
});
