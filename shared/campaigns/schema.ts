import { channelSchema } from '../consent/schema.ts';
import { isTimeZone } from '../delivery/clock.ts';
import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';
import { campaignStatuses } from '../store/entities/campaign.ts';

const ulidPattern = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const ulid = (what: string) =>
  z.string().check(z.regex(ulidPattern, `must be a ${what} id (26-character ULID)`));

/** A-tier customers get one variant, the others another; a variant without tiers is for everyone. */
export const MAX_VARIANTS = 10;

const emailContent = /* @__PURE__ */ schema(() =>
  z.strictObject({
    subject: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(998)),
    html: z.optional(z.string().check(z.maxLength(200_000))),
    text: z.optional(z.string().check(z.maxLength(200_000))),
  }),
);

const content = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      email: z.optional(emailContent),
      sms: z.optional(z.strictObject({ body: z.string().check(z.minLength(1), z.maxLength(1600)) })),
      push: z.optional(
        z.strictObject({
          title: z.string().check(z.minLength(1), z.maxLength(200)),
          body: z.string().check(z.minLength(1), z.maxLength(2000)),
          data: z.optional(z.record(z.string(), z.string())),
          url: z.optional(z.string()),
        }),
      ),
      webhook: z.optional(z.strictObject({ url: z.url(), body: z.unknown() })),
    })
    .check(z.meta({ description: 'Liquid content per channel (see the templates API)' })),
);

export const variantSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      id: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 letters, digits, _ or -')),
      /** Share among the variants a customer qualifies for (A/B/n). */
      weight: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(1000)), 1),
      /** Only customers in these tiers get this variant; absent = every tier. */
      tiers: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
      /** Locale of the content; the customer's locale is ignored for inline content. */
      locale: z._default(z.string().check(z.minLength(2), z.maxLength(35)), 'en'),
      content,
    })
    .check(z.meta({ id: 'CampaignVariant' })),
);

const hhmm = /* @__PURE__ */ schema(() =>
  z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time of day as HH:MM')),
);

export const scheduleSchema = /* @__PURE__ */ schema(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('now') }),
    z.strictObject({ kind: z.literal('at'), at: z.iso.datetime({ offset: true }) }),
    z.strictObject({
      kind: z.literal('local'),
      /** The local day (YYYY-MM-DD) and time of day each customer gets it at, in their own zone. */
      date: z.iso.date(),
      time: hhmm,
      /** For customers without a (valid) time zone. */
      defaultTimeZone: z._default(
        z.string().check(z.refine(isTimeZone, 'must be an IANA time zone, e.g. Asia/Shanghai')),
        'UTC',
      ),
    }),
    z.strictObject({
      kind: z.literal('recurring'),
      /** EventBridge Scheduler expression: rate(1 day), rate(7 days), cron(0 10 * * ? *) in UTC. */
      expression: z
        .string()
        .check(
          z.regex(
            /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^)]+\))$/,
            'must be rate(N unit) or cron(...)',
          ),
        ),
      startAt: z.optional(z.iso.datetime({ offset: true })),
      endAt: z.optional(z.iso.datetime({ offset: true })),
    }),
  ]),
);
export type CampaignSchedule = z.output<typeof scheduleSchema>;

const capLimit = /* @__PURE__ */ schema(() =>
  z.strictObject({
    day: z.optional(z.number().check(z.int(), z.minimum(0))),
    week: z.optional(z.number().check(z.int(), z.minimum(0))),
  }),
);

const audience = /* @__PURE__ */ schema(() =>
  z.strictObject({
    include: z
      .array(ulid('segment'))
      .check(z.minLength(1, 'must name at least one segment'), z.maxLength(10)),
    exclude: z._default(z.array(ulid('segment')).check(z.maxLength(10)), []),
    /** Percent of the audience kept back (deterministic per campaign and customer) to measure lift. */
    holdoutPercent: z._default(z.number().check(z.minimum(0), z.maximum(50)), 0),
  }),
);

