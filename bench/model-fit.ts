import { fitBgNbd, fitGammaGamma } from '../shared/scoring/clv.ts';
import { simulateCustomers } from '../shared/scoring/simulate.ts';
import { parseOptions, UsageError } from './support/args.ts';
import { fixed, resultLine, table } from './support/report.ts';

/**
 * model-fit: fits BG/NBD and Gamma-Gamma on simulated customer bases of two sizes and compares the fit
 * times. Fitting is one pass over the (grouped) customers per likelihood evaluation, so time should grow
 * about linearly with the base. Target: (time(large) / time(small)) / (large / small) <= 1.5.
 *
 * The bases are drawn from the models (seeded) at day resolution, as summaries built from dated orders
 * are: customers observed for up to two years, times in weeks rounded to whole days. Drawing the base is
 * not timed; grouping identical rows is, since every real fit pays it.
 */

const RATIO_TARGET = 1.5;
const TRUTH = { r: 0.25, alpha: 4.5, a: 0.8, b: 2.4 };
const SPEND = { p: 6, q: 3.8, gamma: 15 };

const defaults = {
  /** Customers in the small base. */
  small: 100_000,
  /** Customers in the large base (the 1M); e.g. --large 200000 --small 20000 for a quick run. */
  large: 1_000_000,
  seed: 1997,
};

interface Measured {
  customers: number;
  ms: number;
  bgMs: number;
  ggMs: number;
  bgRows: number;
  ggRows: number;
  bgIterations: number;
  bgEvaluations: number;
  ggIterations: number;
  ggEvaluations: number;
  params: string;
}

function measure(customers: number, seed: number): Measured {
  const base = simulateCustomers(TRUTH, SPEND, {
    customers,
    seed,
    observed: { min: 1, max: 104 },
    periodDays: 7,
  });
  const start = performance.now();
  const bg = fitBgNbd(base);
  const middle = performance.now();
  const gg = fitGammaGamma(base);
  const end = performance.now();
  const { r, alpha, a, b } = bg.params;
  const { p, q, gamma } = gg.params;
  return {
    customers,
    ms: end - start,
    bgMs: middle - start,
    ggMs: end - middle,
    bgRows: bg.distinctRows,
    ggRows: gg.distinctRows,
    bgIterations: bg.iterations,
    bgEvaluations: bg.evaluations,
    ggIterations: gg.iterations,
    ggEvaluations: gg.evaluations,
    params: [r, alpha, a, b, p, q, gamma].map((v) => fixed(v, 3)).join('/'),
  };
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, defaults);
  if (options.large <= options.small) throw new UsageError('--large must be more than --small');
  // A small untimed fit first: JIT warm-up would otherwise land on the small base alone.
  measure(Math.min(10_000, options.small), options.seed + 1);
  const small = measure(options.small, options.seed);
  const large = measure(options.large, options.seed);
  const scale = options.large / options.small;
  const ratio = large.ms / small.ms / scale;
  // Per likelihood evaluation, in case the two fits needed different numbers of iterations.
  const perEvaluation = (m: Measured) => m.bgMs / m.bgEvaluations;
  const ratioPerEvaluation = perEvaluation(large) / perEvaluation(small) / scale;
  console.log(
    table(
      [
        'customers',
        'fit ms',
        'bg ms',
        'gg ms',
        'bg rows',
        'gg rows',
        'bg iter',
        'bg evals',
        'gg iter',
        'gg evals',
      ],
      [small, large].map((m) => [
        m.customers,
        fixed(m.ms),
        fixed(m.bgMs),
        fixed(m.ggMs),
        m.bgRows,
        m.ggRows,
        m.bgIterations,
        m.bgEvaluations,
        m.ggIterations,
        m.ggEvaluations,
      ]),
    ),
  );
  console.log(`true r/alpha/a/b/p/q/gamma: ${[...Object.values(TRUTH), ...Object.values(SPEND)].join('/')}`);
  console.log(`fitted (small): ${small.params}`);
  console.log(`fitted (large): ${large.params}`);
  console.log(
    resultLine(
      'model-fit',
      { ratio, target: RATIO_TARGET },
      {
        small_customers: small.customers,
        large_customers: large.customers,
        small_fit_ms: fixed(small.ms),
        large_fit_ms: fixed(large.ms),
        small_bg_iterations: small.bgIterations,
        large_bg_iterations: large.bgIterations,
        small_gg_iterations: small.ggIterations,
        large_gg_iterations: large.ggIterations,
        small_bg_rows: small.bgRows,
        large_bg_rows: large.bgRows,
        ratio_per_evaluation: fixed(ratioPerEvaluation),
      },
    ),
  );
}
