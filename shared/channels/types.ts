import type { Channel } from '../store/entities/consent.ts';

/**
 * The one interface every send goes through (campaigns, automations, transactional sends): a message for
 * one recipient in, a result for that recipient out. Adapters never throw for a recipient's fate; they
 * answer it as a result, so a caller handles "throttled" the same way whichever provider said it.
 */
export type ChannelName = Channel;

/** Who and what a message belongs to; adapters attach it where the provider keeps it (SES tags, Pinpoint Context). */
export interface Attribution {
  /**
   * Cohort's id of this one message (ULID). The same id on a retry: the webhook id receivers dedupe on,
   * the SES `message` tag, the Pinpoint Context `messageId`.
   */
  messageId: string;
  customerId: string;
  campaignId?: string;
  variantId?: string;
  /** What sent it when it is not a campaign: an automation id, `transactional`, `test`. */
  source?: string;
}

interface MessageBase extends Attribution {
  /** Free-form tags the provider echoes in delivery events (SES message tags); values are strings. */
  tags?: Record<string, string>;
}

export interface EmailMessage extends MessageBase {
  channel: 'email';
  to: string;
  /** Defaults to the stage's sender identity. */
  from?: string;
  replyTo?: string[];
  subject: string;
  html?: string;
  text?: string;
  /**
   * The RFC 8058 one-click unsubscribe URL (https) and an optional mailto; when given, the mail carries
   * `List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
   */
  unsubscribe?: { url: string; mailto?: string };
  /** Defaults to the stage's configuration set. */
  configurationSet?: string;
}

export type SmsMessageType = 'TRANSACTIONAL' | 'PROMOTIONAL';

export interface SmsMessage extends MessageBase {
  channel: 'sms';
  /** E.164. */
  to: string;
  body: string;
  messageType?: SmsMessageType;
  /** Defaults to the stage's sender id / origination number. */
  senderId?: string;
  originationNumber?: string;
}

export const pushPlatforms = ['GCM', 'APNS', 'APNS_SANDBOX', 'BAIDU', 'ADM'] as const;
export type PushPlatform = (typeof pushPlatforms)[number];

export interface PushMessage extends MessageBase {
  channel: 'push';
  /** The device token (registration id). */
  to: string;
  platform: PushPlatform;
  title: string;
  body: string;
  /** Key-value data for the app; Pinpoint takes string values only. */
  data?: Record<string, string>;
  /** Where a tap takes the user (deep link or URL). */
  url?: string;
  silent?: boolean;
}

export interface WebhookMessage extends MessageBase {
  channel: 'webhook';
  /** https URL (http allowed on the local stack). */
  url: string;
  /** JSON value sent as the body. */
  body: unknown;
  /** Extra request headers (never the signature headers, which the adapter sets). */
  headers?: Record<string, string>;
  /**
   * Name of the signing secret (resolved by the adapter from settings or Secrets Manager); the default
   * secret when absent. The secret itself never travels in a message.
   */
  secretName?: string;
}

export type OutboundMessage = EmailMessage | SmsMessage | PushMessage | WebhookMessage;
export type MessageOf<C extends ChannelName> = Extract<OutboundMessage, { channel: C }>;

export type SendStatus = 'accepted' | 'rejected' | 'throttled' | 'failed';

export interface SendResult {
  /**
   * accepted: the provider took it (not yet delivered). rejected: it never will (bad address, opted out
   * at the carrier, 4xx from a webhook). throttled: too fast, try later. failed: anything else.
   */
  status: SendStatus;
  providerMessageId?: string;
  /** Whether sending the same message again may succeed. Always true for throttled. */
  retryable: boolean;
  /** What the provider said, for the send record; never secrets or message content. */
  detail: string;
  /** A hint from the provider on when to retry (ms), when it gave one. */
  retryAfterMs?: number;
  /** SMS parts billed, when the provider counts them. */
  parts?: number;
  /** Pinpoint's per-address DeliveryStatus (SUCCESSFUL, PERMANENT_FAILURE, OPT_OUT …), for results. */
  providerStatus?: string;
  /** Webhooks: the receiver's HTTP status and the time to its answer, for results. */
  httpStatus?: number;
  latencyMs?: number;
}

export interface ChannelAdapter<C extends ChannelName = ChannelName> {
  readonly channel: C;
  /** How many messages one sendBatch call takes; callers chunk by it. */
  readonly maxBatch: number;
  send(message: MessageOf<C>): Promise<SendResult>;
  /** Results in the order of the messages; one call to the provider where it takes many recipients. */
  sendBatch(messages: readonly MessageOf<C>[]): Promise<SendResult[]>;
}

/** The adapters of a stage, by channel. */
export type ChannelAdapters = { [C in ChannelName]: ChannelAdapter<C> };
