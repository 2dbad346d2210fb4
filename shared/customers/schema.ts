import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';

/**
 * Request and response schemas for customers. The same objects validate requests in the handlers and
 * generate the OpenAPI document, so the two cannot drift.
 */

// Control characters other than ordinary whitespace never belong in names or free text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject them
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** Free text in any script: NFC-normalized, trimmed, inner whitespace collapsed. */
export const text = (max: number) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((s: string) => s.normalize('NFC').trim().replace(/\s+/gu, ' ')),
    ),
    z.string().check(
      z.minLength(1, 'must not be empty'),
      z.maxLength(max, `must be at most ${max} characters`),
      z.refine((s) => !CONTROL.test(s), 'must not contain control characters'),
    ),
  );

export const emailInput = /* @__PURE__ */ schema(() =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((s: string) => s.trim().toLowerCase()),
    ),
    z.email('must be a valid email address').check(z.maxLength(254, 'must be at most 254 characters')),
  ),
);

/** Raw phone; normalized to E.164 in the domain, where the default region is known. */
export const phoneInput = /* @__PURE__ */ schema(() =>
  z.string().check(z.trim(), z.minLength(3, 'must be a phone number'), z.maxLength(32, 'is too long')),
);

export const externalIdInput = /* @__PURE__ */ schema(() =>
  z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'must not be empty'),
      z.maxLength(128, 'must be at most 128 characters'),
      z.regex(/^[\p{L}\p{N}._:@\-/]+$/u, 'may contain letters, digits and . _ : @ - / only'),
    ),
);

/** Addresses of one kind a customer may hold: with the profile and audit, every write stays far below
 * DynamoDB's 100 items per transaction, a merge of several customers included. */
export const MAX_ADDRESSES = 10;

const emailList = /* @__PURE__ */ schema(() =>
  z.pipe(
    z.array(emailInput).check(z.maxLength(MAX_ADDRESSES, `must have at most ${MAX_ADDRESSES} addresses`)),
    z.transform((list: string[]) => [...new Set(list)]),
  ),
);

/** Raw phones; normalized (and made unique) in the domain, where the default region is known. */
const phoneList = /* @__PURE__ */ schema(() =>
  z.array(phoneInput).check(z.maxLength(MAX_ADDRESSES, `must have at most ${MAX_ADDRESSES} numbers`)),
);

const timeZone = /* @__PURE__ */ schema(() =>
  z.string().check(
    z.refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return tz.includes('/') || tz === 'UTC';
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Asia/Shanghai'),
  ),
);

const locale = /* @__PURE__ */ schema(() =>
  z.pipe(
    z.string(),
    z.transform((value: string, ctx) => {
      try {
        const [canonical] = Intl.getCanonicalLocales(value);
        if (canonical) return canonical;
      } catch {
        // reported below
      }
      ctx.issues.push({
        code: 'custom',
        message: 'must be a BCP 47 language tag such as zh-CN or en-US',
        input: value,
      });
      return z.NEVER;
    }),
  ),
);

const country = /* @__PURE__ */ schema(() =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((s: string) => s.trim().toUpperCase()),
    ),
    z.string().check(z.regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as CN')),
  ),
);

export const birthdaySchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      date: z
        .string()
        .check(z.regex(/^(\d{4}|-)-\d{2}-\d{2}$/, 'must be YYYY-MM-DD, or --MM-DD when the year is unknown')),
      calendar: z._default(z.enum(['gregorian', 'lunar']), 'gregorian'),
      /** Lunar calendar only: the birthday falls in a leap month. */
      leapMonth: z.optional(z.boolean()),
    })
    .check(
      z.superRefine((b, ctx) => {
        const [, yearText, monthText, dayText] = /^(\d{4}|-)-(\d{2})-(\d{2})$/.exec(b.date) ?? [];
        const month = Number(monthText);
        const day = Number(dayText);
        const year = yearText === '-' ? 2000 : Number(yearText);
        if (b.calendar === 'lunar') {
          if (month < 1 || month > 12 || day < 1 || day > 30) {
            ctx.addIssue({
              code: 'custom',
              path: ['date'],
              message: 'lunar month must be 1-12 and day 1-30',
            });
          }
          return;
        }
        if (b.leapMonth) {
          ctx.addIssue({ code: 'custom', path: ['leapMonth'], message: 'applies to lunar birthdays only' });
        }
        const d = new Date(Date.UTC(year, month - 1, day));
        if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) {
          ctx.addIssue({ code: 'custom', path: ['date'], message: 'is not a real calendar date' });
        } else if (yearText !== '-' && (year < 1900 || d.getTime() > Date.now())) {
          ctx.addIssue({ code: 'custom', path: ['date'], message: 'must be between 1900 and today' });
        }
      }),
      z.meta({ id: 'Birthday', description: 'A birthday, optionally in the Chinese lunar calendar.' }),
    ),
);

