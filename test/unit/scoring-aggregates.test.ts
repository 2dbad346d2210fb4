import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnprocessableError, ValidationError } from '../../shared/platform/errors.ts';
import {
  applyPurchase,
  emptyPurchaseState,
  type FoldContext,
  type PurchaseEvent,
  type PurchaseState,
  purchaseMetrics,
  rfmSummaryOf,
} from '../../shared/scoring/aggregates.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-30T12:00:00Z');
const context: FoldContext = {
  now: NOW,
  currency: { base: 'CNY', rates: { USD: 7.1, EUR: 7.8 } },
  futureToleranceMs: 5 * 60_000,
  detailDays: 400,
};

const daysAgo = (n: number) => new Date(NOW - n * DAY).toISOString();
const order = (orderId: string, ago: number, amount: number, currency = 'CNY'): PurchaseEvent => ({
  kind: 'order',
  orderId,
  orderedAt: daysAgo(ago),
  amount,
  currency,
});

function fold(events: readonly PurchaseEvent[], start: PurchaseState = emptyPurchaseState()): PurchaseState {
  return events.reduce((state, event) => applyPurchase(state, event, context).state, start);
}

/** Orders over four years with refunds of some, as generated events (ids unique by construction). */
const history = fc
  .array(
    fc.record({
      ago: fc.integer({ min: 0, max: 1500 }),
      cents: fc.integer({ min: 0, max: 500_000 }),
      refundCents: fc.integer({ min: 0, max: 500_000 }),
      currency: fc.constantFrom('CNY', 'USD', 'EUR'),
    }),
    { maxLength: 40 },
  )
  .map((rows) =>
    rows.flatMap((row, i): PurchaseEvent[] => {
      const placed = order(`o-${i}`, row.ago, row.cents / 100, row.currency);
      const refund = Math.min(row.refundCents, row.cents);
      if (refund === 0) return [placed];
      return [
        placed,
        {
          kind: 'refund',
          refundId: `r-${i}`,
          orderId: `o-${i}`,
          orderedAt: placed.orderedAt,
          amount: refund / 100,
          currency: row.currency,
        },
      ];
    }),
  );

