import { PinpointClient, SendMessagesCommand } from '@aws-sdk/client-pinpoint';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import type {
  ChannelAdapter,
  ChannelAdapters,
  EmailMessage,
  MessageOf,
  OutboundMessage,
  PushMessage,
  SendResult,
  SmsMessage,
} from '../channels/types.ts';
import { config } from '../platform/config.ts';
import { sesClient } from '../platform/ses.ts';

/**
 * INTERIM adapters for the campaign pipeline until shared/channels' adapters land (branch
 * tpl-channels): SES v2 for email (configuration set, message tags that attribute the message) and the
 * Pinpoint SendMessages API for SMS and push (Context carries the attribution), webhook by fetch.
 * Throttling answers `throttled`, never throws, as the ChannelAdapter interface asks.
 */

let pinpoint: PinpointClient | undefined;
function pinpointClient(): PinpointClient {
  const c = config();
  pinpoint ??= new PinpointClient({
    ...(c.AWS_REGION && { region: c.AWS_REGION }),
    ...(c.PINPOINT_ENDPOINT && { endpoint: c.PINPOINT_ENDPOINT }),
  });
  return pinpoint;
}

/** SES message tag values allow letters, digits, _ - . @ only. */
function tagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_.@-]/g, '_').slice(0, 256) || '_';
}

function attributionTags(m: OutboundMessage): Record<string, string> {
  return {
    message: m.messageId,
    customer: m.customerId,
    ...(m.campaignId && { campaign: m.campaignId }),
    ...(m.variantId && { variant: m.variantId }),
    ...(m.source && { source: m.source }),
    channel: m.channel,
    ...m.tags,
  };
}

function fromError(error: unknown): SendResult {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const throttled =
    status === 429 || /Throttl|TooManyRequests|LimitExceeded|SendingPaused/i.test(e.name ?? '');
  if (throttled) return { status: 'throttled', retryable: true, detail: e.name ?? 'throttled' };
  const rejected = status !== undefined && status >= 400 && status < 500;
  return {
    status: rejected ? 'rejected' : 'failed',
    retryable: !rejected,
    detail: `${e.name ?? 'Error'}: ${(e.message ?? '').slice(0, 200)}`,
  };
}

async function sendEmail(m: EmailMessage): Promise<SendResult> {
  const c = config();
  try {
    const out = await sesClient().send(
      new SendEmailCommand({
        FromEmailAddress: m.from ?? c.EMAIL_FROM,
        Destination: { ToAddresses: [m.to] },
        ...((m.configurationSet ?? c.SES_CONFIGURATION_SET) && {
          ConfigurationSetName: m.configurationSet ?? c.SES_CONFIGURATION_SET,
        }),
        EmailTags: Object.entries(attributionTags(m)).map(([Name, Value]) => ({
          Name,
          Value: tagValue(Value),
        })),
        Content: {
          Simple: {
            Subject: { Data: m.subject, Charset: 'UTF-8' },
            Body: {
              ...(m.html && { Html: { Data: m.html, Charset: 'UTF-8' } }),
              ...(m.text && { Text: { Data: m.text, Charset: 'UTF-8' } }),
            },
            ...(m.unsubscribe && {
              Headers: [
                {
                  Name: 'List-Unsubscribe',
                  Value: [
                    `<${m.unsubscribe.url}>`,
                    ...(m.unsubscribe.mailto ? [`<${m.unsubscribe.mailto}>`] : []),
                  ].join(', '),
                },
                { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
              ],
            }),
          },
        },
      }),
    );
    return {
      status: 'accepted',
      retryable: false,
      detail: 'accepted',
      ...(out.MessageId && { providerMessageId: out.MessageId }),
    };
  } catch (error) {
    return fromError(error);
  }
}

async function sendPinpoint(m: SmsMessage | PushMessage): Promise<SendResult> {
  const channelType = m.channel === 'sms' ? 'SMS' : m.platform;
  const context = Object.fromEntries(
    Object.entries(attributionTags(m)).map(([k, v]) => [k === 'message' ? 'messageId' : k, v]),
  );
  try {
    const out = await pinpointClient().send(
      new SendMessagesCommand({
        ApplicationId: process.env.PINPOINT_APP_ID ?? 'cohort',
        MessageRequest: {
          Addresses: { [m.to]: { ChannelType: channelType } },
          Context: context,
          TraceId: m.messageId,
          MessageConfiguration:
            m.channel === 'sms'
              ? { SMSMessage: { Body: m.body, MessageType: m.messageType ?? 'PROMOTIONAL' } }
              : {
                  [m.platform === 'GCM'
                    ? 'GCMMessage'
                    : m.platform === 'BAIDU'
                      ? 'BaiduMessage'
                      : m.platform === 'ADM'
                        ? 'ADMMessage'
                        : 'APNSMessage']: {
                    Title: m.title,
                    Body: m.body,
                    ...(m.data && { Data: m.data }),
                    ...(m.url && { Url: m.url, Action: 'URL' }),
                  },
                },
        },
      }),
    );
    const result = out.MessageResponse?.Result?.[m.to];
    const status = result?.DeliveryStatus;
    if (status === 'SUCCESSFUL' || status === 'DUPLICATE') {
      return {
        status: 'accepted',
        retryable: false,
        detail: status,
        ...(result?.MessageId && { providerMessageId: result.MessageId }),
      };
    }
    if (status === 'THROTTLED')
      return { status: 'throttled', retryable: true, detail: result?.StatusMessage ?? 'THROTTLED' };
    if (status === 'TEMPORARY_FAILURE' || status === 'UNKNOWN_FAILURE')
      return { status: 'failed', retryable: true, detail: result?.StatusMessage ?? status };
    return { status: 'rejected', retryable: false, detail: result?.StatusMessage ?? String(status) };
  } catch (error) {
    return fromError(error);
  }
}

async function sendWebhook(m: MessageOf<'webhook'>): Promise<SendResult> {
  try {
    const response = await fetch(m.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': m.messageId, ...m.headers },
      body: JSON.stringify(m.body),
      signal: AbortSignal.timeout(5000),
    });
    if (response.status === 429) return { status: 'throttled', retryable: true, detail: 'HTTP 429' };
    if (response.ok) return { status: 'accepted', retryable: false, detail: `HTTP ${response.status}` };
    const rejected = response.status < 500;
    return {
      status: rejected ? 'rejected' : 'failed',
      retryable: !rejected,
      detail: `HTTP ${response.status}`,
    };
  } catch (error) {
    return { status: 'failed', retryable: true, detail: String(error).slice(0, 200) };
  }
}

function adapter<C extends keyof ChannelAdapters>(
  channel: C,
  send: (m: MessageOf<C>) => Promise<SendResult>,
): ChannelAdapter<C> {
  return {
    channel,
    maxBatch: 1,
    send,
    sendBatch: (messages) => Promise.all(messages.map(send)),
  } as ChannelAdapter<C>;
}

export function interimAdapters(): ChannelAdapters {
  return {
    email: adapter('email', sendEmail),
    sms: adapter('sms', sendPinpoint),
    push: adapter('push', sendPinpoint),
    webhook: adapter('webhook', sendWebhook),
  };
}
