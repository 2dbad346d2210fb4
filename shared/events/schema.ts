import { z } from 'zod';
import { emailInput, externalIdInput, limitSchema, phoneInput } from '../customers/schema.ts';

/**
 * Events and orders as clients send them. One schema per item with per-type rules, so an error names
 * the exact item and field (`events[3].amount`).
 */
export const BUILT_IN_EVENT_TYPES = [
  'order',
  'refund',
  'page_view',
  'screen_view',
  'app_open',
  'message_delivered',
  'message_opened',
  'message_clicked',
  'message_bounced',
  'message_complained',
  'message_unsubscribed',
] as const;

/** 4xx when an event claims to have happened further in the future than clocks can disagree. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export const clientIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain letters, digits and . _ : - only');

export const customerRefSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a customer id (26-character ULID)')
      .optional(),
    externalId: externalIdInput.optional(),
    email: emailInput.optional(),
    phone: phoneInput.optional(),
  })
  .refine((r) => Object.values(r).filter((v) => v !== undefined).length === 1, {
    message: 'must name the customer by exactly one of id, externalId, email or phone',
  })
  .meta({ id: 'CustomerRef', description: 'Which customer: exactly one of id, externalId, email, phone.' });
export type CustomerRef = z.output<typeof customerRefSchema>;

const occurredAt = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone, e.g. 2026-05-01T08:30:00Z' })
  .refine((s) => Date.parse(s) <= Date.now() + MAX_CLOCK_SKEW_MS, 'must not be in the future')
  .refine((s) => Date.parse(s) >= Date.UTC(1990, 0, 1), 'must be after 1990-01-01')
  .transform((s) => new Date(s).toISOString());

const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY or USD');

const money = z
  .number({ message: 'must be a number' })
  .finite()
  .min(0, 'must not be negative')
  .max(1e12, 'is implausibly large');

const properties = z
  .record(z.string().min(1).max(64), z.unknown())
  .refine((p) => Object.keys(p).length <= 100, 'must have at most 100 properties')
  .refine((p) => JSON.stringify(p).length <= 16_384, 'must be at most 16 KB as JSON');

export const orderLineSchema = z
  .strictObject({
    sku: z.string().min(1).max(128),
    name: z.string().max(300).optional(),
    category: z.string().max(128).optional(),
    quantity: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000),
    unitPrice: money,
  })
  .meta({ id: 'OrderLine' });

const eventType = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be lower_snake_case, e.g. page_view or coupon_redeemed');

export const eventInputSchema = z
  .strictObject({
    id: clientIdSchema.meta({
      description: 'Your id for this event; a retry with the same id stores nothing new.',
    }),
    type: eventType,
    customer: customerRefSchema,
    occurredAt,
    properties: properties.optional(),
    orderId: clientIdSchema.optional(),
    amount: money.optional(),
    currency: currency.optional(),
    items: z.array(orderLineSchema).max(500, 'must have at most 500 lines').optional(),
    channel: z.string().min(1).max(64).optional(),
  })
  .superRefine((e, ctx) => {
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
          ctx.addIssue({ code: 'custom', path: [field], message: 'belongs to order and refund events only' });
        }
      }
    }
  })
  .meta({ id: 'EventInput' });
export type EventInput = z.output<typeof eventInputSchema>;

function uniqueIds(items: { id: string }[], ctx: z.RefinementCtx, field: string) {
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
function batchOf<T extends z.ZodType<{ id: string }>, F extends string>(
  field: F,
  item: T,
  noun: string,
  id: string,
) {
  return z
    .strictObject({
      [field]: z
        .array(item)
        .min(1, `must hold at least one ${noun}`)
        .max(MAX_BATCH, `must hold at most ${MAX_BATCH} ${noun}s`),
    } as Record<F, z.ZodArray<T>>)
    .superRefine((b, ctx) => uniqueIds((b as Record<F, { id: string }[]>)[field], ctx, field))
    .meta({ id });
}

export const eventBatchSchema = batchOf('events', eventInputSchema, 'event', 'EventBatch');

export const orderInputSchema = z
  .strictObject({
    id: clientIdSchema.meta({ description: 'Your order id (for a refund: your refund id).' }),
    type: z.enum(['order', 'refund']).default('order'),
    customer: customerRefSchema,
    occurredAt,
    amount: money,
    currency,
    items: z.array(orderLineSchema).max(500).optional(),
    orderId: clientIdSchema.optional().meta({ description: 'For a refund: the order refunded.' }),
    channel: z.string().min(1).max(64).optional(),
    properties: properties.optional(),
  })
  .superRefine((o, ctx) => {
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
  })
  .meta({ id: 'OrderInput' });
export type OrderInput = z.output<typeof orderInputSchema>;

export const orderBatchSchema = batchOf('orders', orderInputSchema, 'order', 'OrderBatch');

export const ingestResultSchema = z
  .object({
    results: z.array(
      z.object({ id: z.string(), status: z.enum(['created', 'duplicate']), customerId: z.string() }),
    ),
    created: z.number().int(),
    duplicates: z.number().int(),
  })
  .meta({ id: 'IngestResult' });

export const timelineEntrySchema = z
  .object({
    id: z.string(),
    type: z.string(),
    occurredAt: z.string(),
    receivedAt: z.string(),
    properties: z.record(z.string(), z.unknown()).optional(),
    orderId: z.string().optional(),
    amount: z.number().optional(),
    currency: z.string().optional(),
    items: z.array(orderLineSchema).optional(),
    channel: z.string().optional(),
  })
  .meta({ id: 'TimelineEntry' });

export const timelineQuery = z.strictObject({
  limit: limitSchema,
  cursor: z.string().max(4096).optional(),
  types: z
    .string()
    .transform((s) => s.split(',').map((t) => t.trim()))
    .pipe(z.array(eventType).max(20))
    .optional(),
  since: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone' }).optional(),
  until: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone' }).optional(),
});
export type TimelineQuery = z.output<typeof timelineQuery>;

export const timelineSchema = z
  .object({ items: z.array(timelineEntrySchema), next: z.string().optional() })
  .meta({ id: 'Timeline' });
