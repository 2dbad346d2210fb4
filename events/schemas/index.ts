import * as z from '../../shared/platform/zod.ts';

/**
 * Contracts for every message Cohort puts on its queues and its event bus. Producers build messages
 * with these types; consumers parse with these schemas, so a malformed message fails loudly.
 */

/** SQS `erasure` queue body. */
export const erasureMessage = z.strictObject({ customerId: z.string().check(z.minLength(1)) });
export type ErasureMessage = z.output<typeof erasureMessage>;

/** SQS `export` queue body: advance this export job. */
export const exportMessage = z.strictObject({ exportId: z.string().check(z.minLength(1)) });
export type ExportMessage = z.output<typeof exportMessage>;

/** Bus `customer.changed`: a profile was created, updated or removed (erasure included). */
export const customerChangedDetail = z.object({
  customerId: z.string(),
  change: z.enum(['created', 'updated', 'removed']),
  /** Profile fields whose values changed (names only, never values). */
  fields: z.array(z.string()),
  version: z.optional(z.number().check(z.int())),
  at: z.string(),
});
export type CustomerChangedDetail = z.output<typeof customerChangedDetail>;

/** Bus `customer.erased`: an erasure was requested; consumers drop what they hold about the customer. */
export const customerErasedDetail = z.object({ customerId: z.string(), at: z.string() });
export type CustomerErasedDetail = z.output<typeof customerErasedDetail>;

/** Bus `event.ingested`: a new event or order was stored (replays of a stored id are not repeated). */
export const eventIngestedDetail = z.object({
  eventId: z.string(),
  customerId: z.string(),
  type: z.string(),
  occurredAt: z.string(),
  orderId: z.optional(z.string()),
  amount: z.optional(z.number()),
  currency: z.optional(z.string()),
});
export type EventIngestedDetail = z.output<typeof eventIngestedDetail>;

export const busDetailSchemas = {
  'customer.changed': customerChangedDetail,
  'customer.erased': customerErasedDetail,
  'event.ingested': eventIngestedDetail,
} as const;
