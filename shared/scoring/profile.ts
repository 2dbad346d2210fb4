import { readAggregate } from './aggregate-store.ts';
import { emptyPurchaseState, type PurchaseState, purchaseMetrics } from './aggregates.ts';
import type { CustomerScores } from './rescore.ts';
import { scoringSettings } from './settings-store.ts';

/**
 * The read-only `computed` part of a customer view: purchase figures evaluated now (rolling windows move
 * with the clock, so they are computed at read time from the stored fold) and the scores of the last
 * rescoring run. Read from the aggregate item, so it never touches the profile's version or ETag.
 */

const DAY_MS = 86_400_000;

export type ComputedView = {
  currency: string;
  orders: number;
  revenue: number;
  averageOrderValue: number;
  purchaseDays: number;
  firstPurchaseDate: string | null;
  lastPurchaseDate: string | null;
  daysSinceLastPurchase: number | null;
  windows: Record<string, { orders: number; revenue: number }>;
  scores?: CustomerScores;
  updatedAt?: string;
};

const dateOf = (day: number | null) =>
  day === null ? null : new Date(day * DAY_MS).toISOString().slice(0, 10);

export function computedFrom(
  state: PurchaseState,
  settings: { currency: string; windowDays: readonly number[] },
  now = Date.now(),
): Omit<ComputedView, 'scores' | 'updatedAt'> {
  const m = purchaseMetrics(state, now, settings.windowDays);
  return {
    currency: settings.currency,
    orders: m.orders,
    revenue: m.revenue,
    averageOrderValue: Math.round(m.averageOrderValue * 100) / 100,
    purchaseDays: m.purchaseDays,
    firstPurchaseDate: dateOf(m.firstPurchaseDay),
    lastPurchaseDate: dateOf(m.lastPurchaseDay),
    daysSinceLastPurchase: m.daysSinceLastPurchase,
    windows: m.windows,
  };
}

/** A customer without purchases gets zeros and nulls, never NaN or a missing block. */
export async function computedView(customerId: string): Promise<ComputedView> {
  const [aggregate, settings] = await Promise.all([readAggregate(customerId), scoringSettings()]);
  const state = (aggregate?.state as PurchaseState | undefined) ?? emptyPurchaseState();
  return {
    ...computedFrom(state, { currency: settings.currency.base, windowDays: settings.aggregates.windowDays }),
    ...(aggregate?.scores !== undefined && { scores: aggregate.scores as CustomerScores }),
    ...(aggregate && { updatedAt: aggregate.updatedAt }),
  };
}
