import { seededRandom } from './numeric.ts';

/**
 * k-means over standardized features, for an operator to find and name groups of customers. Seeded
 * k-means++ start and plain Lloyd iterations: the same input and seed give the same clusters every
 * time, which a report that people discuss needs. k is given, or chosen by the best mean silhouette
 * over a range, computed on a seeded sample because silhouette is quadratic in n.
 */

export interface Point {
  id: string;
  features: readonly number[];
}

export interface ClusterProfile {
  size: number;
  /** Centre in the original units, to read ("spends 420, buys every 30 days"). */
  centre: number[];
  /** Ids of the members closest to the centre. */
  typicalMembers: string[];
}

export interface Clustering {
  k: number;
  /** Cluster index per input point, in input order. */
  assignments: number[];
  profiles: ClusterProfile[];
  /** Mean silhouette on the sample (-1..1); 0 when k = 1 or n <= k. */
  silhouette: number;
  iterations: number;
}

export interface KMeansOptions {
  /** A fixed k, or a range to choose from by silhouette. */
  k: number | { min: number; max: number };
  seed: number;
  maxIterations?: number;
  silhouetteSample?: number;
  typicalMembers?: number;
}

/** Column means and standard deviations; a constant column gets sd 1 so it standardizes to 0, not NaN. */
export function standardize(rows: readonly (readonly number[])[]): {
  z: number[][];
  mean: number[];
  sd: number[];
} {
  const dims = rows[0]?.length ?? 0;
  const mean = new Array<number>(dims).fill(0);
  const sd = new Array<number>(dims).fill(0);
  for (const row of rows)
    for (let j = 0; j < dims; j++) mean[j] = (mean[j] as number) + finite(row[j]) / rows.length;
  for (const row of rows) {
    for (let j = 0; j < dims; j++)
      sd[j] = (sd[j] as number) + (finite(row[j]) - (mean[j] as number)) ** 2 / rows.length;
  }
  for (let j = 0; j < dims; j++) sd[j] = Math.sqrt(sd[j] as number) || 1;
  const z = rows.map((row) => mean.map((m, j) => (finite(row[j]) - m) / (sd[j] as number)));
  return { z, mean, sd };
}

function finite(v: number | undefined): number {
  return v !== undefined && Number.isFinite(v) ? v : 0;
}

function distance2(p: readonly number[], q: readonly number[]): number {
  let s = 0;
  for (let j = 0; j < p.length; j++) s += ((p[j] as number) - (q[j] as number)) ** 2;
  return s;
}

function nearest(p: readonly number[], centres: readonly number[][]): { index: number; d2: number } {
  let index = 0;
  let d2 = Number.POSITIVE_INFINITY;
  centres.forEach((c, i) => {
    const d = distance2(p, c);
    if (d < d2) {
      d2 = d;
      index = i;
    }
  });
  return { index, d2 };
}

/** k-means++: each next centre drawn with probability proportional to squared distance from the chosen. */
function seedCentres(z: readonly number[][], k: number, random: () => number): number[][] {
  const first = z[Math.floor(random() * z.length)] as number[];
  const centres = [[...first]];
  const d2 = z.map((p) => distance2(p, first));
  while (centres.length < k) {
    let total = 0;
    for (const d of d2) total += d;
    // All remaining points coincide with a centre: any point will do, keep it deterministic.
    let pick = total > 0 ? random() * total : 0;
    let chosen = 0;
    for (let i = 0; i < d2.length; i++) {
      pick -= d2[i] as number;
      if (pick <= 0 && (d2[i] as number) > 0) {
        chosen = i;
        break;
      }
    }
    const centre = [...(z[chosen] as number[])];
    centres.push(centre);
    z.forEach((p, i) => {
      d2[i] = Math.min(d2[i] as number, distance2(p, centre));
    });
  }
  return centres;
}

