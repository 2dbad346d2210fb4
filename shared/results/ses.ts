import type { SesEventDetail } from '../../events/schemas/index.ts';
import { log } from '../platform/log.ts';
import { messageRef, recordFeedback, suppressFromFeedback } from './feedback.ts';
import type { Feedback } from './outcome.ts';
import { type MessageRef, messageIdOf, refFromTags } from './ref.ts';

/** How long an event naming an unregistered message id is retried before it is taken as foreign. */
const UNKNOWN_MESSAGE_GRACE_MS = 15 * 60_000;

/** A tagged message whose registration is not readable yet; thrown so the bus delivers the event again. */
export class UnknownMessageError extends Error {
  constructor(messageId: string) {
    super(`message ${messageId} is not registered (yet)`);
    this.name = 'UnknownMessageError';
  }
}

/**
 * The message an SES event is about: by the tags that name it in full, else by Cohort's message id.
 * A message id that resolves to nothing is retried for a while (the event may overtake the sender's
 * registration), then left as foreign.
 */
async function resolveRef(detail: SesEventDetail, now: number): Promise<MessageRef | undefined> {
  const tags = detail.mail.tags ?? {};
  const tagged = refFromTags(tags, 'email');
  if (tagged) return tagged;
  const messageId = messageIdOf(tags);
  if (!messageId) return undefined;
  const ref = await messageRef(messageId);
  if (ref) return ref;
  if (now - Date.parse(detail.mail.timestamp) < UNKNOWN_MESSAGE_GRACE_MS)
    throw new UnknownMessageError(messageId);
  log.warn('SES event for an unregistered message id; outcome not recorded', { eventType: detail.eventType });
  return undefined;
}

/** One piece of feedback for one recipient of the mail, plus whether the address goes on the list. */
export interface SesFeedback {
  address: string;
  feedback: Feedback;
  suppress?: 'hard_bounce' | 'complaint';
}

/**
 * Pure: what an SES event publishing record says, per recipient. A Permanent bounce is a hard bounce;
 * Transient and Undetermined are soft (SES publishes them only once it has stopped retrying, and the
 * address may work next time). Subscription events are left to the consent flows.
 */
export function sesFeedback(detail: SesEventDetail): SesFeedback[] {
  const mail = detail.mail;
  const providerMessageId = mail.messageId;
  const all = (feedback: Omit<Feedback, 'providerMessageId'>) =>
    mail.destination.map((address) => ({ address, feedback: { ...feedback, providerMessageId } }));
  switch (detail.eventType) {
    case 'Send':
      return all({ kind: 'send', at: mail.timestamp });
    case 'Delivery':
      return (detail.delivery?.recipients ?? mail.destination).map((address) => ({
        address,
        feedback: {
          kind: 'delivery',
          at: detail.delivery?.timestamp ?? mail.timestamp,
          detail: detail.delivery?.smtpResponse,
          providerMessageId,
        },
      }));
    case 'Bounce': {
      const bounce = detail.bounce;
      if (!bounce) return [];
      const hard = bounce.bounceType === 'Permanent';
      return bounce.bouncedRecipients.map((r) => ({
        address: r.emailAddress,
        feedback: {
          kind: hard ? 'hard_bounce' : 'soft_bounce',
          at: bounce.timestamp,
          detail: [`${bounce.bounceType}/${bounce.bounceSubType}`, r.status].filter(Boolean).join(' '),
          providerMessageId,
        },
        ...(hard && { suppress: 'hard_bounce' as const }),
      }));
    }
    case 'Complaint': {
      const complaint = detail.complaint;
      if (!complaint) return [];
      return complaint.complainedRecipients.map((r) => ({
        address: r.emailAddress,
        feedback: {
          kind: 'complaint',
          at: complaint.timestamp,
          detail: complaint.complaintFeedbackType,
          providerMessageId,
        },
        suppress: 'complaint' as const,
      }));
    }
    case 'Reject':
      return all({ kind: 'reject', at: mail.timestamp, detail: detail.reject?.reason });
    case 'Rendering Failure':
      return all({ kind: 'failure', at: mail.timestamp, detail: 'rendering failure' });
    case 'DeliveryDelay':
      return all({
        kind: 'delay',
        at: detail.deliveryDelay?.timestamp ?? mail.timestamp,
        detail: detail.deliveryDelay?.delayType,
      });
    case 'Open':
      return all({ kind: 'open', at: detail.open?.timestamp ?? mail.timestamp });
    case 'Click':
      return all({ kind: 'click', at: detail.click?.timestamp ?? mail.timestamp });
    default:
      return [];
  }
}

/**
 * Applies an SES event: suppression first (a hard bounce or complaint stops the address whoever sent the
 * mail, Cohort's campaigns or its own confirmation mail), then the message's outcome and results when the
 * mail carries Cohort's tags. Safe to repeat: suppression keeps its first entry, outcomes count once.
 */
export async function applySesEvent(detail: SesEventDetail, now = Date.now()): Promise<void> {
  // Suppression does not wait for the message to be known.
  const ref = await resolveRef(detail, now).catch(async (error: unknown) => {
    if (error instanceof UnknownMessageError) {
      for (const item of sesFeedback(detail)) {
        if (item.suppress) {
          await suppressFromFeedback(
            'email',
            item.address,
            item.suppress,
            'ses',
            `ses ${detail.mail.messageId}`,
          );
        }
      }
    }
    throw error;
  });
  const reference = [
    `ses ${detail.mail.messageId}`,
    ref && `${ref.source}`,
    ref?.messageId && `message ${ref.messageId}`,
  ]
    .filter(Boolean)
    .join(', ');
  for (const item of sesFeedback(detail)) {
    if (item.suppress) await suppressFromFeedback('email', item.address, item.suppress, 'ses', reference);
    if (ref) await recordFeedback(ref, item.feedback);
  }
  if (!ref) log.debug('SES event without Cohort tags: outcome not recorded', { eventType: detail.eventType });
}
