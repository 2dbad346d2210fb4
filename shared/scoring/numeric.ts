/**
 * Numerical building blocks for the scoring models: log-gamma, the Gaussian hypergeometric function,
 * a Nelder-Mead minimizer, a numerical Hessian, a seeded PRNG and gamma/beta samplers. All pure and
 * deterministic; kept here rather than taken from a library because each is short, the models need
 * control over their precision, and the available packages are either unmaintained or pull in a whole
 * numerics suite for one function.
 */

// Lanczos coefficients for g = 7, n = 9 (Numerical Recipes 3rd ed. / Boost): about 15 correct digits
// over the positive reals, which the likelihoods need since they subtract log-gammas of large arguments.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0 (and by reflection for non-integer x < 0.5). */
export function lnGamma(x: number): number {
  if (x < 0.5) {
    // Reflection keeps the series in the region where it is accurate.
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln(e^a + e^b) without overflow; -Infinity stands for a zero term. */
export function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const max = Math.max(a, b);
  return max + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * Gauss's hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1 by its power series. The BG/NBD
 * conditional expectation calls it with z = t / (alpha + T + t), below 1 for any finite horizon; the
 * terms shrink like z^n, so the loop stops when a term no longer changes the sum, and fails loudly
 * (rather than returning a wrong number) if that takes absurdly long.
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (!(z >= 0 && z < 1)) throw new RangeError(`hyp2f1 needs 0 <= z < 1, got ${z}`);
  let term = 1;
  let sum = 1;
  for (let n = 0; n < 1_000_000; n++) {
    term *= (((a + n) * (b + n)) / ((c + n) * (n + 1))) * z;
    sum += term;
    if (Math.abs(term) <= 1e-15 * Math.abs(sum)) return sum;
  }
  throw new RangeError(`hyp2f1(${a}, ${b}; ${c}; ${z}) did not converge`);
}

export interface MinimizeResult {
  x: number[];
  value: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  /**
   * The search stopped because the best value had stopped improving (see MinimizeOptions.stall) while
   * the simplex still moved: the objective is flat along a ridge that runs off to infinity.
   */
  stalled: boolean;
}

export interface MinimizeOptions {
  /** Stop when the simplex's values differ by less than this (absolute, plus relative to the best). */
  tolerance?: number;
  maxIterations?: number;
  /** Initial step along each axis. */
  step?: number;
  /**
   * Also stop when the best value improved by less than `tolerance` (absolute, plus relative to the
   * best) over the last `window` iterations. A likelihood whose supremum lies at infinity (two
   * parameters growing together with their ratio fixed) has no minimum for the simplex to shrink onto:
   * the search crawls along the ridge, each step gaining less, until maxIterations. Off by default.
   */
  stall?: { window: number; tolerance: number };
}

/**
 * Nelder-Mead with the dimension-adaptive coefficients of Gao and Han (2012), which behave better than
 * the classic ones beyond two or three parameters. Derivative-free on purpose: the likelihoods are cheap
 * to evaluate but their gradients (digamma of sums, derivatives of 2F1) are not, and the parameter
 * counts are tiny. Restarts once from the best point, which catches a simplex that collapsed early.
 * A non-finite objective value is treated as +Infinity, so the search backs off from invalid regions.
 */
export function nelderMead(
  f: (x: readonly number[]) => number,
  start: readonly number[],
  options: MinimizeOptions = {},
): MinimizeResult {
  const tolerance = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 5000;
  const first = nelderMeadOnce(f, start, tolerance, maxIterations, options.step ?? 0.5, options.stall, 0, 0);
  // A stalled search is on a ridge: restarting would crawl along it again.
  if (first.stalled) return first;
  return nelderMeadOnce(
    f,
    first.x,
    tolerance,
    maxIterations,
    0.1,
    options.stall,
    first.iterations,
    first.evaluations,
  );
}

function nelderMeadOnce(
  f: (x: readonly number[]) => number,
  start: readonly number[],
  tolerance: number,
  maxIterations: number,
  step: number,
  stall: MinimizeOptions['stall'],
  iterationsSoFar: number,
  evaluationsSoFar: number,
): MinimizeResult {
  const n = start.length;
  const alpha = 1;
  const beta = 1 + 2 / n;
  const gamma = 0.75 - 1 / (2 * n);
  const delta = 1 - 1 / n;
  let evaluations = evaluationsSoFar;
  const value = (x: readonly number[]) => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  };
  const simplex: { x: number[]; v: number }[] = [{ x: [...start], v: value(start) }];
  for (let i = 0; i < n; i++) {
    const x = [...start];
    x[i] = (x[i] as number) + step;
    simplex.push({ x, v: value(x) });
  }
  const at = (i: number) => simplex[i] as { x: number[]; v: number };
  let iterations = 0;
  let converged = false;
  let stalled = false;
  let windowStart = Number.POSITIVE_INFINITY;
  for (; iterations < maxIterations; iterations++) {
    simplex.sort((p, q) => p.v - q.v);
    const best = at(0);
    const worst = at(n);
    if (Math.abs(worst.v - best.v) <= tolerance * (1 + Math.abs(best.v))) {
      converged = true;
      break;
    }
    if (stall && iterations % stall.window === 0) {
      if (windowStart - best.v <= stall.tolerance * (1 + Math.abs(best.v))) {
        stalled = true;
        break;
      }
      windowStart = best.v;
    }
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) centroid[j] = (centroid[j] as number) + (at(i).x[j] as number) / n;
    const along = (t: number) => centroid.map((c, j) => c + t * (c - (worst.x[j] as number)));
    const reflected = along(alpha);
    const vr = value(reflected);
    if (vr < best.v) {
      const expanded = along(alpha * beta);
      const ve = value(expanded);
      simplex[n] = ve < vr ? { x: expanded, v: ve } : { x: reflected, v: vr };
      continue;
    }
    if (vr < at(n - 1).v) {
      simplex[n] = { x: reflected, v: vr };
      continue;
    }
    const outside = vr < worst.v;
    const contracted = along(outside ? alpha * gamma : -gamma);
    const vc = value(contracted);
    if (vc < (outside ? vr : worst.v)) {
      simplex[n] = { x: contracted, v: vc };
      continue;
    }
    for (let i = 1; i <= n; i++) {
      const x = at(i).x.map((xi, j) => (best.x[j] as number) + delta * (xi - (best.x[j] as number)));
      simplex[i] = { x, v: value(x) };
    }
  }
  simplex.sort((p, q) => p.v - q.v);
  return {
    x: at(0).x,
    value: at(0).v,
    iterations: iterationsSoFar + iterations,
    evaluations,
    converged,
    stalled,
  };
}

