import {
  fingerprintOf,
  type PurchaseMetrics,
  type PurchaseState,
  purchaseMetrics,
  rfmSummaryOf,
} from './aggregates.ts';
import { churnRisk } from './churn.ts';
import {
  type BgNbdParams,
  fitBgNbd,
  fitGammaGamma,
  type GammaGammaParams,
  predictiveClv,
  probabilityAlive,
  type RfmSummary,
} from './clv.ts';
import { type LifecycleStage, lifecycleStage } from './lifecycle.ts';
import {
  mergeRfmPopulations,
  type RfmCutPoints,
  type RfmInput,
  type RfmPopulation,
  rfmCutPoints,
  rfmPopulationOf,
  scoreRfm,
} from './rfm.ts';
import { discountPerStep, type ScoringSettings } from './settings.ts';
import { cdf, type Digest, digestOf, mergeDigests } from './sketch.ts';
import {
  type AbcCutoffs,
  type AbcTier,
  abcCutoffs,
  abcTier,
  contributionShare,
  frequencyTrend,
  type ValueTier,
  valueTier,
} from './tiers.ts';

/**
 * Rescoring, the pure part: pass 1 measures pages of customers into mergeable parts, `settle` merges
 * them and fits the models, pass 2 scores each customer against the result.
 */

/** What a rescoring run stores per customer, on the aggregate item (read-only through the API). */
export interface CustomerScores {
  runId: string;
  scoredAt: string;
  rfm: { recency: number; frequency: number; monetary: number; fm: number; group: string };
  abc: AbcTier;
  valueTier: ValueTier;
  valueTierReasons: string[];
  lifecycle: { stage: LifecycleStage; sinceDay: number };
  clv: {
    historical: number;
    contributionShare: number;
    predicted: number;
    /** 1..10 by predicted CLV against the base; 0 for a customer the model has nothing to say about. */
    decile: number;
    probabilityAlive: number | null;
  };
  churn: { score: number; flagged: boolean; reasons: string[] };
}

/** What pass 1 learns about one page of customers; parts merge into the population. */
export interface PopulationPart {
  rfm: RfmPopulation;
  revenue: Digest;
  totalRevenue: number;
  customers: number;
  /** Bottom-k by id fingerprint: a uniform sample that merges across pages. [fingerprint, x, tx, T, m]. */
  sample: [number, number, number, number, number][];
}

/** What pass 2 scores every customer against. */
export interface Population {
  cuts: RfmCutPoints;
  abc: AbcCutoffs;
  revenue: Digest;
  predictedClv: Digest;
  totalRevenue: number;
  customers: number;
}

export interface FittedModel {
  bgnbd: BgNbdParams;
  gammaGamma: GammaGammaParams | null;
  customers: number;
  periodDays: number;
  fittedAt: string;
  converged: boolean;
}

/** Fit sample per run at most: bounds the fit's time and the pass-1 items that carry it. */
export const FIT_SAMPLE = 20_000;
const DAY_MS = 86_400_000;

function rfmInputOf(metrics: PurchaseMetrics): RfmInput {
  return {
    recencyDays: metrics.daysSinceLastPurchase,
    frequency: metrics.purchaseDays,
    monetary: metrics.revenue,
  };
}

export function measure(
  customers: { customerId: string; state: PurchaseState }[],
  settings: ScoringSettings,
  now: number,
  sampleSize: number,
): PopulationPart {
  const inputs: RfmInput[] = [];
  const revenues: number[] = [];
  let totalRevenue = 0;
  let sample: PopulationPart['sample'] = [];
  for (const { customerId, state } of customers) {
    const metrics = purchaseMetrics(state, now, []);
    inputs.push(rfmInputOf(metrics));
    if (metrics.revenue > 0) revenues.push(metrics.revenue);
    totalRevenue += metrics.revenue;
    const summary = rfmSummaryOf(state, now, settings.clv.periodDays);
    if (summary) sample.push([fingerprintOf(customerId), summary.x, summary.tx, summary.T, summary.monetary]);
  }
  sample = bottomK(sample, sampleSize);
  return {
    rfm: rfmPopulationOf(inputs, settings.rfm.compression),
    revenue: digestOf(revenues, settings.rfm.compression),
    totalRevenue,
    customers: customers.length,
    sample,
  };
}

function bottomK<T extends [number, ...number[]]>(rows: T[], k: number): T[] {
  return rows.sort((p, q) => p[0] - q[0]).slice(0, k);
}

/** Merges the parts, fits the models on the sample and derives the cut points. */
export function settle(
  parts: PopulationPart[],
  settings: ScoringSettings,
  now: number,
): { population: Population; model: FittedModel | null } {
  const compression = settings.rfm.compression;
  const rfm = mergeRfmPopulations(
    parts.map((p) => p.rfm),
    compression,
  );
  const revenue = mergeDigests(
    parts.map((p) => p.revenue),
    compression,
  );
  const sampleSize = Math.min(FIT_SAMPLE, settings.clv.maxFitCustomers);
  const rows: RfmSummary[] = bottomK(
    parts.flatMap((p) => p.sample),
    sampleSize,
  ).map(([, x, tx, T, monetary]) => ({ x, tx, T, monetary }));
  let model: FittedModel | null = null;
  // Without repeat buyers the likelihood is flat: no model rather than a meaningless one.
  if (rows.filter((r) => r.x > 0).length >= 2) {
    const bg = fitBgNbd(rows);
    let gammaGamma: GammaGammaParams | null = null;
    try {
      gammaGamma = fitGammaGamma(rows).params;
    } catch {
      gammaGamma = null;
    }
    model = {
      bgnbd: bg.params,
      gammaGamma,
      customers: rows.length,
      periodDays: settings.clv.periodDays,
      fittedAt: new Date(now).toISOString(),
      converged: bg.converged,
    };
  }
  const predicted = model ? rows.map((r) => predictedClvOf(model, r, settings)) : [];
  return {
    population: {
      cuts: rfmCutPoints(rfm, settings.rfm.bins),
      abc: abcCutoffs(revenue, settings.abc),
      revenue,
      predictedClv: digestOf(
        predicted.filter((v) => v > 0),
        compression,
      ),
      totalRevenue: parts.reduce((sum, p) => sum + p.totalRevenue, 0),
      customers: parts.reduce((sum, p) => sum + p.customers, 0),
    },
    model,
  };
}

