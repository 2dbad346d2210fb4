import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sesEventDetail } from '../../events/schemas/index.ts';
import { DEFAULT_WINDOW, lastTouch } from '../../shared/results/attribution.ts';
import { applyFeedback, type Feedback, type OutcomeState } from '../../shared/results/outcome.ts';
import { refFromTags, refTags } from '../../shared/results/ref.ts';
import { sesFeedback } from '../../shared/results/ses.ts';
import {
  chiSquare,
  chiSquareUpperTail,
  compareArms,
  normalUpperTail,
  twoProportionZ,
} from '../../shared/results/significance.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 20, 1, minute)).toISOString();

/** Folds feedback into an outcome the way recordFeedback stores it. */
function fold(feedback: Feedback[]): OutcomeState & { counts: Record<string, number> } {
  let state: OutcomeState = {};
  const counts: Record<string, number> = {};
  for (const f of feedback) {
    const change = applyFeedback(state, f);
    for (const m of change.newMetrics) counts[m] = (counts[m] ?? 0) + 1;
    state = {
      status: change.status,
      statusAt: change.statusAt,
      counted: [...(state.counted ?? []), ...change.newMetrics],
      openedAt: change.openedAt,
      lastOpenAt: change.lastOpenAt,
      lastClickAt: change.lastClickAt,
    };
  }
  return { ...state, counts };
}

function sample(name: string) {
  const event = JSON.parse(readFileSync(`events/samples/ses/${name}.json`, 'utf8'));
  return sesEventDetail.parse(event.detail);
}

describe('message outcome status', () => {
  it('never moves back: a late delivery after a hard bounce leaves it bounced', () => {
    // Act
    const result = fold([
      { kind: 'send', at: at(0) },
      { kind: 'hard_bounce', at: at(2) },
      { kind: 'delivery', at: at(1) },
    ]);
    // Assess
    expect(result.status).toBe('bounced');
    expect(result.statusAt).toBe(at(2));
    expect(result.counts).toEqual({ sent: 1, bounced: 1, delivered: 1 });
  });

  it('counts each metric once however often the same feedback comes', () => {
    // Act
    const result = fold([
      { kind: 'delivery', at: at(1) },
      { kind: 'open', at: at(5) },
      { kind: 'open', at: at(5) },
      { kind: 'open', at: at(9) },
      { kind: 'click', at: at(10) },
      { kind: 'click', at: at(10) },
    ]);
    // Assess
    expect(result.counts).toEqual({ sent: 1, delivered: 1, opened: 1, clicked: 1 });
    expect(result.openedAt).toBe(at(5));
    expect(result.lastOpenAt).toBe(at(9));
    expect(result.lastClickAt).toBe(at(10));
  });

  it('answers a duplicate as no change', () => {
    // Prepare
    const state = fold([{ kind: 'delivery', at: at(1) }]);
    // Act
    const change = applyFeedback(state, { kind: 'delivery', at: at(1) });
    // Assess
    expect(change.changed).toBe(false);
    expect(change.newMetrics).toEqual([]);
  });

  it('lets a complaint follow a delivery and an asynchronous bounce follow a delivery, but not the reverse', () => {
    // Act
    const complained = fold([
      { kind: 'delivery', at: at(1) },
      { kind: 'complaint', at: at(3) },
      { kind: 'hard_bounce', at: at(4) },
    ]);
    const softThenDelivered = fold([
      { kind: 'delay', at: at(1) },
      { kind: 'soft_bounce', at: at(2) },
      { kind: 'delivery', at: at(3) },
    ]);
    // Assess
    expect(complained.status).toBe('complained');
    expect(softThenDelivered.status).toBe('delivered');
  });

  it('an open raises a message with no delivery event yet to delivered; a click implies the open', () => {
    // Act
    const result = fold([
      { kind: 'send', at: at(0) },
      { kind: 'click', at: at(7) },
    ]);
    // Assess
    expect(result.status).toBe('delivered');
    expect(result.counts).toEqual({ sent: 1, delivered: 1, opened: 1, clicked: 1 });
  });

  it('counts exclusions under their reason and sets no status', () => {
    // Act
    const result = fold([
      { kind: 'target', at: at(0) },
      { kind: 'exclude', reason: 'quiet_hours', at: at(0) },
    ]);
    // Assess
    expect(result.status).toBeUndefined();
    expect(result.counts).toEqual({ targeted: 1, 'excluded:quiet_hours': 1 });
  });
});

