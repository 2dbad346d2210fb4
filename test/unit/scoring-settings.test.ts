import { describe, expect, it } from 'vitest';
import { zodIssuesToFieldErrors } from '../../shared/platform/validation.ts';
import {
  defaultScoringSettings,
  discountPerStep,
  scoringSettingsSchema,
} from '../../shared/scoring/settings.ts';

function errorsOf(input: unknown) {
  const result = scoringSettingsSchema.safeParse(input);
  return result.success ? [] : zodIssuesToFieldErrors(result.error.issues, '');
}

describe('scoring settings', () => {
  it('fills a complete retail configuration from nothing', () => {
    // Act
    const settings = defaultScoringSettings();
    // Assess
    expect(settings.rfm.bins).toBe(5);
    expect(settings.rfm.segments).toHaveLength(11);
    expect(settings.abc).toEqual({ a: 0.8, b: 0.95 });
    expect(settings.aggregates.windowDays).toEqual([30, 90, 365]);
    expect(settings.lifecycle).toEqual({
      atRiskDays: 90,
      lapsedDays: 365,
      loyalMinPurchases: 5,
      reactivatedDays: 90,
    });
    expect(settings.clv.discountRate).toBe(0.1);
    expect(settings.schedule.fit).toBe('cron(0 3 ? * SUN *)');
  });

  it('keeps the defaults of the fields a partial object leaves out', () => {
    // Act
    const settings = scoringSettingsSchema.parse({
      lifecycle: { atRiskDays: 60 },
      currency: { base: 'CNY', rates: { USD: 7.1 } },
    });
    // Assess
    expect(settings.lifecycle.atRiskDays).toBe(60);
    expect(settings.lifecycle.lapsedDays).toBe(365);
    expect(settings.currency).toEqual({ base: 'CNY', rates: { USD: 7.1 } });
  });

  it('names every bad field with a precise message', () => {
    // Act
    const errors = errorsOf({
      currency: { base: 'yuan', rates: { USD: -1 } },
      rfm: { bins: 11 },
      abc: { a: 0.9, b: 0.8 },
      lifecycle: { atRiskDays: 400, lapsedDays: 365 },
      aggregates: { windowDays: [30, 0] },
      churn: { threshold: 1.5, weights: { notAlive: 0, frequencyDrop: 0, complaints: 0, engagementDrop: 0 } },
      clustering: { kMin: 6, kMax: 3 },
      schedule: { fit: 'every sunday' },
      colour: 'blue',
    });
    // Assess
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: 'currency.base', message: 'must be an ISO 4217 currency code such as CNY' },
        { path: 'currency.rates.USD', message: 'must be a rate above 0' },
        { path: 'rfm.bins', message: 'must be at most 10' },
        { path: 'abc.b', message: 'needs 0 < a < b < 1 (shares of revenue for A and A+B)' },
        { path: 'lifecycle.lapsedDays', message: 'must be more than atRiskDays' },
        { path: 'aggregates.windowDays[1]', message: 'must be at least 1 day' },
        { path: 'churn.threshold', message: 'threshold must be at most 1' },
        { path: 'churn.weights', message: 'must not all be zero' },
        { path: 'clustering.kMax', message: 'must be at least kMin' },
        {
          path: 'schedule.fit',
          message: 'must be a schedule expression such as rate(1 day) or cron(0 3 ? * SUN *)',
        },
        { path: 'colour', message: 'is not a known field' },
      ]),
    );
  });

  it('requires a segment map to cover every cell when the bin count changes', () => {
    // Act
    const errors = errorsOf({ rfm: { bins: 3 } });
    const custom = errorsOf({
      rfm: {
        bins: 3,
        segments: [
          { name: 'Best', recency: [3, 3], fm: [1, 3] },
          { name: 'Rest', recency: [1, 2], fm: [1, 3] },
        ],
      },
    });
    // Assess: the 5-bin default map uses scores beyond 3.
    expect(errors[0]?.path).toMatch(/^rfm\.segments/);
    expect(errors.map((e) => e.message).join(' ')).toMatch(/within 1\.\.3/);
    expect(custom).toEqual([]);
    expect(errorsOf({ rfm: { segments: [{ name: 'All', recency: [1, 4], fm: [1, 5] }] } })).toEqual([
      {
        path: 'rfm.segments',
        message:
          'must cover every recency x FM cell of 5 bins; none covers R5/FM1, R5/FM2, R5/FM3, R5/FM4, R5/FM5',
      },
    ]);
  });

  it('detailDays must cover the longest rolling window', () => {
    expect(errorsOf({ aggregates: { windowDays: [30, 365], detailDays: 200 } })).toEqual([
      { path: 'aggregates.detailDays', message: 'must be at least the longest window' },
    ]);
  });

  it('turns the yearly discount rate into a rate per step', () => {
    expect(discountPerStep(0.1, 365)).toBeCloseTo(0.1, 12);
    expect((1 + discountPerStep(0.1, 30)) ** (365 / 30)).toBeCloseTo(1.1, 12);
  });
});
