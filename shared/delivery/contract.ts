import type { GateReason } from '../consent/gate.ts';
import type { Channel } from '../store/entities/consent.ts';

/**
 * The send gate's contract: the one door every message goes through (campaigns, automations,
 * transactional sends). A sender asks `admit(request)`; only an answer of `send` may call a channel, and
 * it then reports back with `confirmSent(ticket, …)` or `confirmFailed(ticket, …)`. Everything else is
 * already recorded in the ledger with its reason, so the sender has nothing more to write.
 *
 * ```ts
 * const answer = await admit({ source: { kind: 'campaign', id: campaignId }, customerId,
 *   channels: ['push', 'sms', 'email'], topic: 'promotions', addresses: { push: token } });
 * if (answer.outcome === 'send') {
 *   try { const r = await adapter.send(…answer.address…); await confirmSent(answer.ticket, r.providerMessageId); }
 *   catch (e) { await confirmFailed(answer.ticket, { reason: 'channel_rejected', detail: String(e) }); }
 * } else if (answer.outcome === 'defer') requeueAt(answer.deferUntil);   // quiet hours
 * // 'skip' and 'duplicate': nothing to do, the ledger says why
 * ```
 *
 * The ledger holds one entry per (source, customer, channel). Its states:
 *
 * | state      | meaning                                            | what a later `admit` of the same key does                 |
 * | ---------- | -------------------------------------------------- | --------------------------------------------------------- |
 * | (none)     | never asked                                        | decides                                                   |
 * | `skipped`  | not sent, with a reason (consent, cap, quiet hours) | decides again (a deferral comes back at `deferUntil`)     |
 * | `reserved` | allowed, caps counted, channel being called        | `duplicate` (`inDoubt` once the lease has passed)         |
 * | `sent`     | the channel accepted it                            | `duplicate`                                               |
 * | `failed`   | the channel refused it; its cap count given back   | that channel is skipped (`channel_rejected`); the next in the order may be tried |
 *
 * `releaseReservation(ticket, reason)` turns a reservation the channel certainly did not take (throttled,
 * unavailable) back into `skipped`, giving its cap count back, so a redelivery decides again.
 *
 * A request reserves at most one channel of its order: a channel in the order that is already
 * `reserved` or `sent` for the source makes the answer `duplicate`.
 *
 * Channel choice: the order is the sender's; the customer's say comes from consent (an opted-out or
 * unconfirmed channel is skipped with its reason), reachability (no address or token, suppressed) and
 * the preferred frequency from the preference page (weekly or monthly: one message a week or month,
 * across channels). A channel over its cap hands the message to the next one; quiet hours defer the
 * whole message to the time the first usable channel is allowed again. Erased or unknown customers get
 * `skip` with nothing written under their key.
 *
 * Guarantees. Reservation, cap counters and the skip records of the channels before the chosen one are
 * written in one DynamoDB transaction conditioned on the ledger states, so under any concurrency or
 * redelivery at most one reservation exists per (source, customer) and order, and a cap is never
 * exceeded (counters only move with a reservation). The channel call itself cannot be in that
 * transaction: if a sender dies after reserving and before confirming, the entry stays `reserved` and
 * a redelivery answers `duplicate` with `inDoubt: true` once `leaseSeconds` have passed — the message
 * is then delivered at most once (perhaps never). A sender whose channel de-duplicates on its side (a
 * webhook receiving the ledger id as its Idempotency-Key) may pass `inDoubt: 'resend'` to take the
 * reservation over and send again: at least once. Between a successful channel call and
 * `confirmSent` nothing else is lost: exactly once, as long as the sender confirms.
 */

export type SourceKind = 'campaign' | 'automation' | 'transactional';

/** What a message belongs to; `kind:id` is the ledger's source key. */
export interface SendSource {
  kind: SourceKind;
  /** Campaign or automation id (with the occurrence for recurring ones), or a transactional key. */
  id: string;
}

