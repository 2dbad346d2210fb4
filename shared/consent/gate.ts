import { readCustomer } from '../customers/service.ts';
import type { Channel, ConsentStatus } from '../store/entities/consent.ts';
import type { Frequency } from '../store/entities/contact-preferences.ts';
import type { SuppressionReason } from '../store/entities/suppression.ts';
import { store } from '../store/service.ts';
import { readFrequency } from './service.ts';
import { allRead, normalizeAddress, suppressionOf } from './suppression.ts';
import { topicsByName } from './topics.ts';

/**
 * The one question sending code asks: may this customer get this message on this channel now?
 *
 * Rules, first match wins (the decision table in test/unit/consent-gate.test.ts):
 *  1. An erased customer gets nothing (`customer_erased`); an unknown one neither (`unknown_customer`).
 *  2. No address on the channel, nothing to send to (`no_address`). Email and SMS use the profile's
 *     email and phone; push tokens and webhook URLs are not on the profile, so the caller passes them.
 *  3. Suppression beats everything, consent included (`suppressed:<reason>`): a bounced address stays
 *     bounced whoever opts in with it.
 *  4. A topic must be declared and offered on the channel (`unknown_topic`, `topic_not_on_channel`).
 *  5. Opting out of a channel (topic `*`) stops every topic on it, service notices too (`opted_out`).
 *  6. A record for the topic decides next: opted_out beats a channel-level opt-in (`opted_out`),
 *     pending waits for the double opt-in click (`pending_confirmation`), opted_in allows (`ok`).
 *  7. Without a topic record, the channel-level record decides: opted_in covers every topic of the
 *     channel, service notices included (`ok`); pending waits (`pending_confirmation`).
 *  8. No record at all: the topic's `defaultStatus`. Marketing topics default to opted_out — explicit
 *     opt-in required, as China's PIPL and the GDPR expect for promotions — and service topics to
 *     opted_in (implied by the relationship); a topic may declare either. `*` itself has no default:
 *     asking about the bare channel without any record is `no_consent`.
 */
export type GateReason =
  | 'ok'
  | 'no_consent'
  | 'opted_out'
  | 'pending_confirmation'
  | `suppressed:${SuppressionReason}`
  | 'no_address'
  | 'customer_erased'
  | 'unknown_customer'
  | 'unknown_topic'
  | 'topic_not_on_channel';

export interface GateDecision {
  allowed: boolean;
  reason: GateReason;
  /** Where to send, when allowed (or when only consent is missing): the normalized address. */
  address?: string;
  /** Which record allowed it: `topic`, `channel` or `default` (implied by the topic's defaultStatus). */
  basis?: 'topic' | 'channel' | 'default';
  /** The customer's preferred frequency, for the frequency caps of the send gate. */
  frequency?: Frequency;
  at: string;
}

export interface TopicRule {
  kind: 'marketing' | 'service';
  channels: readonly Channel[];
  defaultStatus: 'opted_in' | 'opted_out';
}

export interface GateFacts {
  customer: 'present' | 'erased' | 'missing';
  address?: string | undefined;
  suppression?: SuppressionReason | undefined;
  /** The declared topic; undefined when the topic is not declared (ignored for `*`). */
  topicRule?: TopicRule | undefined;
  channelStatus?: ConsentStatus | undefined;
  topicStatus?: ConsentStatus | undefined;
  frequency?: Frequency | undefined;
}

export interface GateQuestion {
  customerId: string;
  channel: Channel;
  /** `*` or omitted asks about the channel as a whole. */
  topic?: string;
  /** Push token or webhook URL; email and SMS addresses come from the profile. */
  address?: string;
  /**
   * The instant the answer is for, stamped on the decision (default now). Consent is always read as it
   * stands: a send scheduled for later asks again when it goes out.
   */
  at?: Date;
}

/** The decision itself, without I/O. */
export function decide(question: GateQuestion, facts: GateFacts): GateDecision {
  const at = (question.at ?? new Date()).toISOString();
  const topic = question.topic ?? '*';
  const deny = (reason: GateReason): GateDecision => ({
    allowed: false,
    reason,
    at,
    ...(facts.address &&
      reason !== 'no_address' &&
      !reason.startsWith('suppressed') && { address: facts.address }),
  });
  if (facts.customer === 'erased') return { allowed: false, reason: 'customer_erased', at };
  if (facts.customer === 'missing') return { allowed: false, reason: 'unknown_customer', at };
  if (!facts.address) return deny('no_address');
  if (facts.suppression) return deny(`suppressed:${facts.suppression}`);
  if (topic !== '*') {
    if (!facts.topicRule) return deny('unknown_topic');
    if (!facts.topicRule.channels.includes(question.channel)) return deny('topic_not_on_channel');
  }
  if (facts.channelStatus === 'opted_out') return deny('opted_out');
  const allow = (basis: 'topic' | 'channel' | 'default'): GateDecision => ({
    allowed: true,
    reason: 'ok',
    address: facts.address as string,
    basis,
    ...(facts.frequency && { frequency: facts.frequency }),
    at,
  });
  if (topic !== '*' && facts.topicStatus) {
    if (facts.topicStatus === 'opted_out') return deny('opted_out');
    if (facts.topicStatus === 'pending') return deny('pending_confirmation');
    return allow('topic');
  }
  if (facts.channelStatus === 'opted_in') return allow('channel');
  if (facts.channelStatus === 'pending') return deny('pending_confirmation');
  if (topic !== '*' && facts.topicRule?.defaultStatus === 'opted_in') return allow('default');
  return deny('no_consent');
}

/**
 * Loads the facts for one question and decides. Every read is strongly consistent, so an unsubscribe
 * or a suppression written a moment ago is seen by the very next send.
 */
export async function mayContact(question: GateQuestion): Promise<GateDecision> {
  const { customerId, channel } = question;
  const topic = question.topic ?? '*';
  const s = store().entities;
  const [customer, consents, frequency, topics] = await Promise.all([
    readCustomer(customerId),
    s.consent
      .get([{ customerId, channel, topic: '*' }, ...(topic === '*' ? [] : [{ customerId, channel, topic }])])
      .go({ consistent: true }),
    readFrequency(customerId),
    topicsByName(),
  ]);
  if (!customer) {
    const erasure = await s.erasure.get({ customerId }).go({ consistent: true });
    return decide(question, { customer: erasure.data ? 'erased' : 'missing' });
  }
  const address =
    channel === 'email'
      ? customer.email
      : channel === 'sms'
        ? customer.phone
        : question.address && normalizeAddress(channel, question.address, 'address');
  const suppression = address ? await suppressionOf(channel, address) : undefined;
  const read = allRead(consents, 'consents');
  const statusOf = (t: string) => read.find((c) => c.topic === t)?.status;
  return decide(question, {
    customer: 'present',
    address,
    suppression: suppression?.reason,
    topicRule: topics.get(topic),
    channelStatus: statusOf('*'),
    topicStatus: topic === '*' ? undefined : statusOf(topic),
    frequency,
  });
}
