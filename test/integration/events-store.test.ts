import { randomUUID } from 'node:crypto';
import type { EntityItem } from 'electrodb';
import { describe, expect, it } from 'vitest';
import type { CustomerEvent } from '../../shared/store/entities/event.ts';
import { useStackEnv } from '../support/stack-env.ts';
import { scanAll } from '../support/table.ts';

useStackEnv();
const { upsertCustomer } = await import('../../shared/customers/service.ts');
const { eraseCustomer } = await import('../../shared/customers/erasure.ts');
const { customerUpsertSchema } = await import('../../shared/customers/schema.ts');
const { ingestEvents, ingestOrders } = await import('../../shared/events/service.ts');
const { eventBatchSchema, orderBatchSchema } = await import('../../shared/events/schema.ts');
const { UnprocessableError } = await import('../../shared/platform/errors.ts');
const { store } = await import('../../shared/store/service.ts');

const actor = { keyId: 'TESTKEY', keyName: 'integration test' };

/** A customer with every kind of identity, so a batch can name it each way. */
async function customer() {
  const tag = randomUUID().slice(0, 8);
  const digits = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const input = { externalId: `st-${tag}`, email: `st-${tag}@example.com`, phone: `+86 139 ${digits}` };
  const { customer } = await upsertCustomer(customerUpsertSchema.parse(input), actor);
  return { id: customer.id, ...input };
}

async function storedEvents(customerId: string) {
  return (await scanAll()).filter((i) => i.__edb_e__ === 'event' && i.customerId === customerId);
}

