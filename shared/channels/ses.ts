import { createHash } from 'node:crypto';
import { type MessageTag, type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import pMap from 'p-map';
import { config } from '../platform/config.ts';
import { sesClient } from '../platform/ses.ts';
import { isTransient, providerError, result } from './errors.ts';
import type { ChannelAdapter, EmailMessage, SendResult } from './types.ts';

/**
 * Email through SES v2 SendEmail, under the stage's configuration set, so that its event destination
 * reports delivery, bounces, complaints, opens and clicks. The message tags are how those events find
 * their way back: Cohort's message id, the campaign and variant, and a hash of the customer id (tags
 * travel to CloudWatch and event buses, where Cohort's ids have no business being readable).
 */

export interface SesAdapterOptions {
  client?: SESv2Client;
  from?: string;
  configurationSet?: string;
  /** Sends at once per sendBatch call; SES's own rate is kept by the caller (EMAIL_PER_SECOND). */
  concurrency?: number;
}

/** The customer tag: a stable hash, so delivery events can be grouped per customer without naming one. */
export function customerTag(customerId: string): string {
  return createHash('sha256').update(`cohort-customer|${customerId}`).digest('hex').slice(0, 32);
}

// SES tag names and values take ASCII letters, digits, _ and - (and . @ in values), at most 256 characters.
const tagValue = (value: string) => value.replace(/[^A-Za-z0-9_.@-]/g, '_').slice(0, 256);

export function emailTags(message: EmailMessage): MessageTag[] {
  const tags: Record<string, string> = {
    ...message.tags,
    message: message.messageId,
    customer: customerTag(message.customerId),
    ...(message.campaignId && { campaign: message.campaignId }),
    ...(message.variantId && { variant: message.variantId }),
    ...(message.source && { source: message.source }),
  };
  return Object.entries(tags)
    .filter(([name]) => /^[A-Za-z0-9_-]{1,256}$/.test(name) && !name.startsWith('ses:'))
    .map(([Name, Value]) => ({ Name, Value: tagValue(Value) || '_' }));
}

/** RFC 2369 List-Unsubscribe and RFC 8058 one-click; the https URL first, as mailbox providers want. */
export function unsubscribeHeaders(unsubscribe: EmailMessage['unsubscribe']) {
  if (!unsubscribe) return [];
  const targets = [`<${unsubscribe.url}>`, ...(unsubscribe.mailto ? [`<${unsubscribe.mailto}>`] : [])];
  return [
    { Name: 'List-Unsubscribe', Value: targets.join(', ') },
    { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
  ];
}

export function sendEmailCommand(
  message: EmailMessage,
  defaults: { from: string; configurationSet?: string | undefined },
) {
  const configurationSet = message.configurationSet ?? defaults.configurationSet;
  const headers = unsubscribeHeaders(message.unsubscribe);
  return new SendEmailCommand({
    FromEmailAddress: message.from ?? defaults.from,
    Destination: { ToAddresses: [message.to] },
    ...(message.replyTo?.length && { ReplyToAddresses: message.replyTo }),
    ...(configurationSet && { ConfigurationSetName: configurationSet }),
    EmailTags: emailTags(message),
    Content: {
      Simple: {
        Subject: { Data: message.subject, Charset: 'UTF-8' },
        Body: {
          ...(message.html !== undefined && { Html: { Data: message.html, Charset: 'UTF-8' } }),
          ...(message.text !== undefined && { Text: { Data: message.text, Charset: 'UTF-8' } }),
        },
        ...(headers.length > 0 && { Headers: headers }),
      },
    },
  });
}

const throttleNames = new Set([
  'TooManyRequestsException',
  'Throttling',
  'ThrottlingException',
  'LimitExceededException',
]);

/** SES's answer as a result: the caller retries what is retryable and records the rest. */
export function sesErrorResult(error: unknown): SendResult {
  const e = providerError(error);
  const detail = `SES ${e.name}${e.status ? ` (${e.status})` : ''}`;
  if (
    throttleNames.has(e.name) ||
    e.status === 429 ||
    /maximum sending rate|daily message quota/i.test(e.message)
  ) {
    return result.throttled(detail, e.retryAfterMs);
  }
  // Paused sending (the account under review, or the configuration set paused) resumes; try again later.
  if (e.name === 'SendingPausedException') return result.failed(`${detail}: sending is paused`, true);
  if (e.name === 'AccountSuspendedException')
    return result.failed(`${detail}: the account may not send`, false);
  if (e.name === 'MailFromDomainNotVerifiedException' || e.name === 'NotFoundException') {
    return result.failed(`${detail}: sender or configuration set not set up`, false);
  }
  // Any other 4xx is this message's fault (a malformed address, a missing body): sending it again fails again.
  if (
    e.name === 'MessageRejected' ||
    e.name === 'BadRequestException' ||
    (e.status !== undefined && e.status >= 400 && e.status < 500)
  ) {
    return result.rejected(detail);
  }
  return result.failed(detail, isTransient(e));
}

export function sesAdapter(options: SesAdapterOptions = {}): ChannelAdapter<'email'> {
  const concurrency = options.concurrency ?? 8;
  const send = async (message: EmailMessage): Promise<SendResult> => {
    const c = config();
    const command = sendEmailCommand(message, {
      from: options.from ?? c.EMAIL_FROM,
      configurationSet: options.configurationSet ?? c.SES_CONFIGURATION_SET,
    });
    try {
      const answer = await (options.client ?? sesClient()).send(command);
      return {
        status: 'accepted',
        retryable: false,
        detail: 'SES accepted',
        ...(answer.MessageId && { providerMessageId: answer.MessageId }),
      };
    } catch (error) {
      return sesErrorResult(error);
    }
  };
  return {
    channel: 'email',
    maxBatch: 50,
    send,
    sendBatch: (messages) => pMap(messages, (m) => send(m as EmailMessage), { concurrency }),
  };
}