function lloyd(z: readonly number[][], k: number, seed: number, maxIterations: number) {
  const random = seededRandom(seed);
  let centres = seedCentres(z, k, random);
  const assignments = new Array<number>(z.length).fill(-1);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let changed = false;
    z.forEach((p, i) => {
      const { index } = nearest(p, centres);
      if (assignments[i] !== index) {
        assignments[i] = index;
        changed = true;
      }
    });
    if (!changed) break;
    const dims = z[0]?.length ?? 0;
    const sums = centres.map(() => new Array<number>(dims).fill(0));
    const counts = new Array<number>(k).fill(0);
    z.forEach((p, i) => {
      const c = assignments[i] as number;
      counts[c] = (counts[c] as number) + 1;
      const sum = sums[c] as number[];
      for (let j = 0; j < dims; j++) sum[j] = (sum[j] as number) + (p[j] as number);
    });
    // An emptied cluster keeps its old centre rather than becoming NaN.
    centres = sums.map((sum, c) =>
      (counts[c] as number) > 0 ? sum.map((s) => s / (counts[c] as number)) : (centres[c] as number[]),
    );
  }
  return { centres, assignments, iterations };
}

/** Mean silhouette over a seeded sample of at most `sample` points. */
function silhouette(
  z: readonly number[][],
  assignments: readonly number[],
  k: number,
  sample: number,
  seed: number,
): number {
  if (k < 2 || z.length <= k) return 0;
  const random = seededRandom(seed ^ 0x9e3779b9);
  const indices = z.map((_, i) => i);
  // Partial Fisher-Yates: the first `sample` indices are a uniform sample.
  const m = Math.min(sample, indices.length);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(random() * (indices.length - i));
    [indices[i], indices[j]] = [indices[j] as number, indices[i] as number];
  }
  const chosen = indices.slice(0, m);
  let total = 0;
  for (const i of chosen) {
    const own = assignments[i] as number;
    const sums = new Array<number>(k).fill(0);
    const counts = new Array<number>(k).fill(0);
    for (const j of chosen) {
      if (j === i) continue;
      const c = assignments[j] as number;
      sums[c] = (sums[c] as number) + Math.sqrt(distance2(z[i] as number[], z[j] as number[]));
      counts[c] = (counts[c] as number) + 1;
    }
    if ((counts[own] as number) === 0) continue;
    const a = (sums[own] as number) / (counts[own] as number);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++)
      if (c !== own && (counts[c] as number) > 0)
        b = Math.min(b, (sums[c] as number) / (counts[c] as number));
    if (Number.isFinite(b)) total += Math.max(a, b) > 0 ? (b - a) / Math.max(a, b) : 0;
  }
  return m > 0 ? total / m : 0;
}

export function kmeans(points: readonly Point[], options: KMeansOptions): Clustering {
  const maxIterations = options.maxIterations ?? 100;
  const sample = options.silhouetteSample ?? 2000;
  if (points.length === 0) return { k: 0, assignments: [], profiles: [], silhouette: 0, iterations: 0 };
  const { z } = standardize(points.map((p) => p.features));
  const range = typeof options.k === 'number' ? { min: options.k, max: options.k } : options.k;
  let best: (ReturnType<typeof lloyd> & { k: number; silhouette: number }) | undefined;
  for (let k = Math.max(1, range.min); k <= Math.min(range.max, points.length); k++) {
    const run = lloyd(z, k, options.seed, maxIterations);
    const s = silhouette(z, run.assignments, k, sample, options.seed);
    if (!best || s > best.silhouette) best = { ...run, k, silhouette: s };
  }
  if (!best) throw new RangeError('k must be at least 1');
  const chosen = best;
  const profiles = chosen.centres.map((centre, c) => {
    const members = points
      .map((p, i) => ({ p, i }))
      .filter(({ i }) => chosen.assignments[i] === c)
      .map(({ p, i }) => ({ id: p.id, raw: p.features, d2: distance2(z[i] as number[], centre) }));
    const dims = points[0]?.features.length ?? 0;
    const mean = new Array<number>(dims).fill(0);
    for (const m of members)
      for (let j = 0; j < dims; j++) mean[j] = (mean[j] as number) + finite(m.raw[j]) / members.length;
    return {
      size: members.length,
      centre: mean,
      typicalMembers: members
        .sort((p, q) => p.d2 - q.d2 || (p.id < q.id ? -1 : 1))
        .slice(0, options.typicalMembers ?? 5)
        .map((m) => m.id),
    };
  });
  return {
    k: chosen.k,
    assignments: chosen.assignments,
    profiles,
    silhouette: chosen.silhouette,
    iterations: chosen.iterations,
  };
}