describe('event ingest storage', () => {
  it('stores items exactly as the event entity would put them, and ElectroDB reads them back', async () => {
    // Prepare
    const c = await customer();
    const now = Date.now();
    const events = eventBatchSchema.parse({
      events: [
        {
          id: `${c.externalId}-pv`,
          type: 'page_view',
          channel: 'web',
          customer: { email: c.email },
          occurredAt: new Date(now - 3_000).toISOString(),
          properties: { path: '/茶', nested: { a: [1, 'b'] } },
        },
        {
          id: `${c.externalId}-ao`,
          type: 'app_open',
          customer: { phone: c.phone },
          occurredAt: new Date(now - 2_000).toISOString(),
        },
        {
          id: `${c.externalId}-cu`,
          type: 'coupon_redeemed',
          customer: { id: c.id },
          occurredAt: new Date(now - 1_000).toISOString(),
          properties: { code: 'TEA10' },
        },
      ],
    }).events;
    const orders = orderBatchSchema.parse({
      orders: [
        {
          id: `${c.externalId}-SO`,
          customer: { externalId: c.externalId },
          occurredAt: new Date(now - 5_000).toISOString(),
          amount: 88.5,
          currency: 'CNY',
          items: [{ sku: 'tea', quantity: 2, unitPrice: 44.25 }],
        },
        {
          id: `${c.externalId}-RF`,
          type: 'refund',
          orderId: `${c.externalId}-SO`,
          customer: { id: c.id },
          occurredAt: new Date(now - 4_000).toISOString(),
          amount: 10,
          currency: 'CNY',
        },
      ],
    }).orders;
    // Act
    await ingestEvents(events, actor);
    await ingestOrders(orders, actor);
    // Assess
    const stored = await storedEvents(c.id);
    expect(stored).toHaveLength(5);
    const entity = store().entities.event;
    for (const item of stored) {
      const { pk, sk, gsi1pk, gsi1sk, __edb_e__, __edb_v__, ...attributes } = item;
      expect(item).toEqual(
        (entity.put(attributes as EntityItem<CustomerEvent>).params() as { Item: unknown }).Item,
      );
      const read = await entity.get({ eventId: attributes.eventId as string }).go();
      expect(read.data).toEqual(attributes);
    }
    const byId = Object.fromEntries(stored.map((i) => [i.eventId, i]));
    expect(byId[`order:${c.externalId}-SO`]).toMatchObject({
      orderId: `${c.externalId}-SO`,
      sourceKeyId: actor.keyId,
    });
    expect(byId[`order:${c.externalId}-SO`]?.expiresAt).toBeUndefined();
    expect(typeof byId[`${c.externalId}-ao`]?.expiresAt).toBe('number');
  });

  it('reports stored ids as duplicates of their own customer, in order, and leaves them untouched', async () => {
    // Prepare
    const a = await customer();
    const b = await customer();
    const event = (id: string, ref: object) => ({
      id,
      type: 'app_open',
      customer: ref,
      occurredAt: new Date().toISOString(),
    });
    await ingestEvents(
      eventBatchSchema.parse({ events: [event(`${a.externalId}-1`, { id: a.id })] }).events,
      actor,
    );
    const [before] = await storedEvents(a.id);
    // Act: the stored id is sent again, now naming another customer, between two new ones.
    const result = await ingestEvents(
      eventBatchSchema.parse({
        events: [
          event(`${b.externalId}-1`, { externalId: b.externalId }),
          event(`${a.externalId}-1`, { email: b.email }),
          event(`${b.externalId}-2`, { phone: b.phone }),
        ],
      }).events,
      actor,
    );
    // Assess
    expect(result).toEqual({
      results: [
        { id: `${b.externalId}-1`, status: 'created', customerId: b.id },
        { id: `${a.externalId}-1`, status: 'duplicate', customerId: a.id },
        { id: `${b.externalId}-2`, status: 'created', customerId: b.id },
      ],
      created: 2,
      duplicates: 1,
      customersCreated: 0,
    });
    expect(await storedEvents(a.id)).toEqual([before]);
    expect(await storedEvents(b.id)).toHaveLength(2);
  });

  it('rejects a batch naming an erased or unknown customer anywhere, per item, writing nothing', async () => {
    // Prepare
    const kept = await customer();
    const erased = await customer();
    await eraseCustomer(erased.id, actor);
    const unknownId = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    const events = eventBatchSchema.parse({
      events: [
        {
          id: `${kept.externalId}-1`,
          type: 'app_open',
          customer: { id: kept.id },
          occurredAt: new Date().toISOString(),
        },
        {
          id: `${kept.externalId}-2`,
          type: 'app_open',
          customer: { id: erased.id },
          occurredAt: new Date().toISOString(),
        },
        {
          id: `${kept.externalId}-3`,
          type: 'app_open',
          customer: { externalId: erased.externalId },
          occurredAt: new Date().toISOString(),
        },
        {
          id: `${kept.externalId}-4`,
          type: 'app_open',
          customer: { id: unknownId },
          occurredAt: new Date().toISOString(),
        },
        {
          id: `${kept.externalId}-5`,
          type: 'app_open',
          customer: { phone: kept.phone },
          occurredAt: new Date().toISOString(),
        },
      ],
    }).events;
    // Act: an erased customer's identities are gone, so under `reject` its externalId is unknown.
    const error = await ingestEvents(events, actor, 'events', { unknownIdentity: 'reject' }).catch(
      (e: unknown) => e,
    );
    // Assess
    expect(error).toBeInstanceOf(UnprocessableError);
    expect((error as InstanceType<typeof UnprocessableError>).errors).toEqual([
      { path: 'events[1].customer', message: 'the customer was erased' },
      { path: 'events[2].customer', message: `no customer has externalId ${erased.externalId}` },
      { path: 'events[3].customer', message: `no customer has id ${unknownId}` },
    ]);
    expect(await storedEvents(kept.id)).toHaveLength(0);
  });

  it('resolves a batch that needs more than one batch read of keys', async () => {
    // Prepare: 100 event ids and 40 customers by id (a profile and a tombstone key each): 180 keys.
    const customers = await Promise.all(Array.from({ length: 40 }, () => customer()));
    const events = eventBatchSchema.parse({
      events: Array.from({ length: 100 }, (_, i) => ({
        id: `${customers[0]?.externalId}-many-${i}`,
        type: 'page_view',
        customer: { id: customers[i % customers.length]?.id },
        occurredAt: new Date(Date.now() - i * 1_000).toISOString(),
      })),
    }).events;
    // Act
    const first = await ingestEvents(events, actor);
    const again = await ingestEvents(events, actor);
    // Assess
    expect(first.created).toBe(100);
    expect(first.results.map((r) => r.customerId)).toEqual(
      events.map((_, i) => customers[i % customers.length]?.id),
    );
    expect(again).toMatchObject({ created: 0, duplicates: 100 });
    expect(again.results.map((r) => r.customerId)).toEqual(first.results.map((r) => r.customerId));
  });
});
