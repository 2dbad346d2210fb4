import type { SesEventDetail } from '../../events/schemas/index.ts';
import { log } from '../platform/log.ts';
import { recordFeedback, suppressFromFeedback } from './feedback.ts';
import type { Feedback } from './outcome.ts';
import { refFromTags } from './ref.ts';

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
export async function applySesEvent(detail: SesEventDetail): Promise<void> {
  const ref = refFromTags(detail.mail.tags ?? {}, 'email');
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
