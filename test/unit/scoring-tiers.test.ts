import { describe, expect, it } from 'vitest';
import { churnRisk } from '../../shared/scoring/churn.ts';
import { lifecycleStage } from '../../shared/scoring/lifecycle.ts';
import { defaultScoringSettings } from '../../shared/scoring/settings.ts';
import { digestOf } from '../../shared/scoring/sketch.ts';
import {
  abcCutoffs,
  abcTier,
  contributionShare,
  frequencyTrend,
  valueTier,
} from '../../shared/scoring/tiers.ts';

const settings = defaultScoringSettings();

describe('ABC tiers', () => {
  it('puts the customers making the first 80% of revenue in A, the next 15% in B', () => {
    // Prepare: one customer with 700, one with 200, and ten with 10 each (total 1,000).
    const revenues = [700, 200, ...Array.from({ length: 10 }, () => 10)];
    // Act
    const cutoffs = abcCutoffs(digestOf(revenues), { a: 0.8, b: 0.95 });
    // Assess: 700 (70%) is short of 80%, so 200 is A too; the 10s up to 95% are B.
    expect(abcTier(700, cutoffs)).toBe('A');
    expect(abcTier(200, cutoffs)).toBe('A');
    expect(abcTier(10, cutoffs)).toBe('B');
    expect(abcTier(0, cutoffs)).toBe('C');
    expect(contributionShare(200, 1000)).toBe(0.2);
  });

  it('puts everyone in C when there is no revenue, without NaN', () => {
    // Act
    const cutoffs = abcCutoffs(digestOf([0, 0, 0]), { a: 0.8, b: 0.95 });
    // Assess
    expect(abcTier(0, cutoffs)).toBe('C');
    expect(contributionShare(0, 0)).toBe(0);
  });
});

describe('value tiers', () => {
  const population = {
    predictedClv: digestOf(Array.from({ length: 100 }, (_, i) => i)),
    historicalClv: digestOf(Array.from({ length: 100 }, (_, i) => i)),
  };
  const base = {
    abc: 'C' as const,
    predictedClv: 10,
    historicalClv: 10,
    frequencyTrend: null,
    purchaseDays: 2,
  };

  it('calls A customers and the top predicted decile high-value, with the reason', () => {
    expect(valueTier({ ...base, abc: 'A' }, population, settings.valueTiers)).toEqual({
      tier: 'high-value',
      reasons: ['ABC tier A'],
    });
    expect(valueTier({ ...base, predictedClv: 95 }, population, settings.valueTiers).tier).toBe('high-value');
  });

  it('calls high predicted but low historical value, or a rising frequency, potential', () => {
    expect(
      valueTier({ ...base, predictedClv: 80, historicalClv: 20 }, population, settings.valueTiers).tier,
    ).toBe('potential');
    expect(
      valueTier({ ...base, frequencyTrend: 2, purchaseDays: 4 }, population, settings.valueTiers),
    ).toEqual({
      tier: 'potential',
      reasons: ['purchase frequency rising (x2.0)'],
    });
    expect(
      valueTier({ ...base, frequencyTrend: 2, purchaseDays: 2 }, population, settings.valueTiers).tier,
    ).toBe('ordinary');
  });

  it('measures the frequency trend against the own history, and not before there is enough of it', () => {
    expect(frequencyTrend({ orders: 12, recentOrders: 2, tenureDays: 360, windowDays: 90 })).toBeCloseTo(
      2 / 3,
      9,
    );
    expect(frequencyTrend({ orders: 2, recentOrders: 2, tenureDays: 100, windowDays: 90 })).toBeNull();
  });
});

describe('lifecycle stage', () => {
  const t = settings.lifecycle;
  const today = 20_000;

  it('walks a customer from prospect through new, active, loyal, at risk, lapsed and back', () => {
    // Act
    const prospect = lifecycleStage({ purchaseDays: 0, lastPurchaseDay: null, today, previous: null }, t);
    const fresh = lifecycleStage({ purchaseDays: 1, lastPurchaseDay: today, today, previous: prospect }, t);
    const active = lifecycleStage({ purchaseDays: 2, lastPurchaseDay: today, today, previous: fresh }, t);
    const loyal = lifecycleStage({ purchaseDays: 5, lastPurchaseDay: today, today, previous: active }, t);
    const atRisk = lifecycleStage(
      { purchaseDays: 5, lastPurchaseDay: today, today: today + 100, previous: loyal },
      t,
    );
    const lapsed = lifecycleStage(
      { purchaseDays: 5, lastPurchaseDay: today, today: today + 400, previous: atRisk },
      t,
    );
    const back = lifecycleStage(
      { purchaseDays: 6, lastPurchaseDay: today + 410, today: today + 410, previous: lapsed },
      t,
    );
    const still = lifecycleStage(
      { purchaseDays: 6, lastPurchaseDay: today + 410, today: today + 450, previous: back },
      t,
    );
    const settled = lifecycleStage(
      { purchaseDays: 6, lastPurchaseDay: today + 410, today: today + 501, previous: still },
      t,
    );
    // Assess
    expect(
      [prospect, fresh, active, loyal, atRisk, lapsed, back, still, settled].map((s) => s.stage),
    ).toEqual([
      'prospect',
      'new',
      'active',
      'loyal',
      'at_risk',
      'lapsed',
      'reactivated',
      'reactivated',
      'at_risk',
    ]);
    expect(atRisk.sinceDay).toBe(today + 100);
    expect(back.sinceDay).toBe(today + 410);
    expect(still).toBe(back);
  });
});

describe('churn risk', () => {
  const c = settings.churn;
  const calm = {
    probabilityAlive: 0.95,
    frequencyTrend: 1,
    recentComplaints: 0,
    engagementTrend: 1,
    previouslyFlagged: false,
  };

  it('flags a customer who is probably gone and buys less, with the reasons, and reports the crossing', () => {
    // Act
    const risk = churnRisk({ ...calm, probabilityAlive: 0.1, frequencyTrend: 0.2 }, c);
    // Assess
    expect(risk.flagged).toBe(true);
    expect(risk.crossed).toBe('raised');
    expect(risk.reasons).toEqual([
      'probability still active is 10%',
      'purchase frequency down 80% against their own history',
    ]);
  });

  it('leaves a steady customer unflagged and clears a flag once the risk is gone', () => {
    expect(churnRisk(calm, c)).toEqual({
      score: expect.any(Number),
      flagged: false,
      reasons: [],
      crossed: null,
    });
    expect(churnRisk({ ...calm, previouslyFlagged: true }, c).crossed).toBe('cleared');
  });

  it('counts complaints and falling engagement, and leaves unknown signals out rather than as safe', () => {
    // Act
    const unknown = churnRisk(
      {
        probabilityAlive: null,
        frequencyTrend: null,
        recentComplaints: 3,
        engagementTrend: null,
        previouslyFlagged: false,
      },
      c,
    );
    // Assess: complaints are the only signal known, and at full strength.
    expect(unknown.score).toBe(1);
    expect(unknown.reasons).toEqual(['3 recent complaints']);
    expect(Number.isNaN(churnRisk({ ...calm, probabilityAlive: Number.NaN }, c).score)).toBe(false);
  });
});
