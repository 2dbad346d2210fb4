import { cdf, type Digest } from './sketch.ts';

/**
 * Tiers: ABC by share of contribution (Pareto), and high-value / potential / ordinary by rule.
 */

export type AbcTier = 'A' | 'B' | 'C';

export interface AbcShares {
  /** The customers who together make the first `a` of revenue, biggest first, are A (e.g. 0.8). */
  a: number;
  /** Those making up to `b` of it (e.g. 0.95) are B; the rest are C. */
  b: number;
}

export interface AbcCutoffs {
  /** Least revenue that is still A; Infinity when nobody has revenue. */
  aMin: number;
  bMin: number;
}

/**
 * Revenue cut-offs from the revenue distribution (a digest; built from every customer's revenue, exact
 * when small). Walks the centroids from the biggest down, accumulating revenue (mean x weight), and
 * stops where the share is reached: the centroid that crosses the share is the last one in the tier, so
 * the customer who takes the total past 80% is still A, as in the usual definition.
 */
export function abcCutoffs(revenue: Digest, shares: AbcShares): AbcCutoffs {
  const descending = [...revenue.centroids].filter((c) => c.mean > 0).reverse();
  let total = 0;
  for (const c of descending) total += c.mean * c.weight;
  if (total <= 0) return { aMin: Number.POSITIVE_INFINITY, bMin: Number.POSITIVE_INFINITY };
  let running = 0;
  let aMin = Number.POSITIVE_INFINITY;
  let bMin = Number.POSITIVE_INFINITY;
  for (const c of descending) {
    const before = running / total;
    running += c.mean * c.weight;
    if (before < shares.a) aMin = c.mean;
    if (before < shares.b) bMin = c.mean;
  }
  return { aMin, bMin };
}

export function abcTier(revenue: number, cutoffs: AbcCutoffs): AbcTier {
  if (revenue > 0 && revenue >= cutoffs.aMin) return 'A';
  if (revenue > 0 && revenue >= cutoffs.bMin) return 'B';
  return 'C';
}

export type ValueTier = 'high-value' | 'potential' | 'ordinary';

/** Rules as data; any condition of a tier makes it (checked high-value first). */
export interface ValueTierRules {
  highValue: {
    /** ABC tiers that count as high value outright. */
    abc: AbcTier[];
    /** Predicted CLV at or above this percentile of the base (0.9 = top decile). */
    predictedClvPercentile: number;
  };
  potential: {
    /** Predicted CLV at or above this percentile ... */
    predictedClvPercentile: number;
    /** ... while historical value is below this percentile: worth more ahead than behind. */
    historicalBelowPercentile: number;
    /** Or: purchase rate of the recent window over the own long-run rate at least this (rising). */
    frequencyTrend: number;
    /** Purchase occasions needed before a trend means anything. */
    minPurchasesForTrend: number;
  };
}

export interface ValueTierInput {
  abc: AbcTier;
  predictedClv: number;
  historicalClv: number;
  /** Recent purchase rate over long-run rate; 1 is steady, null when there is too little history. */
  frequencyTrend: number | null;
  purchaseDays: number;
}

export interface ValuePopulation {
  predictedClv: Digest;
  historicalClv: Digest;
}

export function valueTier(
  customer: ValueTierInput,
  population: ValuePopulation,
  rules: ValueTierRules,
): { tier: ValueTier; reasons: string[] } {
  const predictedRank = cdf(population.predictedClv, customer.predictedClv);
  const historicalRank = cdf(population.historicalClv, customer.historicalClv);
  const high: string[] = [];
  if (rules.highValue.abc.includes(customer.abc)) high.push(`ABC tier ${customer.abc}`);
  if (customer.predictedClv > 0 && predictedRank >= rules.highValue.predictedClvPercentile) {
    high.push(`predicted CLV in the top ${pct(1 - rules.highValue.predictedClvPercentile)}`);
  }
  if (high.length > 0) return { tier: 'high-value', reasons: high };
  const potential: string[] = [];
  if (
    customer.predictedClv > 0 &&
    predictedRank >= rules.potential.predictedClvPercentile &&
    historicalRank < rules.potential.historicalBelowPercentile
  ) {
    potential.push('predicted CLV high while historical value is low');
  }
  if (
    customer.frequencyTrend !== null &&
    customer.purchaseDays >= rules.potential.minPurchasesForTrend &&
    customer.frequencyTrend >= rules.potential.frequencyTrend
  ) {
    potential.push(`purchase frequency rising (x${customer.frequencyTrend.toFixed(1)})`);
  }
  if (potential.length > 0) return { tier: 'potential', reasons: potential };
  return { tier: 'ordinary', reasons: [] };
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/**
 * Recent purchase rate over the customer's own long-run rate: orders in the last `windowDays`
 * against what their average since the first purchase predicts for that long. Null while the history
 * is shorter than two windows, since then "recent" and "long-run" are mostly the same days.
 */
export function frequencyTrend(input: {
  orders: number;
  recentOrders: number;
  tenureDays: number;
  windowDays: number;
}): number | null {
  if (input.tenureDays < 2 * input.windowDays || input.orders <= 0) return null;
  const expected = (input.orders / input.tenureDays) * input.windowDays;
  return expected > 0 ? input.recentOrders / expected : null;
}

/**
 * Historical CLV is the net revenue to date; its share of the base's total says how much of the
 * business rides on this customer. Zero, not NaN, when the base has no revenue yet.
 */
export function contributionShare(revenue: number, totalRevenue: number): number {
  return totalRevenue > 0 && revenue > 0 ? revenue / totalRevenue : 0;
}
