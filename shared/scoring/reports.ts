import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../platform/aws.ts';
import { store } from '../store/service.ts';
import { aggregateScanInput } from './aggregate-store.ts';
import { type PurchaseState, purchaseMetrics } from './aggregates.ts';
import { kmeans } from './kmeans.ts';
import type { CustomerScores, Dimension } from './rescore.ts';
import { readScoringSettings } from './settings-store.ts';

/**
 * Reports over the rescoring runs' daily snapshots (one item per day per dimension: "now" is the latest),
 * and clusters of a bounded sample of customers, computed on request.
 */

export async function distribution(of: Dimension) {
  const latest = await store()
    .entities.scoreSnapshot.query.byDay({ dimension: of })
    .go({ order: 'desc', limit: 1 });
  const snap = latest.data[0];
  if (!snap) return { of, day: null, total: 0, counts: {} };
  return {
    of,
    day: snap.day,
    runId: snap.runId,
    total: snap.total,
    counts: snap.counts as Record<string, number>,
  };
}

export async function timeseries(of: Dimension, from: string, to: string) {
  const result = await store()
    .entities.scoreSnapshot.query.byDay({ dimension: of })
    .between({ day: from }, { day: to })
    .go({ pages: 'all' });
  return {
    of,
    items: result.data.map((s) => ({
      day: s.day,
      total: s.total,
      counts: s.counts as Record<string, number>,
    })),
  };
}

/** Customers read for clustering at most: k-means and the silhouette stay well inside a request. */
export const CLUSTER_SAMPLE = 5000;
const FEATURES = ['recencyDays', 'purchaseDays', 'revenue', 'averageOrderValue', 'predictedClv'] as const;

/**
 * k-means over standardized recency, frequency, revenue, order value and predicted CLV of up to
 * CLUSTER_SAMPLE customers with purchases (the first pages of a scan: a sample, not a census). The
 * profiles come back in the original units, so a cluster reads "spends 420, last bought 30 days ago".
 */
export async function clusters(k: number | 'auto') {
  const { settings } = await readScoringSettings();
  const now = Date.now();
  const points: { id: string; features: number[] }[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new ScanCommand({
        ...aggregateScanInput(),
        ...(startKey && { ExclusiveStartKey: startKey }),
      }),
    );
    for (const item of page.Items ?? []) {
      if (points.length >= CLUSTER_SAMPLE) break;
      const m = purchaseMetrics(item.state as PurchaseState, now, []);
      if (m.daysSinceLastPurchase === null) continue;
      const scores = item.scores as CustomerScores | undefined;
      points.push({
        id: String(item.customerId),
        features: [
          m.daysSinceLastPurchase,
          m.purchaseDays,
          m.revenue,
          m.averageOrderValue,
          scores?.clv.predicted ?? 0,
        ],
      });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey && points.length < CLUSTER_SAMPLE);
  const c = settings.clustering;
  const result = kmeans(points, {
    k: k === 'auto' ? { min: c.kMin, max: c.kMax } : k,
    seed: c.seed,
    silhouetteSample: c.silhouetteSample,
  });
  return {
    k: result.k,
    sampled: points.length,
    features: [...FEATURES],
    silhouette: Math.round(result.silhouette * 1000) / 1000,
    clusters: result.profiles.map((p) => ({
      size: p.size,
      centre: Object.fromEntries(FEATURES.map((f, j) => [f, Math.round((p.centre[j] ?? 0) * 100) / 100])),
      typicalMembers: p.typicalMembers,
    })),
  };
}