/** Central-difference Hessian, for standard errors of maximum-likelihood estimates. */
export function hessian(f: (x: readonly number[]) => number, x: readonly number[], h = 1e-4): number[][] {
  const n = x.length;
  const shifted = (i: number, di: number, j: number, dj: number) => {
    const y = [...x];
    y[i] = (y[i] as number) + di;
    y[j] = (y[j] as number) + dj;
    return f(y);
  };
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v =
        (shifted(i, h, j, h) - shifted(i, h, j, -h) - shifted(i, -h, j, h) + shifted(i, -h, j, -h)) /
        (4 * h * h);
      (out[i] as number[])[j] = v;
      (out[j] as number[])[i] = v;
    }
  }
  return out;
}

/** Inverse of a small symmetric positive-definite matrix by Gauss-Jordan with partial pivoting. */
export function invert(matrix: readonly (readonly number[])[]): number[][] {
  const n = matrix.length;
  const a = matrix.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  const row = (i: number) => a[i] as number[];
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(row(r)[col] as number) > Math.abs(row(pivot)[col] as number)) pivot = r;
    if (Math.abs(row(pivot)[col] as number) < 1e-300) throw new RangeError('matrix is singular');
    [a[col], a[pivot]] = [row(pivot), row(col)];
    const p = row(col)[col] as number;
    for (let j = 0; j < 2 * n; j++) row(col)[j] = (row(col)[j] as number) / p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = row(r)[col] as number;
      for (let j = 0; j < 2 * n; j++) row(r)[j] = (row(r)[j] as number) - factor * (row(col)[j] as number);
    }
  }
  return a.map((r) => r.slice(n));
}

/** mulberry32: a small, fast, seeded generator; the same seed gives the same stream on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Standard normal by Box-Muller; 1 - u keeps the logarithm away from zero. */
export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, scale 1) by Marsaglia and Tsang (2000), boosted for shape < 1. */
export function gammaSample(random: () => number, shape: number): number {
  if (shape < 1) return gammaSample(random, shape + 1) * (1 - random()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function betaSample(random: () => number, a: number, b: number): number {
  const x = gammaSample(random, a);
  return x / (x + gammaSample(random, b));
}