export const addressSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      country: z.optional(country),
      province: z.optional(text(100)),
      city: z.optional(text(100)),
      /** Where the customer is, for segment rules that measure a distance (`near`). */
      location: z.optional(
        z.strictObject({
          lat: z.number().check(z.minimum(-90, 'must be -90..90'), z.maximum(90, 'must be -90..90')),
          lon: z.number().check(z.minimum(-180, 'must be -180..180'), z.maximum(180, 'must be -180..180')),
        }),
      ),
    })
    .check(z.meta({ id: 'Address' })),
);

export const genderSchema = /* @__PURE__ */ schema(() => z.enum(['female', 'male', 'other', 'unknown']));

const tags = /* @__PURE__ */ schema(() =>
  z.pipe(
    z.array(text(64)).check(z.maxLength(50, 'must have at most 50 tags')),
    z.transform((t: string[]) => [...new Set(t)]),
  ),
);

export const customAttributeValue = /* @__PURE__ */ schema(() =>
  z.union([
    z.string().check(z.maxLength(1000)),
    z.number(),
    z.boolean(),
    z.array(z.string().check(z.maxLength(200))).check(z.maxLength(100)),
  ]),
);

export const attributeNameSchema = /* @__PURE__ */ schema(() =>
  z
    .string()
    .check(
      z.regex(
        /^[a-z][a-zA-Z0-9_]{0,63}$/,
        'must start with a lower-case letter and use letters, digits and _ only',
      ),
    ),
);

/** Fields a client may set on a customer (the identities included). */
const profileFields = /* @__PURE__ */ schema(() => ({
  externalId: z.optional(externalIdInput),
  email: z.optional(emailInput),
  emails: z.optional(emailList),
  phone: z.optional(phoneInput),
  phones: z.optional(phoneList),
  name: z.optional(text(200)),
  givenName: z.optional(text(100)),
  familyName: z.optional(text(100)),
  gender: z.optional(genderSchema),
  birthday: z.optional(birthdaySchema),
  locale: z.optional(locale),
  timeZone: z.optional(timeZone),
  address: z.optional(addressSchema),
  tags: z.optional(tags),
  sourceChannel: z.optional(text(64)),
  owner: z.optional(text(128)),
  attributes: z.optional(z.record(attributeNameSchema, customAttributeValue)),
}));

export const customerUpsertSchema = /* @__PURE__ */ schema(() =>
  z.strictObject(profileFields).check(
    z.refine(
      (c) =>
        c.externalId !== undefined ||
        c.email !== undefined ||
        c.phone !== undefined ||
        (c.emails?.length ?? 0) > 0 ||
        (c.phones?.length ?? 0) > 0,
      { message: 'needs at least one identity: externalId, email or phone', path: ['externalId'] },
    ),
    z.meta({
      id: 'CustomerUpsert',
      description:
        'Creates a customer, or updates the one that the externalId, emails or phones already belong to. An address the customer does not have yet is added and becomes its primary one; `emails` and `phones` add several at once.',
    }),
  ),
);
export type CustomerUpsertInput = z.output<typeof customerUpsertSchema>;

/** JSON merge patch (RFC 7396): a field set to null is removed. */
const nullable = <T extends z.ZodMiniType>(schema: T) => z.optional(z.nullable(schema));
export const customerPatchSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      externalId: nullable(externalIdInput),
      email: nullable(emailInput),
      emails: nullable(emailList),
      phone: nullable(phoneInput),
      phones: nullable(phoneList),
      name: nullable(text(200)),
      givenName: nullable(text(100)),
      familyName: nullable(text(100)),
      gender: nullable(genderSchema),
      birthday: nullable(birthdaySchema),
      locale: nullable(locale),
      timeZone: nullable(timeZone),
      address: nullable(addressSchema),
      tags: nullable(tags),
      sourceChannel: nullable(text(64)),
      owner: nullable(text(128)),
      attributes: nullable(z.record(attributeNameSchema, z.nullable(customAttributeValue))),
    })
    .check(
      z.superRefine((p, ctx) => {
        for (const [one, all] of [
          ['email', 'emails'],
          ['phone', 'phones'],
        ] as const) {
          if (p[one] !== undefined && p[all] !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [one],
              message: `send either ${one} (the primary one) or ${all} (the whole list), not both`,
            });
          }
        }
      }),
      z.meta({
        id: 'CustomerPatch',
        description:
          'A JSON merge patch: fields set to null are removed. `email`/`phone` replace the primary address (the others stay); `emails`/`phones` set the whole list, primary first.',
      }),
    ),
);
export type CustomerPatchInput = z.output<typeof customerPatchSchema>;

