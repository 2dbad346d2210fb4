import { emailInput, externalIdInput, limitSchema, phoneInput } from '../customers/schema.ts';
import { schema } from '../platform/schema.ts';
import * as z from '../platform/zod.ts';

/**
 * Events and orders as clients send them. One schema per item with per-type rules, so an error names
 * the exact item and field (`events[3].amount`).
 */
/** 4xx when an event claims to have happened further in the future than clocks can disagree. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export const clientIdSchema = /* @__PURE__ */ schema(() =>
  z
    .string()
    .check(
      z.minLength(1, 'must not be empty'),
      z.maxLength(128, 'must be at most 128 characters'),
      z.regex(/^[A-Za-z0-9._:-]+$/, 'may contain letters, digits and . _ : - only'),
    ),
);

export const customerRefSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      id: z.optional(
        z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a customer id (26-character ULID)')),
      ),
      externalId: z.optional(externalIdInput),
      email: z.optional(emailInput),
      phone: z.optional(phoneInput),
    })
    .check(
      z.refine((r) => Object.values(r).filter((v) => v !== undefined).length === 1, {
        message: 'must name the customer by exactly one of id, externalId, email or phone',
      }),
      z.meta({
        id: 'CustomerRef',
        description: 'Which customer: exactly one of id, externalId, email, phone.',
      }),
    ),
);
export type CustomerRef = z.output<typeof customerRefSchema>;

const occurredAt = /* @__PURE__ */ schema(() =>
  z.pipe(
    z.iso
      .datetime({
        offset: true,
        message: 'must be an ISO 8601 date-time with a zone, e.g. 2026-05-01T08:30:00Z',
      })
      .check(
        z.refine((s) => Date.parse(s) <= Date.now() + MAX_CLOCK_SKEW_MS, 'must not be in the future'),
        z.refine((s) => Date.parse(s) >= Date.UTC(1990, 0, 1), 'must be after 1990-01-01'),
      ),
    z.transform((s: string) => new Date(s).toISOString()),
  ),
);

const currency = /* @__PURE__ */ schema(() =>
  z.string().check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY or USD')),
);

// Non-finite numbers (Infinity, NaN) are rejected by z.number() itself.
const money = /* @__PURE__ */ schema(() =>
  z
    .number({ message: 'must be a number' })
    .check(z.minimum(0, 'must not be negative'), z.maximum(1e12, 'is implausibly large')),
);

const properties = /* @__PURE__ */ schema(() =>
  z.record(z.string().check(z.minLength(1), z.maxLength(64)), z.unknown()).check(
    z.refine((p) => Object.keys(p).length <= 100, 'must have at most 100 properties'),
    z.refine((p) => JSON.stringify(p).length <= 16_384, 'must be at most 16 KB as JSON'),
  ),
);

export const orderLineSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      sku: z.string().check(z.minLength(1), z.maxLength(128)),
      name: z.optional(z.string().check(z.maxLength(300))),
      category: z.optional(z.string().check(z.maxLength(128))),
      quantity: z
        .number()
        .check(z.int('must be a whole number'), z.minimum(1, 'must be at least 1'), z.maximum(1_000_000)),
      unitPrice: money,
    })
    .check(z.meta({ id: 'OrderLine' })),
);

const eventType = /* @__PURE__ */ schema(() =>
  z
    .string()
    .check(z.regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be lower_snake_case, e.g. page_view or coupon_redeemed')),
);

export const eventInputSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      id: clientIdSchema.check(
        z.meta({ description: 'Your id for this event; a retry with the same id stores nothing new.' }),
      ),
      type: eventType,
      customer: customerRefSchema,
      occurredAt,
      properties: z.optional(properties),
      orderId: z.optional(clientIdSchema),
      amount: z.optional(money),
      currency: z.optional(currency),
      items: z.optional(z.array(orderLineSchema).check(z.maxLength(500, 'must have at most 500 lines'))),
      channel: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    })
    .check(
      z.superRefine((e, ctx) => {
        const need = (field: keyof typeof e, why: string) => {
          if (e[field] === undefined)
            ctx.addIssue({ code: 'custom', path: [field], message: `is required ${why}` });
        };
        if (e.type === 'order') {
          need('amount', 'for an order');
          need('currency', 'for an order');
        } else if (e.type === 'refund') {
          need('orderId', 'for a refund');
          need('amount', 'for a refund');
          need('currency', 'for a refund');
        } else {
          for (const field of ['amount', 'currency', 'items'] as const) {
            if (e[field] !== undefined) {
              ctx.addIssue({
                code: 'custom',
                path: [field],
                message: 'belongs to order and refund events only',
              });
            }
          }
        }
      }),
      z.meta({ id: 'EventInput' }),
    ),
);
export type EventInput = z.output<typeof eventInputSchema>;