describe('purchase aggregates fold', () => {
  it('ends in the same state whatever the order and however often events are redelivered', () => {
    fc.assert(
      fc.property(history, fc.func(fc.integer()), fc.nat(), (events, key, seed) => {
        // Prepare: a shuffle (sort by a random key) with some events delivered twice or three times.
        const shuffled = [...events, ...events.filter((_, i) => (i + seed) % 3 === 0)]
          .map((e, i) => ({ e, k: key(i) }))
          .sort((p, q) => p.k - q.k)
          .map(({ e }) => e);
        // Act
        const inOrder = fold(events);
        const reordered = fold(shuffled);
        // Assess: buckets are kept sorted, so equal content means equal states.
        expect(reordered).toEqual(inOrder);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps its size bounded by days and months, not by orders, apart from the id fingerprints', () => {
    // Prepare: a heavy buyer with 5 orders a day for five years.
    const events: PurchaseEvent[] = [];
    for (let day = 0; day < 5 * 365; day++) {
      for (let k = 0; k < 5; k++) events.push(order(`o-${day}-${k}`, day, 10));
    }
    // Act
    const state = fold(events);
    // Assess
    expect(state.days.length).toBeLessThanOrEqual(context.detailDays + 1);
    expect(state.months.length).toBeLessThanOrEqual(5 * 12 + 1);
    expect(state.seen).toHaveLength(events.length);
    expect(purchaseMetrics(state, NOW, [30]).orders).toBe(events.length);
    expect(purchaseMetrics(state, NOW, [30]).purchaseDays).toBe(5 * 365);
  });

  it('answers a redelivered id with the same state object, so the caller can skip the write', () => {
    // Prepare
    const once = fold([order('o-1', 3, 20)]);
    // Act
    const again = applyPurchase(once, order('o-1', 3, 20), context);
    // Assess
    expect(again.applied).toBe(false);
    expect(again.state).toBe(once);
  });

  it('computes counts, net revenue, first and last purchase and rolling windows', () => {
    // Prepare: two orders on one day (one occasion), one in USD, a refund, an old order.
    const state = fold([
      order('a', 2, 100),
      order('b', 2, 50),
      order('c', 45, 10, 'USD'),
      { kind: 'refund', refundId: 'ra', orderId: 'a', orderedAt: daysAgo(2), amount: 30, currency: 'CNY' },
      order('d', 500, 200),
    ]);
    // Act
    const metrics = purchaseMetrics(state, NOW, [30, 90, 365]);
    // Assess
    expect(metrics.orders).toBe(4);
    expect(metrics.purchaseDays).toBe(3);
    expect(metrics.revenue).toBeCloseTo(100 + 50 + 71 - 30 + 200, 9);
    expect(metrics.averageOrderValue).toBeCloseTo(391 / 4, 9);
    expect(metrics.windows['30']).toEqual({ orders: 2, revenue: 120 });
    expect(metrics.windows['90']).toEqual({ orders: 3, revenue: 191 });
    expect(metrics.windows['365']).toEqual({ orders: 3, revenue: 191 });
    expect(metrics.daysSinceLastPurchase).toBe(2);
    expect(metrics.firstPurchaseDay).toBe(Math.floor((NOW - 500 * DAY) / DAY));
  });

  it('summarizes for the models with one occasion per day and the first occasion left out of the mean', () => {
    // Prepare
    const state = fold([order('a', 70, 40), order('b', 35, 20), order('c', 35, 10), order('d', 0, 60)]);
    // Act
    const summary = rfmSummaryOf(state, NOW, 7);
    // Assess
    expect(summary).toEqual({ x: 2, tx: 10, T: 10, monetary: 45 });
  });

  it('gives a customer with no orders zeros and nulls, never NaN', () => {
    // Act
    const metrics = purchaseMetrics(emptyPurchaseState(), NOW, [30]);
    // Assess
    expect(metrics).toEqual({
      orders: 0,
      revenue: 0,
      purchaseDays: 0,
      averageOrderValue: 0,
      firstPurchaseDay: null,
      lastPurchaseDay: null,
      daysSinceLastPurchase: null,
      windows: { '30': { orders: 0, revenue: 0 } },
    });
    expect(rfmSummaryOf(emptyPurchaseState(), NOW, 7)).toBeUndefined();
  });

  it('rejects bad input with the field named and leaves the state alone', () => {
    // Prepare
    const state = fold([order('a', 1, 10)]);
    const cases: [PurchaseEvent, string, RegExp][] = [
      [order('neg', 1, -5), 'amount', /refund/],
      [order('fut', -1, 5), 'orderedAt', /future/],
      [order('nan', 1, Number.NaN), 'amount', /finite/],
      [order('', 1, 5), 'orderId', /empty/],
      [{ ...order('bad', 1, 5), orderedAt: 'yesterday' }, 'orderedAt', /ISO 8601/],
      [
        { kind: 'refund', refundId: 'r', orderId: 'a', orderedAt: daysAgo(1), amount: 0, currency: 'CNY' },
        'amount',
        /more than zero/,
      ],
    ];
    for (const [event, path, message] of cases) {
      // Act
      const act = () => applyPurchase(state, event, context);
      // Assess
      expect(act).toThrow(ValidationError);
      try {
        act();
      } catch (error) {
        expect((error as ValidationError).errors[0]?.path).toBe(path);
        expect((error as ValidationError).errors[0]?.message).toMatch(message);
      }
    }
    expect(() => applyPurchase(state, order('jpy', 1, 5, 'JPY'), context)).toThrow(UnprocessableError);
    expect(() => applyPurchase(state, order('jpy', 1, 5, 'JPY'), context)).toThrow(
      /JPY has no exchange rate to CNY/,
    );
    expect(purchaseMetrics(state, NOW, []).orders).toBe(1);
  });

  it('accepts an order a few minutes ahead of the clock (sender skew) but not beyond the tolerance', () => {
    // Act
    const skewed = applyPurchase(
      emptyPurchaseState(),
      { ...order('s', 0, 5), orderedAt: new Date(NOW + 60_000).toISOString() },
      context,
    );
    // Assess
    expect(skewed.applied).toBe(true);
  });

  it('never reports negative revenue when a refund arrives before its order', () => {
    // Act
    const state = fold([
      { kind: 'refund', refundId: 'r', orderId: 'late', orderedAt: daysAgo(3), amount: 40, currency: 'CNY' },
    ]);
    // Assess
    expect(purchaseMetrics(state, NOW, [30]).revenue).toBe(0);
    expect(purchaseMetrics(fold([order('late', 3, 100)], state), NOW, [30]).revenue).toBe(60);
  });
});
