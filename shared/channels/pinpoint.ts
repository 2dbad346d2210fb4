import {
  type AddressConfiguration,
  type DirectMessageConfiguration,
  type EndpointMessageResult,
  type PinpointClient,
  SendMessagesCommand,
} from '@aws-sdk/client-pinpoint';
import { config } from '../platform/config.ts';
import { pinpointClient } from '../platform/pinpoint.ts';
import { countSms } from '../templates/sms.ts';
import { isTransient, providerError, result } from './errors.ts';
import type { ChannelAdapter, PushMessage, SendResult, SmsMessage } from './types.ts';

/**
 * SMS and push through End User Messaging's SendMessages (the Pinpoint API that outlives Pinpoint).
 * One request carries up to 100 addresses; messages that share their settings (sender, type, push data)
 * go together, each with its own text as a per-address override, and each address gets its own result.
 */

export interface PinpointAdapterOptions {
  client?: PinpointClient;
  applicationId?: string;
}

/** Pinpoint takes at most 100 addresses per SendMessages request. */
const MAX_ADDRESSES = 100;

/** A per-address delivery status as a result: who may try again, and who must not. */
export function deliveryResult(answer: EndpointMessageResult | undefined): SendResult {
  if (!answer) return result.failed('End User Messaging returned no result for the address', true);
  const status = answer.DeliveryStatus ?? 'UNKNOWN_FAILURE';
  const detail = `${status}${answer.StatusCode ? ` (${answer.StatusCode})` : ''}${
    answer.StatusMessage ? `: ${answer.StatusMessage.slice(0, 200)}` : ''
  }`;
  // The status goes with the result: recordSendResult (shared/results) counts SUCCESSFUL as delivered.
  const id = { ...(answer.MessageId && { providerMessageId: answer.MessageId }), providerStatus: status };
  switch (status) {
    case 'SUCCESSFUL':
      return { status: 'accepted', retryable: false, detail, ...id };
    case 'THROTTLED':
      return { ...result.throttled(detail), ...id };
    case 'TEMPORARY_FAILURE':
      return { ...result.failed(detail, true), ...id };
    case 'PERMANENT_FAILURE':
    case 'OPT_OUT':
    // Another address of the same request was the same recipient: that one was sent.
    case 'DUPLICATE':
      return { ...result.rejected(detail), ...id };
    default:
      // Unknown: it may have gone out. Not retried, so a customer never gets it twice.
      return { ...result.failed(detail, false), ...id };
  }
}

/** A failed request as the result of every address in it. */
export function requestErrorResult(error: unknown): SendResult {
  const e = providerError(error);
  const detail = `End User Messaging ${e.name}${e.status ? ` (${e.status})` : ''}`;
  if (e.name === 'TooManyRequestsException' || e.status === 429)
    return result.throttled(detail, e.retryAfterMs);
  if (e.name === 'BadRequestException' || e.name === 'PayloadTooLargeException')
    return result.rejected(detail);
  if (
    e.name === 'ForbiddenException' ||
    e.name === 'NotFoundException' ||
    e.name === 'MethodNotAllowedException'
  ) {
    return result.failed(`${detail}: the app or its permissions are not set up`, false);
  }
  return result.failed(detail, isTransient(e));
}

function addressContext(m: SmsMessage | PushMessage): Record<string, string> {
  return {
    messageId: m.messageId,
    customerId: m.customerId,
    ...(m.campaignId && { campaignId: m.campaignId }),
    ...(m.variantId && { variantId: m.variantId }),
    ...(m.source && { source: m.source }),
    ...m.tags,
  };
}

interface Group<M> {
  configuration: DirectMessageConfiguration;
  members: { index: number; message: M }[];
}

/** Messages grouped by their shared configuration, at most 100 per group and each address once. */
function groups<M extends SmsMessage | PushMessage>(
  messages: readonly M[],
  keyOf: (m: M) => string,
  configurationOf: (m: M) => DirectMessageConfiguration,
): Group<M>[] {
  const open = new Map<string, Group<M>>();
  const all: Group<M>[] = [];
  messages.forEach((message, index) => {
    const key = keyOf(message);
    let group = open.get(key);
    if (
      !group ||
      group.members.length >= MAX_ADDRESSES ||
      group.members.some((m) => m.message.to === message.to)
    ) {
      group = { configuration: configurationOf(message), members: [] };
      open.set(key, group);
      all.push(group);
    }
    group.members.push({ index, message });
  });
  return all;
}

