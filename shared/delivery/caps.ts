import type { Channel } from '../store/entities/consent.ts';
import type { Frequency } from '../store/entities/contact-preferences.ts';
import { type CapPeriods, capPeriods } from './clock.ts';
import type { CapLimit } from './contract.ts';
import type { DeliverySettings } from './settings.ts';

/**
 * Which counters a send must fit under, as pure data: the gate turns each into a conditional ADD in the
 * reservation's transaction. A counter key names its scope and its period in the customer's zone, so a
 * day is a calendar day there however long it is (23 or 25 hours across DST).
 */
export interface CapCheck {
  /** The counter's key under the customer: `<scope>#<period>`, e.g. `ch:email#D2026-11-23`. */
  key: string;
  limit: number;
  /** What the ledger records when it is full: `cap_reached:<name>`, e.g. `email:day`. */
  name: string;
  /** Epoch seconds after which the counter can go: the period is over everywhere by then. */
  expiresAt: number;
}

export interface CapInput {
  channel: Channel;
  instant: number;
  timeZone: string;
  /** The customer's tier (profile `tier`), for the settings' per-tier caps. */
  tier?: string | undefined;
  /** The customer's preferred frequency: weekly or monthly add a cap of 1 across channels. */
  frequency?: Frequency | undefined;
  overrides?: Partial<Record<Channel, CapLimit>> | undefined;
  group?: { key: string; limit: CapLimit } | undefined;
}

/** The channel's limits: the campaign's override, else the tier's, else the stage's. */
export function channelLimits(settings: DeliverySettings, input: CapInput): CapLimit {
  const { channel, tier, overrides } = input;
  return (
    overrides?.[channel] ??
    (tier ? settings.tierCaps[tier]?.[channel] : undefined) ??
    settings.caps[channel] ??
    {}
  );
}

const DAY_S = 86_400;

/** Expiry of a counter: its period plus two days of slack for the zones furthest ahead and behind. */
function expiry(instant: number, days: number): number {
  return Math.floor(instant / 1000) + (days + 2) * DAY_S;
}

export function capChecks(settings: DeliverySettings, input: CapInput): CapCheck[] {
  const periods: CapPeriods = capPeriods(input.instant, input.timeZone);
  const checks: CapCheck[] = [];
  const add = (scope: string, name: string, limit: CapLimit) => {
    if (limit.day !== undefined)
      checks.push({
        key: `${scope}#D${periods.day}`,
        limit: limit.day,
        name: `${name}:day`,
        expiresAt: expiry(input.instant, 1),
      });
    if (limit.week !== undefined)
      checks.push({
        key: `${scope}#W${periods.week}`,
        limit: limit.week,
        name: `${name}:week`,
        expiresAt: expiry(input.instant, 7),
      });
  };
  add(`ch:${input.channel}`, input.channel, channelLimits(settings, input));
  if (input.group) add(`grp:${input.group.key}`, `group:${input.group.key}`, input.group.limit);
  if (input.frequency === 'weekly') add('freq', 'frequency', { week: 1 });
  if (input.frequency === 'monthly')
    checks.push({
      key: `freq#M${periods.month}`,
      limit: 1,
      name: 'frequency:month',
      expiresAt: expiry(input.instant, 31),
    });
  return checks;
}

/**
 * The first check a set of counters leaves no room under, or undefined when the send fits. The gate
 * answers from DynamoDB's cancellation reasons instead; this is the same rule for the in-memory model
 * of the property test and for callers that already hold the counts.
 */
export function firstFull(checks: CapCheck[], counts: ReadonlyMap<string, number>): CapCheck | undefined {
  return checks.find((c) => (counts.get(c.key) ?? 0) >= c.limit);
}
