import { channelSchema } from '../consent/schema.ts';
import { limitSchema } from '../customers/schema.ts';
import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';
import { ledgerStates } from '../store/entities/delivery-entry.ts';
import { deliverySettingsSchema } from './settings.ts';

/** Request and response schemas of the send gate's API: transactional sends, deliveries, settings. */

const text = (max: number) => z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(max));

/**
 * A template given inline with the request (stored templates come with the templates API): content per
 * channel in Liquid, locale variants, declared variables.
 */
const channelContentSchema = /* @__PURE__ */ schema(() =>
  z.strictObject({
    email: z.optional(
      z.strictObject({
        subject: text(998),
        html: z.optional(text(500_000)),
        text: z.optional(text(500_000)),
      }),
    ),
    sms: z.optional(z.strictObject({ body: text(1600) })),
    push: z.optional(
      z.strictObject({
        title: text(200),
        body: text(2000),
        data: z.optional(z.record(z.string(), z.string())),
        url: z.optional(text(2000)),
      }),
    ),
    webhook: z.optional(z.strictObject({ body: z.unknown() })),
  }),
);

export const inlineTemplateSchema = /* @__PURE__ */ schema(() =>
  z.strictObject({
    name: text(200),
    defaultLocale: z._default(text(35), 'en'),
    content: channelContentSchema,
    locales: z.optional(z.record(text(35), channelContentSchema)),
    variables: z.optional(
      z.record(
        text(200),
        z.strictObject({
          type: z.enum(['string', 'number', 'boolean', 'date', 'money', 'list', 'object']),
          required: z.optional(z.boolean()),
          description: z.optional(z.string()),
          example: z.optional(z.unknown()),
        }),
      ),
    ),
  }),
);

export const messageSendSchema = /* @__PURE__ */ schema(() =>
  z.strictObject({
    customerId: z
      .string()
      .check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a customer id (26-character ULID)')),
    /** A declared service topic: consent applies to transactional sends too. */
    topic: text(64),
    /** In order of preference; the first the customer may get on is used. */
    channels: z.array(channelSchema).check(
      z.minLength(1, 'must name at least one channel'),
      z.maxLength(4),
      z.refine((list) => new Set(list).size === list.length, 'must not name a channel twice'),
    ),
    template: inlineTemplateSchema,
    /** Template data under `event.` (the order that shipped, the code to show). */
    data: z.optional(z.record(z.string(), z.unknown())),
    /** Push tokens and webhook URLs; email and SMS go to the profile's addresses. */
    addresses: z.optional(
      z.strictObject({
        push: z.optional(text(4096)),
        webhook: z.optional(z.url({ message: 'must be a URL' })),
      }),
    ),
    pushPlatform: z._default(z.enum(['GCM', 'APNS', 'APNS_SANDBOX', 'BAIDU', 'ADM']), 'GCM'),
    /** Quiet hours for this message: the stage's `transactional.quietHours` when absent. */
    quietHours: z.optional(z.enum(['bypass', 'defer'])),
  }),
);
export type MessageSendInput = z.output<typeof messageSendSchema>;

const skipView = /* @__PURE__ */ schema(() =>
  z.object({ channel: channelSchema, reason: z.string(), deferUntil: z.optional(z.string()) }),
);

export const messageResultSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      source: z.string(),
      status: z.enum(['sent', 'deferred', 'not_sent', 'duplicate', 'failed']),
      channel: z.optional(channelSchema),
      messageId: z.optional(z.string()),
      providerMessageId: z.optional(z.string()),
      deferUntil: z.optional(z.string()),
      detail: z.optional(z.string()),
      skipped: z.array(skipView),
    })
    .check(z.meta({ id: 'MessageResult' })),
);

export const deliveryViewSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      source: z.string(),
      channel: channelSchema,
      state: z.enum(ledgerStates),
      reason: z.optional(z.string()),
      detail: z.optional(z.string()),
      deferUntil: z.optional(z.string()),
      topic: z.optional(z.string()),
      address: z.optional(z.string()),
      timeZone: z.optional(z.string()),
      timeZoneFrom: z.optional(z.enum(['profile', 'default'])),
      providerMessageId: z.optional(z.string()),
      meta: z.optional(z.record(z.string(), z.string())),
      attempts: z.number(),
      updatedAt: z.string(),
      reservedAt: z.optional(z.string()),
      sentAt: z.optional(z.string()),
    })
    .check(z.meta({ id: 'Delivery' })),
);

export const deliveryListSchema = /* @__PURE__ */ schema(() =>
  z
    .object({ items: z.array(deliveryViewSchema), next: z.optional(z.string()) })
    .check(z.meta({ id: 'DeliveryList' })),
);

export const deliveriesQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    /** `campaign:<id>`, `automation:<id>` or `transactional:<key>`; a prefix such as `campaign:` works too. */
    source: z.optional(
      z
        .string()
        .check(
          z.regex(
            /^(campaign|automation|transactional):[\x21-\x7e]{0,200}$/,
            'must be campaign:<id>, automation:<id> or transactional:<key>',
          ),
        ),
    ),
    limit: limitSchema,
    cursor: z.optional(z.string().check(z.maxLength(4096))),
  }),
);

export const deliverySettingsView = /* @__PURE__ */ schema(() =>
  z
    .object({
      settings: deliverySettingsSchema,
      version: z.number().check(z.int()),
      updatedAt: z.optional(z.string()),
    })
    .check(z.meta({ id: 'DeliverySettings' })),
);
