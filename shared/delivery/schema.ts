import { channelSchema } from '../consent/schema.ts';
import { limitSchema } from '../customers/schema.ts';
import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';
import { ledgerStates } from '../store/entities/delivery-entry.ts';
import { templateInputSchema } from '../templates/schema.ts';
import { deliverySettingsSchema } from './settings.ts';

/** Request and response schemas of the send gate's API: transactional sends, deliveries, settings. */

const text = (max: number) => z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(max));

export const messageSendSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
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
      /** A stored template (`POST /v1/templates`), or… */
      templateId: z.optional(z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a template id'))),
      /** …a template given with the request, checked as a stored one is. */
      template: z.optional(templateInputSchema),
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
    })
    .check(
      z.refine((m) => (m.templateId === undefined) !== (m.template === undefined), {
        message: 'give either templateId or template',
        path: ['templateId'],
      }),
    ),
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