describe('significance tests', () => {
  it('the normal and chi-square tails match tabulated values', () => {
    // Assess
    expect(normalUpperTail(1.959963984540054)).toBeCloseTo(0.025, 12);
    expect(normalUpperTail(-1.959963984540054)).toBeCloseTo(0.975, 12);
    expect(normalUpperTail(6)).toBeCloseTo(9.865876450377e-10, 20);
    expect(chiSquareUpperTail(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
    expect(chiSquareUpperTail(5.991464547107979, 2)).toBeCloseTo(0.05, 12);
    expect(chiSquareUpperTail(7.814727903251178, 3)).toBeCloseTo(0.05, 12);
    expect(chiSquareUpperTail(0.5, 4)).toBeCloseTo(0.9735009788392561, 12);
  });

  it('two-proportion z-test: 200/1000 against 250/1000', () => {
    // Act
    const result = twoProportionZ({ trials: 1000, successes: 200 }, { trials: 1000, successes: 250 });
    // Assess
    expect(result?.statistic).toBeCloseTo(-2.677397763008329, 10);
    expect(result?.pValue).toBeCloseTo(0.007419649261025693, 10);
  });

  it('chi-square over three variants, and equal to z squared for two', () => {
    // Prepare
    const a = { trials: 1000, successes: 100 };
    const b = { trials: 1000, successes: 120 };
    const c = { trials: 1000, successes: 150 };
    // Act
    const three = compareArms([a, b, c]);
    const two = chiSquare([a, c]);
    const z = twoProportionZ(a, c);
    // Assess
    expect(three?.test).toBe('chi-square');
    expect(three?.df).toBe(2);
    expect(three?.statistic).toBeCloseTo(11.715137190422361, 9);
    expect(three?.pValue).toBeCloseTo(0.002858184644948818, 10);
    expect(two?.statistic).toBeCloseTo((z?.statistic ?? 0) ** 2, 9);
    expect(two?.pValue).toBeCloseTo(z?.pValue ?? 0, 10);
  });

  it('answers nothing when a test is undefined (no trials, no successes at all)', () => {
    // Assess
    expect(twoProportionZ({ trials: 0, successes: 0 }, { trials: 10, successes: 1 })).toBeUndefined();
    expect(
      chiSquare([
        { trials: 10, successes: 0 },
        { trials: 10, successes: 0 },
      ]),
    ).toBeUndefined();
  });
});

describe('last-touch attribution window', () => {
  const order = '2026-11-23T12:00:00.000Z';
  const hoursBefore = (h: number) => new Date(Date.parse(order) - h * 3_600_000).toISOString();
  const window = () => DEFAULT_WINDOW;

  it('credits a click within 72 hours and an open within 24, the latest qualifying one', () => {
    // Prepare
    const messages = [
      { source: 'campaign:A', lastClickAt: hoursBefore(70) },
      { source: 'campaign:B', lastOpenAt: hoursBefore(20) },
      { source: 'campaign:C', lastOpenAt: hoursBefore(30) },
    ];
    // Act
    const best = lastTouch(messages, order, window);
    // Assess
    expect(best?.message.source).toBe('campaign:B');
    expect(best?.touch).toBe('open');
  });

  it('leaves out touches outside their window and after the order', () => {
    // Prepare
    const messages = [
      { source: 'campaign:A', lastClickAt: hoursBefore(73) },
      { source: 'campaign:B', lastOpenAt: hoursBefore(25) },
      { source: 'campaign:C', lastClickAt: hoursBefore(-1) },
    ];
    // Act & Assess
    expect(lastTouch(messages, order, window)).toBeUndefined();
  });

  it('uses the first open when the latest came after the order, and a source’s own window', () => {
    // Prepare
    const messages = [{ source: 'campaign:A', openedAt: hoursBefore(30), lastOpenAt: hoursBefore(-2) }];
    // Act
    const withDefault = lastTouch(messages, order, window);
    const withLonger = lastTouch(messages, order, () => ({ clickHours: 72, openHours: 48 }));
    // Assess
    expect(withDefault).toBeUndefined();
    expect(withLonger?.at).toBe(hoursBefore(30));
  });
});

describe('SES event records', () => {
  it('a permanent bounce is hard and suppresses; a transient one is soft and does not', () => {
    // Act
    const hard = sesFeedback(sample('bounce-permanent'));
    const soft = sesFeedback(sample('bounce-transient'));
    // Assess
    expect(hard).toEqual([
      expect.objectContaining({ address: 'recipient@example.com', suppress: 'hard_bounce' }),
    ]);
    expect(hard[0]?.feedback.kind).toBe('hard_bounce');
    expect(soft[0]?.feedback.kind).toBe('soft_bounce');
    expect(soft[0]?.suppress).toBeUndefined();
  });

  it('maps every sample to its feedback kind, with the SES message id', () => {
    // Prepare
    const expected: Record<string, string> = {
      send: 'send',
      delivery: 'delivery',
      complaint: 'complaint',
      reject: 'reject',
      open: 'open',
      click: 'click',
      'delivery-delay': 'delay',
      'rendering-failure': 'failure',
    };
    // Act
    const kinds = Object.fromEntries(
      Object.keys(expected).map((name) => [name, sesFeedback(sample(name))[0]?.feedback.kind]),
    );
    // Assess
    expect(kinds).toEqual(expected);
    expect(sesFeedback(sample('open'))[0]?.feedback.providerMessageId).toMatch(/^0100019a/);
  });

  it('reads the message reference back from the tags it was sent with', () => {
    // Prepare
    const ref = {
      source: 'campaign:01KAB3QA7WZ0G4XK2C6M1VRT9E',
      customerId: '01KAB3Q8Z5TWHX4M2N7P9R6S0C',
      channel: 'email' as const,
      messageId: '01KAB3QB2N8F5R7TJ9XW4HMZ6D',
      variant: 'B',
      tier: 'A',
      run: undefined,
    };
    // Act
    const tags = Object.fromEntries(Object.entries(refTags(ref)).map(([k, v]) => [k, [v]]));
    const back = refFromTags(tags, 'email');
    const foreign = refFromTags({ 'ses:configuration-set': ['cohort-local'] }, 'email');
    // Assess
    expect(back).toEqual(ref);
    expect(foreign).toBeUndefined();
    expect(refFromTags(sample('send').mail.tags ?? {}, 'email')?.source).toBe(
      'campaign:01KAB3QA7WZ0G4XK2C6M1VRT9E',
    );
  });
});
