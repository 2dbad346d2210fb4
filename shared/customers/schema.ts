import { z } from 'zod';

/**
 * Request and response schemas for customers. The same objects validate requests in the handlers and
 * generate the OpenAPI document, so the two cannot drift.
 */

// Control characters other than ordinary whitespace never belong in names or free text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject them
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** Free text in any script: NFC-normalized, trimmed, inner whitespace collapsed. */
export const text = (max: number) =>
  z
    .string()
    .transform((s) => s.normalize('NFC').trim().replace(/\s+/gu, ' '))
    .pipe(
      z
        .string()
        .min(1, 'must not be empty')
        .max(max, `must be at most ${max} characters`)
        .refine((s) => !CONTROL.test(s), 'must not contain control characters'),
    );

export const emailInput = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.email('must be a valid email address').max(254, 'must be at most 254 characters'));

/** Raw phone; normalized to E.164 in the domain, where the default region is known. */
export const phoneInput = z.string().trim().min(3, 'must be a phone number').max(32, 'is too long');

export const externalIdInput = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[\p{L}\p{N}._:@\-/]+$/u, 'may contain letters, digits and . _ : @ - / only');

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz.includes('/') || tz === 'UTC';
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as Asia/Shanghai');

const locale = z.string().transform((value, ctx) => {
  try {
    const [canonical] = Intl.getCanonicalLocales(value);
    if (canonical) return canonical;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'must be a BCP 47 language tag such as zh-CN or en-US' });
  return z.NEVER;
});

const country = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as CN'));

export const birthdaySchema = z
  .strictObject({
    date: z
      .string()
      .regex(/^(\d{4}|-)-\d{2}-\d{2}$/, 'must be YYYY-MM-DD, or --MM-DD when the year is unknown'),
    calendar: z.enum(['gregorian', 'lunar']).default('gregorian'),
    /** Lunar calendar only: the birthday falls in a leap month. */
    leapMonth: z.boolean().optional(),
  })
  .superRefine((b, ctx) => {
    const [, yearText, monthText, dayText] = /^(\d{4}|-)-(\d{2})-(\d{2})$/.exec(b.date) ?? [];
    const month = Number(monthText);
    const day = Number(dayText);
    const year = yearText === '-' ? 2000 : Number(yearText);
    if (b.calendar === 'lunar') {
      if (month < 1 || month > 12 || day < 1 || day > 30) {
        ctx.addIssue({ code: 'custom', path: ['date'], message: 'lunar month must be 1-12 and day 1-30' });
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
  })
  .meta({ id: 'Birthday', description: 'A birthday, optionally in the Chinese lunar calendar.' });

export const addressSchema = z
  .strictObject({
    country: country.optional(),
    province: text(100).optional(),
    city: text(100).optional(),
  })
  .meta({ id: 'Address' });

export const genderSchema = z.enum(['female', 'male', 'other', 'unknown']);

const tags = z
  .array(text(64))
  .max(50, 'must have at most 50 tags')
  .transform((t) => [...new Set(t)]);

export const customAttributeValue = z.union([
  z.string().max(1000),
  z.number(),
  z.boolean(),
  z.array(z.string().max(200)).max(100),
]);

export const attributeNameSchema = z
  .string()
  .regex(
    /^[a-z][a-zA-Z0-9_]{0,63}$/,
    'must start with a lower-case letter and use letters, digits and _ only',
  );

/** Fields a client may set on a customer (the identities included). */
const profileFields = {
  externalId: externalIdInput.optional(),
  email: emailInput.optional(),
  phone: phoneInput.optional(),
  name: text(200).optional(),
  givenName: text(100).optional(),
  familyName: text(100).optional(),
  gender: genderSchema.optional(),
  birthday: birthdaySchema.optional(),
  locale: locale.optional(),
  timeZone: timeZone.optional(),
  address: addressSchema.optional(),
  tags: tags.optional(),
  sourceChannel: text(64).optional(),
  owner: text(128).optional(),
  attributes: z.record(attributeNameSchema, customAttributeValue).optional(),
};

export const customerUpsertSchema = z
  .strictObject(profileFields)
  .refine((c) => c.externalId !== undefined || c.email !== undefined || c.phone !== undefined, {
    message: 'needs at least one identity: externalId, email or phone',
    path: ['externalId'],
  })
  .meta({
    id: 'CustomerUpsert',
    description:
      'Creates a customer, or updates the one that the externalId, email or phone already belongs to.',
  });
export type CustomerUpsertInput = z.output<typeof customerUpsertSchema>;

/** JSON merge patch (RFC 7396): a field set to null is removed. */
const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
export const customerPatchSchema = z
  .strictObject({
    externalId: nullable(externalIdInput),
    email: nullable(emailInput),
    phone: nullable(phoneInput),
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
    attributes: nullable(z.record(attributeNameSchema, customAttributeValue.nullable())),
  })
  .meta({ id: 'CustomerPatch', description: 'A JSON merge patch: fields set to null are removed.' });
export type CustomerPatchInput = z.output<typeof customerPatchSchema>;

export const customerSchema = z
  .object({
    id: z.string(),
    externalId: z.string().optional(),
    email: z.string().optional(),
    phone: z.string().optional().meta({ description: 'E.164' }),
    name: z.string().optional(),
    givenName: z.string().optional(),
    familyName: z.string().optional(),
    gender: genderSchema.optional(),
    birthday: z
      .object({
        date: z.string(),
        calendar: z.enum(['gregorian', 'lunar']),
        leapMonth: z.boolean().optional(),
      })
      .optional(),
    locale: z.string().optional(),
    timeZone: z.string().optional(),
    address: z.object({ country: z.string(), province: z.string(), city: z.string() }).partial().optional(),
    tags: z.array(z.string()),
    sourceChannel: z.string().optional(),
    owner: z.string().optional(),
    tier: z.string().optional().meta({ description: 'Computed by scoring; read-only' }),
    lifecycleStage: z.string().optional().meta({ description: 'Computed by scoring; read-only' }),
    attributes: z.record(z.string(), customAttributeValue),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Customer' });
export type CustomerView = z.output<typeof customerSchema>;

export const customerIdParams = z.strictObject({
  customerId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a customer id (26-character ULID)'),
});

const isoInstant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone' });

export const limitSchema = z.coerce
  .number({ message: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(200, 'must be at most 200')
  .default(50);

export const customerListQuery = z.strictObject({
  limit: limitSchema,
  cursor: z.string().max(4096).optional(),
  tag: z.string().min(1).max(64).optional(),
  owner: z.string().min(1).max(128).optional(),
  tier: z.string().min(1).max(32).optional(),
  lifecycle: z.string().min(1).max(32).optional(),
  updatedSince: isoInstant.optional(),
});
export type CustomerListQuery = z.output<typeof customerListQuery>;

export const customerListSchema = z
  .object({ items: z.array(customerSchema), next: z.string().optional() })
  .meta({ id: 'CustomerList' });

export const attributeDefinitionSchema = z
  .strictObject({
    type: z.enum(['string', 'number', 'boolean', 'date', 'string_list']),
    description: z.string().max(500).optional(),
  })
  .meta({ id: 'AttributeDefinitionInput' });

export const attributeDefinitionView = z
  .object({
    name: z.string(),
    type: z.enum(['string', 'number', 'boolean', 'date', 'string_list']),
    description: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'AttributeDefinition' });

export const attributeNameParams = z.strictObject({ name: attributeNameSchema });

export const auditQuery = z.strictObject({ limit: limitSchema, cursor: z.string().max(4096).optional() });
