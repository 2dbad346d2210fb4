import type { FieldError } from '../platform/errors.ts';
import type { ComputedView } from '../scoring/profile.ts';
import type { Channel } from '../store/entities/consent.ts';

/**
 * A template: one purpose (an order shipped note, a spring sale), content per channel, and locale
 * variants of that content. Strings are Liquid (LiquidJS); rendering resolves the locale zh-CN -> zh ->
 * the default, channel by channel.
 */

export interface EmailContent {
  subject: string;
  /** Output is HTML-escaped by default; `| raw` opts out. */
  html?: string;
  text?: string;
}

export interface SmsContent {
  body: string;
}

export interface PushContent {
  title: string;
  body: string;
  /** Values are Liquid too. */
  data?: Record<string, string>;
  url?: string;
}

export interface WebhookContent {
  /** A JSON value whose string leaves are Liquid; the rendered value is sent as JSON, so no escaping is needed. */
  body: unknown;
}

export interface ChannelContent {
  email?: EmailContent;
  sms?: SmsContent;
  push?: PushContent;
  webhook?: WebhookContent;
}

export const variableTypes = ['string', 'number', 'boolean', 'date', 'money', 'list', 'object'] as const;
export type VariableType = (typeof variableTypes)[number];

export interface VariableSpec {
  type: VariableType;
  required?: boolean;
  description?: string;
  /** Shown by previews when the caller passes no value. */
  example?: unknown;
}

/**
 * Variables a template may use beyond the built-in ones (customer profile fields, computed, links, now):
 * keyed by dotted path under `event.` (data the caller passes) or `customer.attributes.` (custom
 * attributes). A variable not built in and not declared fails validation at save time.
 */
export type VariableSchema = Record<string, VariableSpec>;

export interface TemplateDefinition {
  name: string;
  description?: string;
  /** The locale of `content`, e.g. en or zh-CN. */
  defaultLocale: string;
  content: ChannelContent;
  /** Locale variants, e.g. { zh: ..., 'zh-TW': ... }; a missing channel falls back along the chain. */
  locales?: Record<string, ChannelContent>;
  variables?: VariableSchema;
  /** Topic the unsubscribe link withdraws (`*`, the whole channel, when absent). */
  topic?: string;
}

/** What a template is rendered over. */
export interface RenderData {
  customer: {
    id: string;
    [field: string]: unknown;
    attributes?: Record<string, unknown>;
  };
  computed?: ComputedView;
  /** Event data the caller passes (the order that shipped, the cart that was left). */
  event?: Record<string, unknown>;
}

export interface RenderOptions {
  channel: Channel;
  /** The locale asked for (the customer's, usually); falls back along the chain to the template's default. */
  locale?: string;
  /** Time zone for date formatting (the customer's); UTC when absent. */
  timeZone?: string;
  /** Currency for `money` when the value names none; the scoring base currency by default. */
  currency?: string;
  /** Signs links; the real signer from shared/consent/links.ts by default. */
  links?: LinkSigner;
  now?: Date;
}

export interface LinkSigner {
  preferenceUrl(customerId: string): Promise<string>;
  unsubscribeUrl(customerId: string, channel: Channel, topic?: string): Promise<string>;
}

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsCount {
  encoding: SmsEncoding;
  /** User-perceived characters (code points). */
  characters: number;
  /** Septets (GSM-7, extension characters count 2) or UTF-16 code units (UCS-2, surrogate pairs count 2). */
  units: number;
  parts: number;
  /** Units one part holds in this encoding and part count (160/153, 70/67). */
  perPart: number;
}

export type RenderedContent =
  | { channel: 'email'; subject: string; html?: string; text?: string; unsubscribeUrl?: string }
  | { channel: 'sms'; body: string; sms: SmsCount }
  | { channel: 'push'; title: string; body: string; data?: Record<string, string>; url?: string }
  | { channel: 'webhook'; body: unknown };

export interface RenderedMessage {
  /** The locale whose content was used for this channel (`default` resolves to the template's defaultLocale). */
  locale: string;
  content: RenderedContent;
  /** Not errors: a variable the data lacked, an SMS running to many parts, an email without a text part. */
  warnings: string[];
}

/** The problems a template has, as `{path, message}` with paths like `content.email.html`. */
export type TemplateProblems = FieldError[];

/** The render entry point (shared/templates/render.ts) has this signature. */
export type Render = (
  template: TemplateDefinition,
  data: RenderData,
  options: RenderOptions,
) => Promise<RenderedMessage>;
