/**
 * A mergeable quantile sketch: the merging t-digest of Dunning and Ertl ("Computing extremely accurate
 * quantiles using t-digests", 2019) with the arcsine scale function k1. The RFM and ABC passes scan the
 * customer base in parallel segments; each worker builds a digest of its segment and the digests are
 * merged, so no worker ever holds the whole population. Accuracy is best at the tails and within about
 * 1/compression of rank in the middle, far finer than five score bins need; with no more values than
 * `compression`, every value keeps its own centroid and the answers are exact ranks.
 *
 * Plain data (JSON-safe) rather than a class, so a digest can travel between a worker and the merger.
 */

export interface Centroid {
  mean: number;
  weight: number;
}

export interface Digest {
  compression: number;
  /** Sorted by mean. */
  centroids: Centroid[];
  count: number;
  min: number;
  max: number;
}

export const DEFAULT_COMPRESSION = 200;

export function emptyDigest(compression = DEFAULT_COMPRESSION): Digest {
  return {
    compression,
    centroids: [],
    count: 0,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
  };
}

/** A digest of the finite values given (NaN and infinities are skipped: they have no rank). */
export function digestOf(values: Iterable<number>, compression = DEFAULT_COMPRESSION): Digest {
  const points: Centroid[] = [];
  for (const v of values) if (Number.isFinite(v)) points.push({ mean: v, weight: 1 });
  return build(points, compression);
}

/** Merges digests of disjoint parts into a digest of the whole. */
export function mergeDigests(digests: readonly Digest[], compression = DEFAULT_COMPRESSION): Digest {
  // The extremes travel separately: a centroid's mean is not the smallest value it absorbed.
  const min = Math.min(...digests.map((d) => d.min));
  const max = Math.max(...digests.map((d) => d.max));
  return build(
    digests.flatMap((d) => d.centroids),
    compression,
    { min, max },
  );
}

function build(points: Centroid[], compression: number, extremes?: { min: number; max: number }): Digest {
  // Ties broken by weight so the merged result does not depend on the order the digests came in.
  const sorted = [...points].sort((p, q) => p.mean - q.mean || p.weight - q.weight);
  let total = 0;
  for (const p of sorted) total += p.weight;
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last) return emptyDigest(compression);
  const k = (q: number) => (compression / (2 * Math.PI)) * Math.asin(2 * q - 1);
  const kInverse = (value: number) => (Math.sin((value * 2 * Math.PI) / compression) + 1) / 2;
  const out: Centroid[] = [];
  let current = { ...first };
  let before = 0;
  let limit = total * kInverse(k(0) + 1);
  for (let i = 1; i < sorted.length; i++) {
    const next = sorted[i] as Centroid;
    if (before + current.weight + next.weight <= limit) {
      const weight = current.weight + next.weight;
      current = { mean: current.mean + ((next.mean - current.mean) * next.weight) / weight, weight };
    } else {
      out.push(current);
      before += current.weight;
      limit = total * kInverse(k(before / total) + 1);
      current = { ...next };
    }
  }
  out.push(current);
  return {
    compression,
    centroids: out,
    count: total,
    min: Math.min(first.mean, extremes?.min ?? first.mean),
    max: Math.max(last.mean, extremes?.max ?? last.mean),
  };
}

/**
 * The value at quantile q (0..1), interpolating between centroid centres; each centroid's weight is
 * spread around its mean. NaN-free: an empty digest answers 0.
 */
export function quantile(digest: Digest, q: number): number {
  const { centroids, count } = digest;
  const head = centroids[0];
  if (!head) return 0;
  if (centroids.length === 1 || q <= 0) return q <= 0 ? digest.min : head.mean;
  if (q >= 1) return digest.max;
  const target = q * count;
  let cumulative = 0;
  let previousCentre = 0;
  let previousMean = digest.min;
  for (const c of centroids) {
    const centre = cumulative + c.weight / 2;
    if (target < centre) {
      if (centre === previousCentre) return c.mean;
      const t = (target - previousCentre) / (centre - previousCentre);
      return previousMean + t * (c.mean - previousMean);
    }
    cumulative += c.weight;
    previousCentre = centre;
    previousMean = c.mean;
  }
  const tail = count - previousCentre;
  const t = tail > 0 ? (target - previousCentre) / tail : 1;
  return previousMean + t * (digest.max - previousMean);
}

/** Share of the population at or below `value` (0..1); 0 for an empty digest. */
export function cdf(digest: Digest, value: number): number {
  if (digest.count === 0) return 0;
  if (value < digest.min) return 0;
  if (value >= digest.max) return 1;
  let below = 0;
  for (const c of digest.centroids) {
    if (c.mean < value) below += c.weight;
    else if (c.mean === value) below += c.weight;
    else break;
  }
  return Math.min(1, below / digest.count);
}
