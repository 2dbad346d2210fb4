import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';
import { scanAll } from '../support/table.ts';

useStackEnv();
const { upsertCustomer } = await import('../../shared/customers/service.ts');
const { customerUpsertSchema } = await import('../../shared/customers/schema.ts');
const { ingestEvents, ingestOrders, timeline } = await import('../../shared/events/service.ts');
const { eventBatchSchema, orderBatchSchema, timelineQuery } = await import('../../shared/events/schema.ts');
const { UnprocessableError } = await import('../../shared/platform/errors.ts');

const actor = { keyId: 'TESTKEY', keyName: 'integration test' };

async function customer() {
  const externalId = `ev-${randomUUID()}`;
  const { customer } = await upsertCustomer(customerUpsertSchema.parse({ externalId }), actor);
  return { id: customer.id, externalId };
}

describe('event ingest', () => {
  it('a retried batch stores nothing twice', async () => {
    // Prepare
    const c = await customer();
    const batch = eventBatchSchema.parse({
      events: Array.from({ length: 100 }, (_, i) => ({
        id: `${c.externalId}-e${i}`,
        type: i % 2 ? 'page_view' : 'app_open',
        customer: { externalId: c.externalId },
        occurredAt: new Date(Date.now() - i * 60_000).toISOString(),
      })),
    }).events;
    // Act
    const first = await ingestEvents(batch, actor);
    const second = await ingestEvents(batch, actor);
    // Assess
    expect(first.created).toBe(100);
    expect(second).toMatchObject({ created: 0, duplicates: 100 });
    const stored = (await scanAll()).filter((i) => i.__edb_e__ === 'event' && i.customerId === c.id);
    expect(stored).toHaveLength(100);
  });

  it('rejects the whole batch when one customer is unknown, storing nothing', async () => {
    const c = await customer();
    const batch = eventBatchSchema.parse({
      events: [
        {
          id: `${c.externalId}-ok`,
          type: 'app_open',
          customer: { id: c.id },
          occurredAt: new Date().toISOString(),
        },
        {
          id: `${c.externalId}-bad`,
          type: 'app_open',
          customer: { email: 'nobody@nowhere.example' },
          occurredAt: new Date().toISOString(),
        },
      ],
    }).events;
    const error = await ingestEvents(batch, actor, 'events', { unknownIdentity: 'reject' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnprocessableError);
    expect((error as InstanceType<typeof UnprocessableError>).errors).toEqual([
      { path: 'events[1].customer', message: 'no customer has email nobody@nowhere.example' },
    ]);
    const stored = (await scanAll()).filter((i) => i.__edb_e__ === 'event' && i.customerId === c.id);
    expect(stored).toHaveLength(0);
  });

  it('keeps orders, expires raw events, and lists the timeline newest first with type filters', async () => {
    // Prepare
    const c = await customer();
    const ref = { externalId: c.externalId };
    await ingestOrders(
      orderBatchSchema.parse({
        orders: [
          {
            id: 'SO-1',
            customer: ref,
            occurredAt: '2026-03-01T10:00:00Z',
            amount: 199,
            currency: 'CNY',
            items: [{ sku: 'tea', quantity: 1, unitPrice: 199 }],
          },
          {
            id: 'RF-1',
            type: 'refund',
            orderId: 'SO-1',
            customer: ref,
            occurredAt: '2026-03-05T10:00:00Z',
            amount: 50,
            currency: 'CNY',
          },
        ],
      }).orders,
      actor,
    );
    await ingestEvents(
      eventBatchSchema.parse({
        events: [
          {
            id: `${c.externalId}-pv`,
            type: 'page_view',
            customer: ref,
            occurredAt: '2026-03-03T10:00:00Z',
            properties: { url: '/茶' },
          },
        ],
      }).events,
      actor,
    );
    // Act
    const all = await timeline(c.id, timelineQuery.parse({}));
    const money = await timeline(c.id, timelineQuery.parse({ types: 'order,refund' }));
    // Assess
    expect(all.items.map((i) => i.type)).toEqual(['refund', 'page_view', 'order']);
    expect(money.items.map((i) => i.id)).toEqual(['refund:RF-1', 'order:SO-1']);
    const stored = (await scanAll()).filter((i) => i.__edb_e__ === 'event' && i.customerId === c.id);
    const expiry = Object.fromEntries(stored.map((i) => [i.type, i.expiresAt]));
    expect(expiry.order).toBeUndefined();
    expect(expiry.refund).toBeUndefined();
    expect(typeof expiry.page_view).toBe('number');
  });
});
