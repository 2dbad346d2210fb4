import type { OutcomeStatus } from '../store/entities/message-outcome.ts';

/**
 * What one piece of delivery feedback says about one message, whichever channel it came from (an SES
 * event, a Pinpoint per-address result, a webhook response, an unsubscribe click, an order).
 */
export type FeedbackKind =
  | 'send'
  | 'delivery'
  | 'delay'
  | 'soft_bounce'
  | 'hard_bounce'
  | 'complaint'
  | 'reject'
  | 'failure'
  | 'opt_out'
  | 'open'
  | 'click'
  | 'unsubscribe'
  /** The planner put the customer in the audience on this channel. */
  | 'target'
  /** The gate left the message unsent; `reason` says why. */
  | 'exclude';

export interface Feedback {
  kind: FeedbackKind;
  /** When it happened, as the provider says (ISO 8601). */
  at: string;
  detail?: string | undefined;
  providerMessageId?: string | undefined;
  /** Webhooks only. */
  responseStatus?: number | undefined;
  latencyMs?: number | undefined;
  /** Exclusions only: the gate's reason (consent, suppression, cap, quiet hours …). */
  reason?: string | undefined;
}

/**
 * How far a message has got. A status only moves to a higher rank, so feedback arriving out of order
 * (a late "delivered" after "bounced", SES retrying an event) never takes it back. Failures rank above
 * delivery because a bounce may follow a delivery (an asynchronous bounce) but never the other way
 * round; a complaint is the last word.
 */
export const statusRank: Record<OutcomeStatus, number> = {
  sent: 10,
  delayed: 20,
  soft_bounced: 30,
  delivered: 40,
  rejected: 50,
  failed: 50,
  opted_out: 50,
  bounced: 50,
  complained: 60,
};

const statusOf: Partial<Record<FeedbackKind, OutcomeStatus>> = {
  send: 'sent',
  delivery: 'delivered',
  delay: 'delayed',
  soft_bounce: 'soft_bounced',
  hard_bounce: 'bounced',
  complaint: 'complained',
  reject: 'rejected',
  failure: 'failed',
  opt_out: 'opted_out',
  // Someone who opened or clicked has it: at least delivered, even if the delivery event is still on its way.
  open: 'delivered',
  click: 'delivered',
};

/**
 * The result metrics a kind of feedback stands for. Every kind implies the message was sent (SES may
 * publish only later events); opens, clicks and complaints imply delivery; a click implies an open
 * (images blocked in the mail client hide the open pixel).
 */
export const metricsOf: Record<FeedbackKind, readonly string[]> = {
  send: ['sent'],
  delivery: ['sent', 'delivered'],
  delay: ['sent'],
  soft_bounce: ['sent', 'soft_bounced'],
  hard_bounce: ['sent', 'bounced'],
  complaint: ['sent', 'delivered', 'complained'],
  reject: ['sent', 'rejected'],
  failure: ['sent', 'failed'],
  opt_out: ['sent', 'failed', 'opted_out'],
  open: ['sent', 'delivered', 'opened'],
  click: ['sent', 'delivered', 'opened', 'clicked'],
  unsubscribe: ['unsubscribed'],
  target: ['targeted'],
  exclude: [],
};

/** The metrics of one piece of feedback; an exclusion counts under its reason. */
export function metricsFor(feedback: Feedback): readonly string[] {
  if (feedback.kind === 'exclude') return [`excluded:${feedback.reason ?? 'unknown'}`];
  return metricsOf[feedback.kind];
}

export interface OutcomeState {
  status?: OutcomeStatus | undefined;
  statusAt?: string | undefined;
  counted?: readonly string[] | undefined;
  openedAt?: string | undefined;
  lastOpenAt?: string | undefined;
  lastClickAt?: string | undefined;
}

export interface OutcomeChange {
  /** The status after the feedback (unchanged when the feedback ranks lower); none before any send. */
  status?: OutcomeStatus | undefined;
  statusAt?: string | undefined;
  statusChanged: boolean;
  /** Metrics to count now: those the feedback stands for that were not counted before. */
  newMetrics: string[];
  openedAt?: string | undefined;
  lastOpenAt?: string | undefined;
  lastClickAt?: string | undefined;
  /** Whether anything at all changes; false for a duplicate. */
  changed: boolean;
}

const later = (a: string | undefined, b: string): string => (a !== undefined && a >= b ? a : b);
const earlier = (a: string | undefined, b: string): string => (a !== undefined && a <= b ? a : b);

/** Pure: what a piece of feedback does to a message's outcome. Applying it twice changes nothing. */
export function applyFeedback(current: OutcomeState, feedback: Feedback): OutcomeChange {
  const counted = new Set(current.counted ?? []);
  const newMetrics = metricsFor(feedback).filter((m) => !counted.has(m));
  const proposed = statusOf[feedback.kind];
  const currentRank = current.status ? statusRank[current.status] : 0;
  const statusChanged = proposed !== undefined && statusRank[proposed] > currentRank;
  const status = statusChanged ? proposed : current.status;
  const statusAt = statusChanged ? feedback.at : current.statusAt;
  let { openedAt, lastOpenAt, lastClickAt } = current;
  if (feedback.kind === 'open' || feedback.kind === 'click') {
    openedAt = earlier(openedAt, feedback.at);
    if (feedback.kind === 'open') lastOpenAt = later(lastOpenAt, feedback.at);
    else lastClickAt = later(lastClickAt, feedback.at);
  }
  const touchesChanged =
    openedAt !== current.openedAt || lastOpenAt !== current.lastOpenAt || lastClickAt !== current.lastClickAt;
  return {
    status,
    statusAt,
    statusChanged,
    newMetrics,
    openedAt,
    lastOpenAt,
    lastClickAt,
    changed: statusChanged || newMetrics.length > 0 || touchesChanged,
  };
}
