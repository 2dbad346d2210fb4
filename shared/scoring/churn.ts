/**
 * Churn risk: one score in 0..1 from up to four signals, a flag when it crosses the threshold, and the
 * reasons in words an operator can act on. Signals that are unknown for a customer (no model yet, too
 * little history) drop out and the others are reweighted, so a missing signal never reads as "safe".
 */

export interface ChurnSettings {
  threshold: number;
  weights: { notAlive: number; frequencyDrop: number; complaints: number; engagementDrop: number };
  /** A signal is named as a reason at or above this level (0..1). */
  reasonLevel: number;
  /** Complaints in the window that count as the full signal. */
  complaintsForFullSignal: number;
}

export interface ChurnInput {
  /** BG/NBD P(alive); null before a model is fitted or for prospects. */
  probabilityAlive: number | null;
  /** Recent purchase rate over the customer's own long-run rate (see tiers.frequencyTrend); null if unknown. */
  frequencyTrend: number | null;
  recentComplaints: number;
  /** Engagement events (opens, clicks, visits) recently over the customer's earlier rate; null if unknown. */
  engagementTrend: number | null;
  /** The flag as stored before, to report a crossing. */
  previouslyFlagged: boolean;
}

export interface ChurnRisk {
  score: number;
  flagged: boolean;
  reasons: string[];
  /** 'raised' or 'cleared' when the flag changed against the previous state, else null. */
  crossed: 'raised' | 'cleared' | null;
}

const clamp01 = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

export function churnRisk(input: ChurnInput, settings: ChurnSettings): ChurnRisk {
  const signals: { weight: number; level: number; reason: string }[] = [];
  if (input.probabilityAlive !== null) {
    const level = clamp01(1 - input.probabilityAlive);
    signals.push({
      weight: settings.weights.notAlive,
      level,
      reason: `probability still active is ${pct(clamp01(input.probabilityAlive))}`,
    });
  }
  if (input.frequencyTrend !== null) {
    const level = clamp01(1 - input.frequencyTrend);
    signals.push({
      weight: settings.weights.frequencyDrop,
      level,
      reason: `purchase frequency down ${pct(level)} against their own history`,
    });
  }
  const complaints = Math.max(0, input.recentComplaints);
  signals.push({
    weight: settings.weights.complaints,
    level: clamp01(complaints / settings.complaintsForFullSignal),
    reason: `${complaints} recent complaint${complaints === 1 ? '' : 's'}`,
  });
  if (input.engagementTrend !== null) {
    const level = clamp01(1 - input.engagementTrend);
    signals.push({
      weight: settings.weights.engagementDrop,
      level,
      reason: `engagement down ${pct(level)}`,
    });
  }
  let weight = 0;
  let sum = 0;
  for (const s of signals) {
    weight += s.weight;
    sum += s.weight * s.level;
  }
  const score = weight > 0 ? clamp01(sum / weight) : 0;
  const flagged = score >= settings.threshold;
  const reasons = signals
    .filter((s) => s.weight > 0 && s.level > 0 && s.level >= settings.reasonLevel)
    .sort((p, q) => q.weight * q.level - p.weight * p.level)
    .map((s) => s.reason);
  const crossed = flagged === input.previouslyFlagged ? null : flagged ? 'raised' : 'cleared';
  return { score, flagged, reasons, crossed };
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}
