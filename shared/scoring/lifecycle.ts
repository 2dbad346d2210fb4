/**
 * Lifecycle stage: where a customer stands in their relationship, from what they bought, when, and the
 * stage they were in before (reactivation is a change, so it needs the previous stage).
 */

export type LifecycleStage = 'prospect' | 'new' | 'active' | 'loyal' | 'at_risk' | 'lapsed' | 'reactivated';

export interface LifecycleThresholds {
  /** No purchase for more than this many days: at risk. */
  atRiskDays: number;
  /** No purchase for more than this many days: lapsed (churned). */
  lapsedDays: number;
  /** Purchase occasions that make a recent buyer loyal. */
  loyalMinPurchases: number;
  /** How long a returning customer stays "reactivated" before the ordinary rules take over. */
  reactivatedDays: number;
}

export interface LifecycleState {
  stage: LifecycleStage;
  /** Epoch day the customer entered the stage. */
  sinceDay: number;
}

export interface LifecycleInput {
  purchaseDays: number;
  lastPurchaseDay: number | null;
  today: number;
  previous: LifecycleState | null;
}

/**
 * Rules in order: no purchase is a prospect; a long gap is lapsed, a shorter one at risk; a purchase
 * after having lapsed is a reactivation, which lasts `reactivatedDays`; otherwise one occasion is new,
 * enough occasions loyal, and anything between active. The stage keeps its `sinceDay` while it holds,
 * so "at risk for 20 days" can be read off it.
 */
export function lifecycleStage(input: LifecycleInput, thresholds: LifecycleThresholds): LifecycleState {
  const stage = stageOf(input, thresholds);
  const previous = input.previous;
  if (previous && previous.stage === stage) return previous;
  const sinceDay =
    stage === 'reactivated' && input.lastPurchaseDay !== null ? input.lastPurchaseDay : input.today;
  return { stage, sinceDay };
}

function stageOf(
  { purchaseDays, lastPurchaseDay, today, previous }: LifecycleInput,
  t: LifecycleThresholds,
): LifecycleStage {
  if (purchaseDays <= 0 || lastPurchaseDay === null) return 'prospect';
  const gap = today - lastPurchaseDay;
  if (gap > t.lapsedDays) return 'lapsed';
  if (gap > t.atRiskDays) return 'at_risk';
  if (previous?.stage === 'lapsed' && lastPurchaseDay >= previous.sinceDay) return 'reactivated';
  if (previous?.stage === 'reactivated' && today - previous.sinceDay < t.reactivatedDays)
    return 'reactivated';
  if (purchaseDays === 1) return 'new';
  if (purchaseDays >= t.loyalMinPurchases) return 'loyal';
  return 'active';
}
