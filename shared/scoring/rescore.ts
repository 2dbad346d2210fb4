import type { LifecycleStage } from './lifecycle.ts';
import type { AbcTier, ValueTier } from './tiers.ts';

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
