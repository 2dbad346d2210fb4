import { describe, expect, it } from 'vitest';
import { eventBatchSchema, orderBatchSchema } from '../../shared/events/schema.ts';
import { orderToEvent } from '../../shared/events/service.ts';
import { zodIssuesToFieldErrors } from '../../shared/platform/validation.ts';

const base = { customer: { externalId: 'c-1' }, occurredAt: '2026-01-05T08:00:00+08:00' };

function errorsOf(input: unknown) {
  const result = eventBatchSchema.safeParse(input);
  return result.success ? [] : zodIssuesToFieldErrors(result.error.issues, '');
}

describe('event batch schema', () => {
  it('converts occurredAt to UTC', () => {
    const parsed = eventBatchSchema.parse({ events: [{ id: 'e1', type: 'app_open', ...base }] });
    expect(parsed.events[0]?.occurredAt).toBe('2026-01-05T00:00:00.000Z');
  });

  it('needs amount and currency on orders and orderId on refunds', () => {
    const errors = errorsOf({
      events: [
        { id: 'o1', type: 'order', ...base },
        { id: 'r1', type: 'refund', ...base, amount: 5, currency: 'CNY' },
      ],
    });
    expect(errors.map((e) => e.path)).toEqual([
      'events[0].amount',
      'events[0].currency',
      'events[1].orderId',
    ]);
  });

  it('rejects negative amounts, future dates, repeated ids, and more than 100 items', () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(
      errorsOf({
        events: [
          { id: 'a', type: 'order', ...base, amount: -1, currency: 'CNY' },
          { id: 'b', type: 'page_view', ...base, occurredAt: future },
        ],
      }),
    ).toEqual([
      { path: 'events[0].amount', message: 'must not be negative' },
      { path: 'events[1].occurredAt', message: 'must not be in the future' },
    ]);
    expect(
      errorsOf({
        events: [
          { id: 'a', type: 'page_view', ...base },
          { id: 'a', type: 'page_view', ...base },
        ],
      }),
    ).toEqual([{ path: 'events[1].id', message: 'repeats events[0].id' }]);
    const many = Array.from({ length: 101 }, (_, i) => ({ id: `e${i}`, type: 'app_open', ...base }));
    expect(errorsOf({ events: many })).toEqual([{ path: 'events', message: 'must hold at most 100 events' }]);
  });

  it('needs exactly one customer reference', () => {
    const errors = errorsOf({
      events: [
        {
          id: 'a',
          type: 'app_open',
          occurredAt: base.occurredAt,
          customer: { email: 'a@b.cn', externalId: 'x' },
        },
      ],
    });
    expect(errors).toEqual([
      {
        path: 'events[0].customer',
        message: 'must name the customer by exactly one of id, externalId, email or phone',
      },
    ]);
  });

  it('keeps amount fields to orders and refunds', () => {
    expect(errorsOf({ events: [{ id: 'a', type: 'page_view', ...base, amount: 3 }] })).toEqual([
      { path: 'events[0].amount', message: 'belongs to order and refund events only' },
    ]);
  });
});

describe('orders', () => {
  it('become order and refund events in their own id namespace', () => {
    // Prepare
    const { orders } = orderBatchSchema.parse({
      orders: [
        {
          id: 'SO-1',
          ...base,
          amount: 120,
          currency: 'CNY',
          items: [{ sku: 'tea', quantity: 2, unitPrice: 60 }],
        },
        { id: 'RF-1', type: 'refund', orderId: 'SO-1', ...base, amount: 60, currency: 'CNY' },
      ],
    });
    // Act
    const [order, refund] = orders.map(orderToEvent);
    // Assess
    expect(order).toMatchObject({ id: 'order:SO-1', type: 'order', orderId: 'SO-1', amount: 120 });
    expect(refund).toMatchObject({ id: 'refund:RF-1', type: 'refund', orderId: 'SO-1', amount: 60 });
  });
});