function uniqueIds(items: { id: string }[], ctx: z.core.$RefinementCtx, field: string) {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.id);
    if (first !== undefined) {
      ctx.addIssue({ code: 'custom', path: [field, i, 'id'], message: `repeats ${field}[${first}].id` });
    } else seen.set(item.id, i);
  });
}

export const MAX_BATCH = 100;

/** `{ <field>: [ ...items ] }` with 1..100 items whose ids are unique within the batch. */
function batchOf<T extends z.ZodMiniType<{ id: string }>, F extends string>(
  field: F,
  item: T,
  noun: string,
  id: string,
) {
  return z
    .strictObject({
      [field]: z
        .array(item)
        .check(
          z.minLength(1, `must hold at least one ${noun}`),
          z.maxLength(MAX_BATCH, `must hold at most ${MAX_BATCH} ${noun}s`),
        ),
    } as Record<F, z.ZodMiniArray<T>>)
    .check(
      z.superRefine((b, ctx) => uniqueIds((b as Record<F, { id: string }[]>)[field], ctx, field)),
      z.meta({ id }),
    );
}

export const eventBatchSchema = /* @__PURE__ */ schema(() =>
  batchOf('events', eventInputSchema, 'event', 'EventBatch'),
);

export const orderInputSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      id: clientIdSchema.check(z.meta({ description: 'Your order id (for a refund: your refund id).' })),
      type: z._default(z.enum(['order', 'refund']), 'order'),
      customer: customerRefSchema,
      occurredAt,
      amount: money,
      currency,
      items: z.optional(z.array(orderLineSchema).check(z.maxLength(500))),
      orderId: z.optional(clientIdSchema).check(z.meta({ description: 'For a refund: the order refunded.' })),
      channel: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
      properties: z.optional(properties),
    })
    .check(
      z.superRefine((o, ctx) => {
        if (o.type === 'refund' && !o.orderId) {
          ctx.addIssue({ code: 'custom', path: ['orderId'], message: 'is required for a refund' });
        }
        if (o.type === 'order' && o.orderId && o.orderId !== o.id) {
          ctx.addIssue({
            code: 'custom',
            path: ['orderId'],
            message: 'applies to refunds only; an order’s id is its id',
          });
        }
      }),
      z.meta({ id: 'OrderInput' }),
    ),
);
export type OrderInput = z.output<typeof orderInputSchema>;

export const orderBatchSchema = /* @__PURE__ */ schema(() =>
  batchOf('orders', orderInputSchema, 'order', 'OrderBatch'),
);

export const ingestResultSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      results: z.array(
        z.object({ id: z.string(), status: z.enum(['created', 'duplicate']), customerId: z.string() }),
      ),
      created: z.number().check(z.int()),
      duplicates: z.number().check(z.int()),
      customersCreated: z
        .number()
        .check(
          z.int(),
          z.meta({ description: 'Customers created for emails, phones or externalIds no customer had' }),
        ),
    })
    .check(z.meta({ id: 'IngestResult' })),
);

export const timelineEntrySchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string(),
      type: z.string(),
      occurredAt: z.string(),
      receivedAt: z.string(),
      properties: z.optional(z.record(z.string(), z.unknown())),
      orderId: z.optional(z.string()),
      amount: z.optional(z.number()),
      currency: z.optional(z.string()),
      items: z.optional(z.array(orderLineSchema)),
      channel: z.optional(z.string()),
    })
    .check(z.meta({ id: 'TimelineEntry' })),
);

export const timelineQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    limit: limitSchema,
    cursor: z.optional(z.string().check(z.maxLength(4096))),
    types: z.optional(
      z.pipe(
        z.pipe(
          z.string(),
          z.transform((s: string) => s.split(',').map((t) => t.trim())),
        ),
        z.array(eventType).check(z.maxLength(20)),
      ),
    ),
    since: z.optional(z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone' })),
    until: z.optional(z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone' })),
  }),
);
export type TimelineQuery = z.output<typeof timelineQuery>;

export const timelineSchema = /* @__PURE__ */ schema(() =>
  z
    .object({ items: z.array(timelineEntrySchema), next: z.optional(z.string()) })
    .check(z.meta({ id: 'Timeline' })),
);
