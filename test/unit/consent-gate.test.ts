import { describe, expect, it } from 'vitest';
import { decide, type GateFacts, type GateQuestion, type TopicRule } from '../../shared/consent/gate.ts';

const promotions: TopicRule = { kind: 'marketing', channels: ['email', 'sms'], defaultStatus: 'opted_out' };
const orders: TopicRule = { kind: 'service', channels: ['email', 'sms', 'push'], defaultStatus: 'opted_in' };
const surveysImplied: TopicRule = { kind: 'marketing', channels: ['email'], defaultStatus: 'opted_in' };
const present: GateFacts = { customer: 'present', address: 'li.na@example.com' };
const at = new Date('2026-11-23T08:00:00Z');

type Row = [string, GateQuestion['topic'], Partial<GateFacts>, boolean, string, GateFacts['topicRule']?];

/** The decision table of shared/consent/gate.ts, one row per rule and per interplay between rules. */
const rows: Row[] = [
  ['an erased customer', 'promotions', { customer: 'erased' }, false, 'customer_erased'],
  ['an unknown customer', 'promotions', { customer: 'missing' }, false, 'unknown_customer'],
  [
    'no address on the channel',
    'promotions',
    { address: undefined, topicStatus: 'opted_in' },
    false,
    'no_address',
  ],
  [
    'suppression beats an opt-in',
    'promotions',
    { suppression: 'hard_bounce', topicStatus: 'opted_in', channelStatus: 'opted_in' },
    false,
    'suppressed:hard_bounce',
  ],
  [
    'suppression beats a service default',
    'orders',
    { suppression: 'complaint' },
    false,
    'suppressed:complaint',
    orders,
  ],
  ['an undeclared topic', 'promotions', { topicStatus: 'opted_in' }, false, 'unknown_topic', undefined],
  [
    'a topic not offered on the channel',
    'orders',
    {},
    false,
    'topic_not_on_channel',
    { ...orders, channels: ['sms'] },
  ],
  [
    'channel opt-out stops a topic opt-in',
    'promotions',
    { channelStatus: 'opted_out', topicStatus: 'opted_in' },
    false,
    'opted_out',
  ],
  [
    'channel opt-out stops service notices',
    'orders',
    { channelStatus: 'opted_out' },
    false,
    'opted_out',
    orders,
  ],
  [
    'topic opt-out beats channel opt-in',
    'promotions',
    { channelStatus: 'opted_in', topicStatus: 'opted_out' },
    false,
    'opted_out',
  ],
  ['topic opt-in allows', 'promotions', { topicStatus: 'opted_in' }, true, 'ok'],
  [
    'topic pending waits for the click',
    'promotions',
    { topicStatus: 'pending', channelStatus: 'opted_in' },
    false,
    'pending_confirmation',
  ],
  ['channel opt-in covers a topic without a record', 'promotions', { channelStatus: 'opted_in' }, true, 'ok'],
  ['channel opt-in covers service notices', 'orders', { channelStatus: 'opted_in' }, true, 'ok', orders],
  ['channel pending waits', 'promotions', { channelStatus: 'pending' }, false, 'pending_confirmation'],
  ['no record: promotions need explicit opt-in', 'promotions', {}, false, 'no_consent'],
  ['no record: service notices are implied', 'orders', {}, true, 'ok', orders],
  ['no record: a marketing topic may declare implied consent', 'surveys', {}, true, 'ok', surveysImplied],
  [
    'no record: a service topic may require opt-in',
    'orders',
    {},
    false,
    'no_consent',
    { ...orders, defaultStatus: 'opted_out' },
  ],
  ['the bare channel with no record', '*', {}, false, 'no_consent', undefined],
  ['the bare channel opted in', '*', { channelStatus: 'opted_in' }, true, 'ok', undefined],
  ['the bare channel opted out', '*', { channelStatus: 'opted_out' }, false, 'opted_out', undefined],
  [
    'the bare channel ignores undeclared topics',
    undefined,
    { channelStatus: 'opted_in' },
    true,
    'ok',
    undefined,
  ],
];

describe('mayContact decision table', () => {
  it.each(rows)('%s', (_, topic, facts, allowed, reason, ...rule) => {
    // Prepare
    const topicRule = rule.length > 0 ? rule[0] : promotions;
    const question: GateQuestion = { customerId: 'C', channel: 'email', topic, at };

    // Act
    const decision = decide(question, { ...present, topicRule, ...facts });

    // Assess
    expect(decision).toMatchObject({ allowed, reason, at: at.toISOString() });
  });

  it('names the address and the record that allowed it, and carries the preferred frequency', () => {
    // Act
    const decision = decide(
      { customerId: 'C', channel: 'email', topic: 'promotions' },
      { ...present, topicRule: promotions, channelStatus: 'opted_in', frequency: 'weekly' },
    );

    // Assess
    expect(decision).toMatchObject({ address: 'li.na@example.com', basis: 'channel', frequency: 'weekly' });
  });

  it('does not reveal a suppressed address', () => {
    // Act
    const decision = decide(
      { customerId: 'C', channel: 'email', topic: 'promotions' },
      { ...present, topicRule: promotions, suppression: 'manual' },
    );

    // Assess
    expect(decision.address).toBeUndefined();
  });
});