export interface CapLimit {
  /** Messages per calendar day in the customer's time zone. */
  day?: number | undefined;
  /** Messages per ISO week (Monday to Sunday) in the customer's time zone. */
  week?: number | undefined;
}

export interface SendRequest {
  source: SendSource;
  customerId: string;
  /** Channels in order of preference: the first that may be used is used (push, else SMS, else email). */
  channels: readonly Channel[];
  /** Consent topic; `*` or omitted asks about the channel as a whole. */
  topic?: string | undefined;
  /** Push tokens and webhook URLs (email and SMS addresses come from the profile). */
  addresses?: Partial<Record<Channel, string>> | undefined;
  /** Frequency caps: `apply` (default for campaigns and automations) or `exempt` (default for transactional). */
  caps?: 'apply' | 'exempt' | undefined;
  /** Per-campaign limits that replace the stage's (and tier's) per-channel caps for this send. */
  capOverrides?: Partial<Record<Channel, CapLimit>> | undefined;
  /**
   * A cap across sources, e.g. every occurrence of a recurring campaign or every run of an automation:
   * at most `limit` messages of `key` per customer per day/week, whatever the channel.
   */
  group?: { key: string; limit: CapLimit } | undefined;
  /**
   * Quiet hours: `defer` (default) answers `defer` with `deferUntil`; `bypass` sends anyway; `drop`
   * records the message as not sent. Transactional sends follow the settings' `transactional.quietHours`.
   */
  quietHours?: 'defer' | 'bypass' | 'drop' | undefined;
  /** What to do with a reservation left `reserved` past its lease: `duplicate` (default) or `resend`. */
  inDoubt?: 'duplicate' | 'resend' | undefined;
  /** Kept on the ledger entry: template, variant, locale… for results and "why". */
  meta?: Record<string, string> | undefined;
  /** The instant of the decision (default now). */
  at?: Date | undefined;
}

/** Why a channel was not used. Consent reasons come from shared/consent/gate.ts as they are. */
export type SkipReason =
  | Exclude<GateReason, 'ok'>
  | 'quiet_hours'
  | `cap_reached:${string}`
  | 'channel_rejected'
  | 'duplicate';

export interface ChannelSkip {
  channel: Channel;
  reason: SkipReason;
  /** For quiet hours: when the channel may be used. */
  deferUntil?: string;
}

/** Handed to the sender with `send`; names the reservation it confirms. */
export interface SendTicket {
  customerId: string;
  source: string;
  channel: Channel;
  attemptId: string;
  /** The cap counters this reservation took, given back if the channel refuses. */
  counted: string[];
}

export interface TimeZoneUsed {
  timeZone: string;
  /** `profile`, or `default` when the profile has none (or an unknown one): never skipped silently. */
  from: 'profile' | 'default';
}

export type GateAnswer =
  | ({
      outcome: 'send';
      channel: Channel;
      address: string;
      ticket: SendTicket;
      skipped: ChannelSkip[];
    } & TimeZoneUsed)
  | ({ outcome: 'defer'; channel: Channel; deferUntil: string; skipped: ChannelSkip[] } & TimeZoneUsed)
  | { outcome: 'skip'; skipped: ChannelSkip[] }
  | {
      outcome: 'duplicate';
      channel: Channel;
      state: 'reserved' | 'sent';
      /** A reservation past its lease: the sender may have died before or after calling the channel. */
      inDoubt: boolean;
      skipped: ChannelSkip[];
    };

export type LedgerState = 'skipped' | 'reserved' | 'sent' | 'failed';

/** One ledger entry as the API shows it ("why didn't X get it?"). */
export interface DeliveryView {
  source: string;
  channel: Channel;
  state: LedgerState;
  reason?: string;
  detail?: string;
  deferUntil?: string;
  topic?: string;
  address?: string;
  timeZone?: string;
  timeZoneFrom?: 'profile' | 'default';
  providerMessageId?: string;
  meta?: Record<string, string>;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  sentAt?: string;
}