function adapter<C extends 'sms' | 'push'>(
  channel: C,
  options: PinpointAdapterOptions,
  keyOf: (m: C extends 'sms' ? SmsMessage : PushMessage) => string,
  configurationOf: (m: C extends 'sms' ? SmsMessage : PushMessage) => DirectMessageConfiguration,
  addressOf: (m: C extends 'sms' ? SmsMessage : PushMessage) => AddressConfiguration,
  enrich: (m: C extends 'sms' ? SmsMessage : PushMessage, r: SendResult) => SendResult = (_, r) => r,
): ChannelAdapter<C> {
  type M = C extends 'sms' ? SmsMessage : PushMessage;
  const sendBatch = async (messages: readonly M[]): Promise<SendResult[]> => {
    const applicationId = options.applicationId ?? config().PINPOINT_APP_ID;
    if (!applicationId)
      throw new Error('Invalid configuration: PINPOINT_APP_ID is not set (declare pinpoint in the manifest)');
    const client = options.client ?? pinpointClient();
    const results: SendResult[] = new Array(messages.length);
    await Promise.all(
      groups(messages, keyOf, configurationOf).map(async (group) => {
        const addresses: Record<string, AddressConfiguration> = {};
        for (const { message } of group.members) {
          addresses[message.to] = { ...addressOf(message), Context: addressContext(message) };
        }
        try {
          const answer = await client.send(
            new SendMessagesCommand({
              ApplicationId: applicationId,
              MessageRequest: { Addresses: addresses, MessageConfiguration: group.configuration },
            }),
          );
          for (const { index, message } of group.members) {
            results[index] = enrich(message, deliveryResult(answer.MessageResponse?.Result?.[message.to]));
          }
        } catch (error) {
          const failed = requestErrorResult(error);
          for (const { index } of group.members) results[index] = failed;
        }
      }),
    );
    return results;
  };
  return {
    channel,
    maxBatch: MAX_ADDRESSES,
    sendBatch: sendBatch as ChannelAdapter<C>['sendBatch'],
    send: (async (message: M) => (await sendBatch([message]))[0] as SendResult) as ChannelAdapter<C>['send'],
  };
}

export function smsAdapter(options: PinpointAdapterOptions = {}): ChannelAdapter<'sms'> {
  const settings = (m: SmsMessage) => {
    const c = config();
    const senderId = m.senderId ?? c.SMS_SENDER_ID;
    const originationNumber = m.originationNumber ?? c.SMS_ORIGINATION_NUMBER;
    return {
      MessageType: m.messageType ?? 'PROMOTIONAL',
      ...(senderId && { SenderId: senderId }),
      ...(originationNumber && { OriginationNumber: originationNumber }),
    };
  };
  return adapter<'sms'>(
    'sms',
    options,
    (m) => JSON.stringify(settings(m)),
    // The group's first body stands in the configuration; every address carries its own as an override.
    (m) => ({ SMSMessage: { ...settings(m), Body: m.body } }),
    (m) => ({ ChannelType: 'SMS', BodyOverride: m.body }),
    (m, r) => (r.status === 'accepted' ? { ...r, parts: countSms(m.body).parts } : r),
  );
}

function pushConfiguration(m: PushMessage): DirectMessageConfiguration {
  const common = {
    Title: m.title,
    Body: m.body,
    ...(m.data && { Data: m.data }),
    ...(m.url ? { Action: 'URL' as const, Url: m.url } : { Action: 'OPEN_APP' as const }),
    ...(m.silent && { SilentPush: true }),
  };
  switch (m.platform) {
    case 'GCM':
      return { GCMMessage: common };
    case 'APNS':
    case 'APNS_SANDBOX':
      return { APNSMessage: common };
    case 'BAIDU':
      return { BaiduMessage: common };
    case 'ADM':
      return { ADMMessage: common };
  }
}

export function pushAdapter(options: PinpointAdapterOptions = {}): ChannelAdapter<'push'> {
  return adapter<'push'>(
    'push',
    options,
    // Data, link and silence cannot be overridden per address, so only messages that share them share a request.
    (m) => JSON.stringify([m.platform, m.data ?? null, m.url ?? null, m.silent ?? false]),
    pushConfiguration,
    (m) => ({ ChannelType: m.platform, TitleOverride: m.title, BodyOverride: m.body }),
  );
}