export const customerSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string(),
      externalId: z.optional(z.string()),
      externalIdAliases: z
        .optional(z.array(z.string()))
        .check(
          z.meta({ description: 'External ids kept from merged customers; they still resolve to this one' }),
        ),
      email: z.optional(z.string()).check(z.meta({ description: 'The primary email: emails[0]' })),
      emails: z.array(z.string()).check(z.meta({ description: 'Every email, primary first' })),
      phone: z.optional(z.string()).check(z.meta({ description: 'The primary phone (E.164): phones[0]' })),
      phones: z.array(z.string()).check(z.meta({ description: 'Every phone (E.164), primary first' })),
      name: z.optional(z.string()),
      givenName: z.optional(z.string()),
      familyName: z.optional(z.string()),
      gender: z.optional(genderSchema),
      birthday: z.optional(
        z.object({
          date: z.string(),
          calendar: z.enum(['gregorian', 'lunar']),
          leapMonth: z.optional(z.boolean()),
        }),
      ),
      locale: z.optional(z.string()),
      timeZone: z.optional(z.string()),
      address: z.optional(
        z.partial(z.object({ country: z.string(), province: z.string(), city: z.string() })),
      ),
      tags: z.array(z.string()),
      sourceChannel: z.optional(z.string()),
      owner: z.optional(z.string()),
      tier: z.optional(z.string()).check(z.meta({ description: 'Computed by scoring; read-only' })),
      lifecycleStage: z.optional(z.string()).check(z.meta({ description: 'Computed by scoring; read-only' })),
      computed: z.optional(z.record(z.string(), z.unknown())).check(
        z.meta({
          description:
            'Purchase aggregates and scores, read-only: kept by the stream and the rescoring run, outside the profile version',
        }),
      ),
      attributes: z.record(z.string(), customAttributeValue),
      version: z.number().check(z.int()),
      createdAt: z.string(),
      updatedAt: z.string(),
    })
    .check(z.meta({ id: 'Customer' })),
);
export type CustomerView = z.output<typeof customerSchema>;

export const customerIdParams = /* @__PURE__ */ schema(() =>
  z.strictObject({
    customerId: z
      .string()
      .check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a customer id (26-character ULID)')),
  }),
);

const isoInstant = /* @__PURE__ */ schema(() =>
  z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone' }),
);

export const limitSchema = /* @__PURE__ */ schema(() =>
  z._default(
    z.coerce
      .number({ message: 'must be a number' })
      .check(
        z.int('must be a whole number'),
        z.minimum(1, 'must be at least 1'),
        z.maximum(200, 'must be at most 200'),
      ),
    50,
  ),
);

export const customerListQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    limit: limitSchema,
    cursor: z.optional(z.string().check(z.maxLength(4096))),
    tag: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    owner: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
    tier: z.optional(z.string().check(z.minLength(1), z.maxLength(32))),
    lifecycle: z.optional(z.string().check(z.minLength(1), z.maxLength(32))),
    updatedSince: z.optional(isoInstant),
  }),
);
export type CustomerListQuery = z.output<typeof customerListQuery>;

export const customerListSchema = /* @__PURE__ */ schema(() =>
  z
    .object({ items: z.array(customerSchema), next: z.optional(z.string()) })
    .check(z.meta({ id: 'CustomerList' })),
);

export const attributeDefinitionSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      type: z.enum(['string', 'number', 'boolean', 'date', 'string_list']),
      description: z.optional(z.string().check(z.maxLength(500))),
    })
    .check(z.meta({ id: 'AttributeDefinitionInput' })),
);

export const attributeDefinitionView = /* @__PURE__ */ schema(() =>
  z
    .object({
      name: z.string(),
      type: z.enum(['string', 'number', 'boolean', 'date', 'string_list']),
      description: z.optional(z.string()),
      createdAt: z.string(),
      updatedAt: z.string(),
    })
    .check(z.meta({ id: 'AttributeDefinition' })),
);

export const attributeNameParams = /* @__PURE__ */ schema(() =>
  z.strictObject({ name: attributeNameSchema }),
);

export const auditQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    limit: limitSchema,
    cursor: z.optional(z.string().check(z.maxLength(4096))),
  }),
);