const fields = {
  name: z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(200)),
  description: z.optional(z.string().check(z.maxLength(2000))),
  topic: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  channels: z.array(channelSchema).check(z.minLength(1, 'must name at least one channel'), z.maxLength(4)),
  audience,
  variants: z.array(variantSchema).check(z.minLength(1, 'must have at least one variant')),
  schedule: scheduleSchema,
  caps: z.optional(z.partialRecord(channelSchema, capLimit)),
  testRecipients: z._default(z.array(ulid('customer')).check(z.maxLength(20)), []),
};

function variantRules(
  body: { variants?: { id: string; content: Record<string, unknown> }[]; channels?: string[] },
  ctx: { addIssue: (i: { code: 'custom'; path: (string | number)[]; message: string }) => void },
): void {
  const seen = new Set<string>();
  (body.variants ?? []).forEach((v, i) => {
    if (seen.has(v.id))
      ctx.addIssue({ code: 'custom', path: ['variants', i, 'id'], message: 'repeats an id' });
    seen.add(v.id);
    for (const channel of body.channels ?? []) {
      if (!v.content[channel])
        ctx.addIssue({
          code: 'custom',
          path: ['variants', i, 'content', channel],
          message: `is required: the campaign may send on ${channel}`,
        });
    }
  });
  if ((body.variants?.length ?? 0) > MAX_VARIANTS)
    ctx.addIssue({ code: 'custom', path: ['variants'], message: `must have at most ${MAX_VARIANTS}` });
}

export const campaignCreateSchema = /* @__PURE__ */ schema(() =>
  z.strictObject(fields).check(z.superRefine(variantRules), z.meta({ id: 'CampaignCreate' })),
);
export type CampaignCreate = z.output<typeof campaignCreateSchema>;

/** A JSON merge patch of a draft: any field of the create body. */
export const campaignPatchSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      name: z.optional(fields.name),
      description: z.optional(z.nullable(z.string().check(z.maxLength(2000)))),
      topic: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(64)))),
      channels: z.optional(fields.channels),
      audience: z.optional(audience),
      variants: z.optional(fields.variants),
      schedule: z.optional(scheduleSchema),
      caps: z.optional(z.nullable(z.partialRecord(channelSchema, capLimit))),
      testRecipients: z.optional(z.array(ulid('customer')).check(z.maxLength(20))),
    })
    .check(z.meta({ id: 'CampaignPatch' })),
);
export type CampaignPatch = z.output<typeof campaignPatchSchema>;

export const campaignActions = [
  'submit',
  'approve',
  'reject',
  'schedule',
  'pause',
  'resume',
  'cancel',
  'test-send',
  'dry-run',
] as const;
export type CampaignAction = (typeof campaignActions)[number];

export const campaignActionParams = /* @__PURE__ */ schema(() =>
  z.strictObject({
    campaignId: ulid('campaign'),
    action: z.enum(campaignActions, {
      message: `must be one of ${campaignActions.join(', ')}`,
    }),
  }),
);

export const campaignActionBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      /** Why (reject, cancel); kept in the audit trail. */
      note: z.optional(z.string().check(z.maxLength(500))),
      /** Dry run only: how many customers to evaluate (the first ones of the audience). */
      sample: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(10_000))),
    })
    .check(z.meta({ id: 'CampaignAction' })),
);

export const campaignIdParams = /* @__PURE__ */ schema(() =>
  z.strictObject({ campaignId: ulid('campaign') }),
);

export const campaignListQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 20),
    cursor: z.optional(z.string()),
    status: z.optional(z.enum(campaignStatuses)),
  }),
);

export const campaignSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string(),
      name: z.string(),
      status: z.enum(campaignStatuses),
      channels: z.array(channelSchema),
      version: z.number(),
      createdAt: z.string(),
      updatedAt: z.string(),
    })
    .check(z.meta({ id: 'Campaign' })),
);
