import { emailInput, text } from '../customers/schema.ts';
import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';
import { channels, consentStatuses } from '../store/entities/consent.ts';
import { suppressionReasons } from '../store/entities/suppression.ts';

/** Request and response schemas for topics, consents and suppressions (handlers and OpenAPI alike). */

export const channelSchema = /* @__PURE__ */ schema(() =>
  z.enum(channels, { error: `must be one of ${channels.join(', ')}` }),
);

export const topicNameSchema = /* @__PURE__ */ schema(() =>
  z
    .string()
    .check(
      z.regex(
        /^[a-z][a-z0-9_-]{0,63}$/,
        'must start with a lower-case letter and use a-z, 0-9, _ and - only',
      ),
    ),
);

export const topicParams = /* @__PURE__ */ schema(() => z.strictObject({ topic: topicNameSchema }));

export const topicPutSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      name: z.strictObject({ en: text(100), zh: text(100) }),
      description: z.optional(text(500)),
      kind: z._default(z.enum(['marketing', 'service']), 'marketing'),
      channels: z
        .array(channelSchema)
        .check(z.minLength(1, 'must name at least one channel'), z.maxLength(channels.length)),
      /** Omitted: opted_out for marketing topics (explicit opt-in), opted_in for service topics. */
      defaultStatus: z.optional(z.enum(['opted_in', 'opted_out'])),
    })
    .check(
      z.meta({
        id: 'TopicInput',
        description:
          'A subscription topic. defaultStatus applies to customers without any record for the topic or its channel; it defaults to opted_out for marketing (explicit opt-in) and opted_in for service topics.',
      }),
    ),
);
export type TopicPutInput = z.output<typeof topicPutSchema>;

export const topicView = /* @__PURE__ */ schema(() =>
  z
    .object({
      topic: z.string(),
      name: z.object({ en: z.string(), zh: z.string() }),
      description: z.optional(z.string()),
      kind: z.enum(['marketing', 'service']),
      channels: z.array(channelSchema),
      defaultStatus: z.enum(['opted_in', 'opted_out']),
      createdAt: z.string(),
      updatedAt: z.string(),
    })
    .check(z.meta({ id: 'Topic' })),
);

const proofSchema = /* @__PURE__ */ schema(() =>
  z.pipe(
    z.union([z.string().check(z.maxLength(2000)), z.record(z.string(), z.unknown())]),
    z.transform((p: string | Record<string, unknown>) => (typeof p === 'string' ? p : JSON.stringify(p))),
  ),
);

export const consentsPutSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      consents: z
        .array(
          z.strictObject({
            channel: channelSchema,
            topic: z._default(z.union([z.literal('*'), topicNameSchema]), '*'),
            status: z.enum(['opted_in', 'opted_out'], { error: 'must be opted_in or opted_out' }),
            source: z._default(
              z
                .string()
                .check(z.regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be a lower-case word such as api or import')),
              'api',
            ),
            proof: z.optional(proofSchema),
          }),
        )
        .check(
          z.minLength(1, 'must hold at least one consent'),
          z.maxLength(50, 'must hold at most 50 consents'),
        ),
    })
    .check(
      z.meta({
        id: 'ConsentsInput',
        description:
          'Consent changes, applied together. Topic `*` (the default) is the channel as a whole. With double opt-in on, an email opt-in becomes pending until the customer clicks the link mailed to them.',
      }),
    ),
);
export type ConsentsPutInput = z.output<typeof consentsPutSchema>;

const consentView = /* @__PURE__ */ schema(() =>
  z.object({
    channel: channelSchema,
    topic: z.string(),
    status: z.enum(consentStatuses),
    source: z.string(),
    proof: z.optional(z.string()),
    updatedAt: z.string(),
  }),
);

export const consentsView = /* @__PURE__ */ schema(() =>
  z
    .object({
      customerId: z.string(),
      items: z.array(consentView),
      frequency: z.optional(z.enum(['any', 'weekly', 'monthly'])),
      history: z.array(
        z.object({
          id: z.string(),
          channel: channelSchema,
          topic: z.string(),
          status: z.enum(consentStatuses),
          previousStatus: z.optional(z.string()),
          source: z.string(),
          proof: z.optional(z.string()),
          actor: z.string(),
          at: z.string(),
        }),
      ),
    })
    .check(
      z.meta({ id: 'Consents', description: 'Current consents and the latest 100 changes, newest first' }),
    ),
);

export const suppressionParams = /* @__PURE__ */ schema(() =>
  z.strictObject({
    channel: channelSchema,
    address: z.string().check(z.minLength(1), z.maxLength(2048)),
  }),
);

export const suppressionPutSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      reason: z.enum(suppressionReasons, { error: `must be one of ${suppressionReasons.join(', ')}` }),
      source: z._default(
        z.string().check(z.regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be a lower-case word such as api or ses')),
        'api',
      ),
      detail: z.optional(text(1000)),
    })
    .check(z.meta({ id: 'SuppressionInput' })),
);

export const suppressionView = /* @__PURE__ */ schema(() =>
  z
    .object({
      channel: channelSchema,
      address: z.string(),
      reason: z.enum(suppressionReasons),
      source: z.string(),
      detail: z.optional(z.string()),
      createdAt: z.string(),
    })
    .check(z.meta({ id: 'Suppression' })),
);

/** The editable fields of the preference page, as the form posts them. */
export const preferenceEmail = emailInput;

export const tokenParams = /* @__PURE__ */ schema(() =>
  z.strictObject({ token: z.string().check(z.minLength(1), z.maxLength(4096)) }),
);
