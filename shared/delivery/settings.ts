import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';
import { channels } from '../store/entities/consent.ts';
import { isTimeZone } from './clock.ts';

/**
 * Delivery settings of one stage: frequency caps per channel (and per tier), quiet hours, the time zone
 * used when a customer's is unknown, and how transactional sends are treated. An empty object is a
 * complete configuration; nested objects may be given in part.
 */

const limit = (what: string) =>
  z.optional(
    z
      .number()
      .check(
        z.int(`${what} must be a whole number`),
        z.gte(0, `${what} must be at least 0`),
        z.lte(1000, `${what} must be at most 1000`),
      ),
  );

export const capLimitSchema = /* @__PURE__ */ schema(() =>
  z.strictObject({ day: limit('a daily cap'), week: limit('a weekly cap') }),
);

const channelCaps = /* @__PURE__ */ schema(() => z.partialRecord(z.enum(channels), capLimitSchema));

const clockTime = /* @__PURE__ */ schema(() =>
  z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:mm, e.g. 21:00')),
);

export const timeZoneSchema = /* @__PURE__ */ schema(() =>
  z.string().check(z.refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai')),
);

export const deliverySettingsSchema = /* @__PURE__ */ schema(() =>
  z.strictObject({
    /** Used for customers without a (known) time zone on their profile; explicit, never "skip". */
    defaultTimeZone: z._default(timeZoneSchema, 'Asia/Shanghai'),
    /** Messages per customer per channel, per calendar day and ISO week in the customer's zone. */
    caps: z._default(channelCaps, {
      email: { day: 2, week: 5 },
      sms: { day: 1, week: 3 },
      push: { day: 3, week: 10 },
    }),
    /** Per tier (the profile's `tier`, e.g. A, B, C): replaces the channel's caps for customers in it. */
    tierCaps: z._default(z.record(z.string().check(z.minLength(1), z.maxLength(32)), channelCaps), {}),
    quietHours: z.prefault(
      z.strictObject({
        /** Local wall-clock window [start, end); across midnight when end is before start. */
        start: z._default(clockTime, '21:00'),
        end: z._default(clockTime, '08:00'),
        channels: z._default(z.array(z.enum(channels)), ['email', 'sms', 'push', 'webhook']),
      }),
      {},
    ),
    transactional: z.prefault(
      z.strictObject({
        /** Transactional sends are exempt from frequency caps unless this is false. */
        capsExempt: z._default(z.boolean(), true),
        /** Order confirmations and codes go out at night too (`bypass`), or wait for the morning (`defer`). */
        quietHours: z._default(z.enum(['bypass', 'defer']), 'bypass'),
      }),
      {},
    ),
    /** A reservation older than this with no confirmation is in doubt (its sender may have died). */
    leaseSeconds: z._default(
      z.number().check(z.int(), z.gte(30, 'must be at least 30'), z.lte(86_400, 'must be at most 86400')),
      300,
    ),
  }),
);

export type DeliverySettings = z.output<typeof deliverySettingsSchema>;

export function defaultDeliverySettings(): DeliverySettings {
  return deliverySettingsSchema.parse({});
}
