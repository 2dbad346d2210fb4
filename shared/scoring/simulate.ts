import type { BgNbdParams, GammaGammaParams, RfmSummary } from './clv.ts';
import { betaSample, gammaSample, seededRandom } from './numeric.ts';

/**
 * Customer bases drawn from the models themselves, for parameter-recovery tests and the model-fit
 * benchmark: if the fit cannot find the parameters that generated the data, it cannot be trusted on
 * real data. Seeded, so every run draws the same base.
 */

export interface SimulationOptions {
  customers: number;
  seed: number;
  /** Observation length of each customer, drawn uniformly in [min, max] periods. */
  observed: { min: number; max: number };
  /**
   * Round times to whole days (periods of `periodDays`), as summaries built from dated orders are;
   * omitted, times stay continuous, exactly as the model assumes.
   */
  periodDays?: number;
}

/**
 * BG/NBD: each customer buys as a Poisson process of rate lambda ~ Gamma(r, alpha) and, after each
 * repeat purchase, drops out with probability p ~ Beta(a, b). Values, when spend parameters are given,
 * follow Gamma-Gamma: a customer's mean nu ~ Gamma(q, gamma) and each purchase ~ Gamma(p, nu).
 */
export function simulateCustomers(
  model: BgNbdParams,
  spend: GammaGammaParams | null,
  options: SimulationOptions,
): RfmSummary[] {
  const random = seededRandom(options.seed);
  const round = (t: number) =>
    options.periodDays === undefined ? t : Math.floor(t * options.periodDays) / options.periodDays;
  const out: RfmSummary[] = [];
  for (let i = 0; i < options.customers; i++) {
    const T = round(options.observed.min + random() * (options.observed.max - options.observed.min));
    const lambda = gammaSample(random, model.r) / model.alpha;
    const dropout = betaSample(random, model.a, model.b);
    let t = 0;
    let x = 0;
    let tx = 0;
    let lastDay = 0;
    for (;;) {
      t += -Math.log(1 - random()) / lambda;
      if (!(t <= T)) break;
      const rounded = round(t);
      // Two purchases on one day are one occasion, as in a summary built from dated orders.
      if (rounded !== lastDay) {
        x++;
        tx = rounded;
        lastDay = rounded;
      }
      if (random() < dropout) break;
    }
    let monetary = 0;
    if (spend && x > 0) {
      const nu = gammaSample(random, spend.q) / spend.gamma;
      let sum = 0;
      for (let k = 0; k < x; k++) sum += gammaSample(random, spend.p) / nu;
      monetary = sum / x;
    }
    out.push({ x, tx, T, monetary });
  }
  return out;
}
