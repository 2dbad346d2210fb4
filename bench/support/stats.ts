/** Summary statistics of timings, in the units they were measured in. */

/** The q-quantile (0..1) by linear interpolation between closest ranks (R's type 7, numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const lower = sorted[below] as number;
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return lower + (upper - lower) * (position - below);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error('mean of no values');
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

export interface Summary {
  p50: number;
  p90: number;
  mean: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(values: readonly number[]): Summary {
  return {
    p50: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    mean: mean(values),
    min: Math.min(...values),
    max: Math.max(...values),
    n: values.length,
  };
}