function predictedClvOf(model: FittedModel, summary: RfmSummary, settings: ScoringSettings): number {
  if (!model.gammaGamma) return 0;
  const period = model.periodDays;
  return predictiveClv(model.bgnbd, model.gammaGamma, summary, {
    horizon: settings.clv.horizonDays / period,
    stepPeriods: settings.clv.stepDays / period,
    discountRate: discountPerStep(settings.clv.discountRate, settings.clv.stepDays),
  });
}

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

/** One customer's scores against the population. Pure; `previous` carries lifecycle and churn state. */
export function scoreCustomer(
  state: PurchaseState,
  previous: CustomerScores | undefined,
  context: {
    population: Population;
    model: FittedModel | null;
    settings: ScoringSettings;
    now: number;
    runId: string;
  },
): CustomerScores {
  const { population, model, settings, now } = context;
  const windows = [...settings.aggregates.windowDays].sort((a, b) => a - b);
  const trendWindow = windows[Math.floor(windows.length / 2)] ?? 90;
  const metrics = purchaseMetrics(state, now, [trendWindow]);
  const today = Math.floor(now / DAY_MS);
  const rfm = scoreRfm(rfmInputOf(metrics), population.cuts, settings.rfm.segments);
  const abc = abcTier(metrics.revenue, population.abc);
  const summary = rfmSummaryOf(state, now, settings.clv.periodDays);
  const predicted = model && summary ? predictedClvOf(model, summary, settings) : 0;
  const alive = model && summary ? probabilityAlive(model.bgnbd, summary) : null;
  const decile =
    predicted > 0 && population.predictedClv.count > 0
      ? Math.min(10, Math.max(1, Math.ceil(cdf(population.predictedClv, predicted) * 10)))
      : 0;
  const trend =
    metrics.firstPurchaseDay === null
      ? null
      : frequencyTrend({
          orders: metrics.purchaseDays,
          recentOrders: metrics.windows[String(trendWindow)]?.orders ?? 0,
          tenureDays: today - metrics.firstPurchaseDay,
          windowDays: trendWindow,
        });
  const value = valueTier(
    {
      abc,
      predictedClv: predicted,
      historicalClv: metrics.revenue,
      frequencyTrend: trend,
      purchaseDays: metrics.purchaseDays,
    },
    { predictedClv: population.predictedClv, historicalClv: population.revenue },
    settings.valueTiers,
  );
  const lifecycle = lifecycleStage(
    {
      purchaseDays: metrics.purchaseDays,
      lastPurchaseDay: metrics.lastPurchaseDay,
      today,
      previous: previous?.lifecycle ?? null,
    },
    settings.lifecycle,
  );
  const churn = churnRisk(
    {
      probabilityAlive: alive,
      frequencyTrend: trend,
      // Complaints and engagement come from modules not built yet; unknown signals drop out.
      recentComplaints: 0,
      engagementTrend: null,
      previouslyFlagged: previous?.churn.flagged ?? false,
    },
    settings.churn,
  );
  return {
    runId: context.runId,
    scoredAt: new Date(now).toISOString(),
    rfm: {
      recency: rfm.recency,
      frequency: rfm.frequency,
      monetary: rfm.monetary,
      fm: rfm.fm,
      group: rfm.segment,
    },
    abc,
    valueTier: value.tier,
    valueTierReasons: value.reasons,
    lifecycle,
    clv: {
      historical: metrics.revenue,
      contributionShare: round(contributionShare(metrics.revenue, population.totalRevenue), 6),
      predicted: round(predicted),
      decile,
      probabilityAlive: alive === null ? null : round(alive, 4),
    },
    churn: { score: round(churn.score, 4), flagged: churn.flagged, reasons: churn.reasons },
  };
}

/** The scores that matter for "changed": everything but the run's own id and time. */
export function sameScores(a: CustomerScores | undefined, b: CustomerScores): boolean {
  if (!a) return false;
  const strip = ({ runId: _r, scoredAt: _s, ...rest }: CustomerScores) => rest;
  return canonical(strip(a)) === canonical(strip(b));
}

/** JSON with object keys sorted: DynamoDB gives map attributes back in no particular key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : 1)))
      : v,
  );
}

/** The bucket a customer counts in, per reported dimension. */
export function dimensionsOf(scores: CustomerScores, churnThreshold: number): Record<Dimension, string> {
  const risk =
    scores.churn.score >= churnThreshold
      ? 'high'
      : scores.churn.score >= churnThreshold / 2
        ? 'medium'
        : 'low';
  return {
    rfmGroup: scores.rfm.group,
    tier: scores.abc,
    valueTier: scores.valueTier,
    lifecycle: scores.lifecycle.stage,
    clvDecile: scores.clv.decile === 0 ? 'none' : String(scores.clv.decile),
    churnRisk: risk,
  };
}

export const DIMENSIONS = ['rfmGroup', 'tier', 'valueTier', 'lifecycle', 'clvDecile', 'churnRisk'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
