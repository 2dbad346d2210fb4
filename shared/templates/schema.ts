import { customerIdParams, limitSchema } from '../customers/schema.ts';
import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';
import { variableTypes } from './types.ts';

/**
 * Request and response schemas for templates. Liquid is checked by the service (parse, filters,
 * variables), which needs the whole template; these check shape and size.
 */

const liquid = (max: number) => z.string().check(z.maxLength(max, `must be at most ${max} characters`));
const required = (max: number) =>
  z
    .string()
    .check(z.minLength(1, 'must not be empty'), z.maxLength(max, `must be at most ${max} characters`));

export const localeSchema = /* @__PURE__ */ schema(() =>
  z.string().check(
    z.refine((value) => {
      try {
        return (
          /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(value) && Intl.getCanonicalLocales(value).length === 1
        );
      } catch {
        return false;
      }
    }, 'must be a BCP 47 language tag such as en, zh or zh-CN'),
  ),
);

const channelContent = /* @__PURE__ */ schema(() =>
  z.strictObject({
    email: z.optional(
      z
        .strictObject({
          subject: required(998),
          html: z.optional(liquid(200_000)),
          text: z.optional(liquid(100_000)),
        })
        .check(z.refine((e) => e.html !== undefined || e.text !== undefined, 'needs html or text (or both)')),
    ),
    sms: z.optional(z.strictObject({ body: required(5_000) })),
    push: z.optional(
      z.strictObject({
        title: liquid(500),
        body: required(4_000),
        data: z.optional(
          z
            .record(
              z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'keys take letters, digits, _ and -')),
              liquid(2_000),
            )
            .check(z.refine((d) => Object.keys(d).length <= 50, 'may have at most 50 keys')),
        ),
        url: z.optional(liquid(2_000)),
      }),
    ),
    webhook: z.optional(z.strictObject({ body: z.json() })),
  }),
);

const variableName = /* @__PURE__ */ schema(() =>
  z
    .string()
    .check(
      z.regex(
        /^(event|customer\.attributes)(\.[A-Za-z_][A-Za-z0-9_-]*)+$/,
        'must be a dotted path under event. or customer.attributes., e.g. event.order.total',
      ),
    ),
);

const variableSpec = /* @__PURE__ */ schema(() =>
  z.strictObject({
    type: z.enum(variableTypes),
    required: z.optional(z.boolean()),
    description: z.optional(z.string().check(z.maxLength(500))),
    example: z.optional(z.json()),
  }),
);

const topic = /* @__PURE__ */ schema(() =>
  z.string().check(z.regex(/^(\*|[a-z0-9][a-z0-9_-]{0,63})$/, 'must be a declared topic name or *')),
);

export const templateInputSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      name: z
        .pipe(
          z.string(),
          z.transform((s: string) => s.normalize('NFC').trim()),
        )
        .check(z.minLength(1, 'must not be empty'), z.maxLength(200, 'must be at most 200 characters')),
      description: z.optional(z.string().check(z.maxLength(2_000))),
      defaultLocale: localeSchema,
      content: channelContent,
      locales: z.optional(
        z
          .record(localeSchema, channelContent)
          .check(z.refine((l) => Object.keys(l).length <= 50, 'may have at most 50 locales')),
      ),
      variables: z.optional(
        z
          .record(variableName, variableSpec)
          .check(z.refine((v) => Object.keys(v).length <= 200, 'may declare at most 200 variables')),
      ),
      topic: z.optional(topic),
    })
    .check(
      z.refine((t) => Object.values(t.content).some((c) => c !== undefined), {
        message: 'must have content for at least one channel',
        path: ['content'],
      }),
    ),
);
export type TemplateInput = z.output<typeof templateInputSchema>;

export const templateParams = /* @__PURE__ */ schema(() =>
  z.strictObject({
    templateId: z
      .string()
      .check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a template id (26-character ULID)')),
  }),
);

export const templateListQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    status: z._default(z.enum(['active', 'archived']), 'active'),
    limit: limitSchema,
    cursor: z.optional(z.string().check(z.maxLength(4096))),
  }),
);

export const renderChannels = ['email', 'sms', 'push', 'webhook'] as const;

export const templateRenderSchema = /* @__PURE__ */ schema(() =>
  z.strictObject({
    customerId: customerIdParams.shape.customerId,
    channel: z.enum(renderChannels),
    locale: z.optional(localeSchema),
    event: z.optional(z.record(z.string(), z.json())),
  }),
);
export type TemplateRenderInput = z.output<typeof templateRenderSchema>;

export const templateView = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string(),
      name: z.string(),
      status: z.enum(['active', 'archived']),
      description: z.optional(z.string()),
      defaultLocale: z.string(),
      content: z.record(z.string(), z.unknown()),
      locales: z.optional(z.record(z.string(), z.unknown())),
      variables: z.optional(z.record(z.string(), z.unknown())),
      topic: z.optional(z.string()),
      version: z.number().check(z.int()),
      createdAt: z.string(),
      updatedAt: z.string(),
      archivedAt: z.optional(z.string()),
    })
    .check(z.meta({ id: 'Template' })),
);
export type TemplateView = z.output<typeof templateView>;

export const renderedView = /* @__PURE__ */ schema(() =>
  z
    .object({
      templateId: z.string(),
      version: z.number().check(z.int()),
      customerId: z.string(),
      channel: z.enum(renderChannels),
      locale: z.string().check(z.meta({ description: 'The template locale whose content was used' })),
      content: z.record(z.string(), z.unknown()).check(
        z.meta({
          description:
            'email: subject, html, text, unsubscribeUrl; sms: body, sms {encoding, characters, units, parts, perPart}; push: title, body, data, url; webhook: body',
        }),
      ),
      warnings: z.array(z.string()),
    })
    .check(z.meta({ id: 'RenderedTemplate' })),
);
