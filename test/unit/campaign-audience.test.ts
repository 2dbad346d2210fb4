import { describe, expect, it } from 'vitest';
import { chooseVariant, inHoldout, unitHash } from '../../shared/campaigns/audience.ts';
import { campaignActionParams, campaignCreateSchema } from '../../shared/campaigns/schema.ts';
import { firstRunAt, nextOccurrence } from '../../shared/campaigns/service.ts';

const ids = Array.from({ length: 20_000 }, (_, i) => `01K${String(i).padStart(23, '0')}`);

describe('audience hashing', () => {
  it('puts the same customer in the same holdout and variant every time, and spreads by weight', () => {
    // Prepare
    const variants = [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 3 },
      { id: 'vip', weight: 1, tiers: ['A'] },
    ];

    // Act
    const first = ids.map((id) => chooseVariant('C1', id, 'B', variants)?.id);
    const again = ids.map((id) => chooseVariant('C1', id, 'B', variants)?.id);
    const held = ids.filter((id) => inHoldout('C1', id, 10)).length;
    const tierA = new Set(ids.slice(0, 500).map((id) => chooseVariant('C1', id, 'A', variants)?.id));
    const share = first.filter((v) => v === 'b').length / ids.length;

    // Assess
    expect(again).toEqual(first);
    expect(tierA).toEqual(new Set(['vip']));
    expect(first).not.toContain('vip');
    expect(share).toBeGreaterThan(0.72);
    expect(share).toBeLessThan(0.78);
    expect(held / ids.length).toBeGreaterThan(0.09);
    expect(held / ids.length).toBeLessThan(0.11);
    expect(unitHash('C1', ids[0] as string, 'x')).not.toBe(unitHash('C2', ids[0] as string, 'x'));
  });

  it('gives no variant to a tier that only tier-specific variants exclude', () => {
    expect(chooseVariant('C1', 'X', 'B', [{ id: 'vip', weight: 1, tiers: ['A'] }])).toBeUndefined();
  });
});

describe('campaign input', () => {
  const valid = {
    name: 'Spring',
    channels: ['sms', 'email'],
    audience: { include: ['01K00000000000000000000000'] },
    variants: [{ id: 'a', content: { sms: { body: 'hi' }, email: { subject: 's', text: 't' } } }],
    schedule: { kind: 'now' },
  };

  it('accepts a valid draft and fills defaults', () => {
    const parsed = campaignCreateSchema.parse(valid);
    expect(parsed.audience).toEqual({
      include: ['01K00000000000000000000000'],
      exclude: [],
      holdoutPercent: 0,
    });
    expect(parsed.variants[0]).toMatchObject({ weight: 1, locale: 'en' });
  });

  it('names the field: content missing for a channel, repeated variant ids, bad schedule, bad action', () => {
    // Act
    const result = campaignCreateSchema.safeParse({
      ...valid,
      variants: [
        { id: 'a', content: { sms: { body: 'hi' } } },
        { id: 'a', content: { sms: { body: 'x' }, email: { subject: 's' } } },
      ],
      schedule: { kind: 'local', date: '2026-12-01', time: '25:00' },
    });
    const action = campaignActionParams.safeParse({
      campaignId: '01K00000000000000000000000',
      action: 'launch',
    });

    // Assess
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('/')) ?? [];
    expect(paths).toEqual(
      expect.arrayContaining(['variants/0/content/email', 'variants/1/id', 'schedule/time']),
    );
    expect(action.success).toBe(false);
  });
});

describe('schedules', () => {
  const now = new Date('2026-11-23T05:00:00Z');

  it('starts a local-time send when the first zone (UTC+14) reaches it, and never in the past', () => {
    expect(
      firstRunAt({ kind: 'local', date: '2026-12-01', time: '10:00', defaultTimeZone: 'UTC' }, now),
    ).toEqual(new Date('2026-11-30T20:00:00Z'));
    expect(
      firstRunAt({ kind: 'local', date: '2026-11-23', time: '10:00', defaultTimeZone: 'UTC' }, now),
    ).toEqual(now);
  });

  it('gives each recurring occurrence its own time and stops at endAt', () => {
    const schedule = {
      kind: 'recurring' as const,
      expression: 'rate(1 day)',
      startAt: '2026-11-23T10:00:00Z',
      endAt: '2026-11-25T10:00:00Z',
    };
    const first = firstRunAt(schedule, now);
    const second = nextOccurrence(schedule, first);
    const third = second && nextOccurrence(schedule, second);
    expect(first.toISOString()).toBe('2026-11-23T10:00:00.000Z');
    expect(second?.toISOString()).toBe('2026-11-24T10:00:00.000Z');
    expect(third?.toISOString()).toBe('2026-11-25T10:00:00.000Z');
    expect(third && nextOccurrence(schedule, third)).toBeUndefined();
    expect(nextOccurrence({ kind: 'now' }, now)).toBeUndefined();
  });
});
