import { type CustomerItem, readCustomer } from '../customers/service.ts';
import type { Channel, ConsentStatus } from '../store/entities/consent.ts';
import type { Frequency } from '../store/entities/contact-preferences.ts';
import type { SuppressionReason } from '../store/entities/suppression.ts';
import { store } from '../store/service.ts';
import { readFrequency } from './service.ts';
import { allRead, normalizeNonPhoneAddress, suppressionsOf } from './suppression.ts';
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
  const { channel, address, ...rest } = question;
  const { decisions } = await mayContactEach({
    ...rest,
    channels: [channel],
    ...(address !== undefined && { addresses: { [channel]: address } }),
  });
  return decisions[0] as GateDecision;
}

export interface GateQuestions extends Omit<GateQuestion, 'channel' | 'address'> {
  /** Several channels of one message (the send gate's channel order), decided with the same reads. */
  channels: readonly Channel[];
  /** Push tokens and webhook URLs by channel. */
  addresses?: Partial<Record<Channel, string>> | undefined;
}

/**
 * The same decision for several channels at once, with one round of reads for all of them: the profile,
 * the consents of every channel (`*` and the topic) in one batch, the preferred frequency, then the
 * suppression entries of every address in one batch. The profile comes back too (time zone and tier
 * for the send gate); it is undefined for an erased or unknown customer.
 */
export async function mayContactEach(
  question: GateQuestions,
): Promise<{ customer: CustomerItem | undefined; decisions: GateDecision[] }> {
  const { customerId } = question;
  const topic = question.topic ?? '*';
  const s = store().entities;
  const [customer, consents, frequency, topics] = await Promise.all([
    readCustomer(customerId),
    s.consent.get(consentKeys(question)).go({ consistent: true }),
    readFrequency(customerId),
    topicsByName([topic]),
  ]);
  const erased = customer ? false : !!(await s.erasure.get({ customerId }).go({ consistent: true })).data;
  const suppressions = customer ? await suppressionsOf(addressesOf(question, customer)) : new Map();
  const decisions = decisionsFrom(question, {
    customer,
    erased,
    consents: allRead(consents, 'consents'),
    frequency,
    topics,
    suppressions,
  });
  return { customer, decisions };
}

/** The consent records a question depends on: the channel's `*` record and the topic's, per channel. */
export function consentKeys(question: GateQuestions) {
  const { customerId, channels } = question;
  const topic = question.topic ?? '*';
  return channels.flatMap((channel) => [
    { customerId, channel, topic: '*' },
    ...(topic === '*' ? [] : [{ customerId, channel, topic }]),
  ]);
}

/** Where each channel of the question would go; throws a ValidationError for a malformed given address. */
function channelAddresses(question: GateQuestions, customer: CustomerItem): (string | undefined)[] {
  return question.channels.map((channel) => {
    if (channel === 'email') return customer.email;
    if (channel === 'sms') return customer.phone;
    const given = question.addresses?.[channel];
    return given && normalizeNonPhoneAddress(channel, given, `addresses.${channel}`);
  });
}

/** The addresses whose suppression entries the decision needs. */
export function addressesOf(question: GateQuestions, customer: CustomerItem) {
  const addresses = channelAddresses(question, customer);
  return question.channels.flatMap((channel, i) =>
    addresses[i] ? [{ channel, address: addresses[i] as string }] : [],
  );
}

/** What the decision is made from, read by `mayContactEach` for one customer or by the send gate for a batch. */
export interface ContactFacts {
  customer: CustomerItem | undefined;
  /** For a customer not found: whether an erasure tombstone says why. */
  erased: boolean;
  consents: readonly { channel: Channel; topic: string; status: ConsentStatus }[];
  frequency: Frequency | undefined;
  topics: ReadonlyMap<string, TopicRule>;
  /** Suppression entries by `<channel>#<address>`. */
  suppressions: ReadonlyMap<string, { reason: SuppressionReason }>;
}

/** Pure: the decision for every channel of the question, from the facts read for it. */
export function decisionsFrom(question: GateQuestions, facts: ContactFacts): GateDecision[] {
  const { channels } = question;
  const topic = question.topic ?? '*';
  const { customer } = facts;
  if (!customer) {
    const gone: GateFacts = { customer: facts.erased ? 'erased' : 'missing' };
    return channels.map((channel) => decide({ ...question, channel }, gone));
  }
  const addresses = channelAddresses(question, customer);
  const statusOf = (channel: Channel, t: string) =>
    facts.consents.find((c) => c.channel === channel && c.topic === t)?.status;
  return channels.map((channel, i) => {
    const address = addresses[i];
    return decide(
      { ...question, channel },
      {
        customer: 'present',
        address,
        suppression: address ? facts.suppressions.get(`${channel}#${address}`)?.reason : undefined,
        topicRule: facts.topics.get(topic),
        channelStatus: statusOf(channel, '*'),
        topicStatus: topic === '*' ? undefined : statusOf(channel, topic),
        frequency: facts.frequency,
      },
    );
  });
}
