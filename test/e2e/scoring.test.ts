import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { call } from '../support/api.ts';
import { waitFor } from '../support/wait.ts';

const unique = () => randomUUID().slice(0, 8);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();

/**
 * The profile once its aggregate holds `orders` orders (and, when given, `revenue`: orders and refunds
 * are folded one by one, so a refund can land after the order count is reached).
 */
async function computed(customerId: string, orders: number, revenue?: number) {
  return waitFor(
    async () => {
      const answer = await call('GET', `/v1/customers/${customerId}`);
      const c = answer.body.computed;
      return c?.orders === orders && (revenue === undefined || c.revenue === revenue)
        ? answer.body
        : undefined;
    },
    `the aggregate of ${customerId} to reach ${orders} orders${revenue === undefined ? '' : ` and ${revenue} revenue`}`,
  );
}

describe('scoring settings over HTTP', () => {
  it('answers the defaults, rejects bad settings naming the fields, and replaces them under If-Match', async () => {
    // Prepare
    const before = await call('GET', '/v1/scoring/settings');
    // Act
    const bad = await call('PUT', '/v1/scoring/settings', {
      body: { rfm: { bins: 1 }, abc: { a: 0.9, b: 0.8 }, clv: { discountRate: 2 } },
      headers: { 'if-match': before.headers.get('etag') ?? '' },
    });
    const noMatch = await call('PUT', '/v1/scoring/settings', { body: {} });
    const good = await call('PUT', '/v1/scoring/settings', {
      body: { currency: { base: 'CNY', rates: { USD: 7.1 } }, clv: { discountRate: 0.08 } },
      headers: { 'if-match': before.headers.get('etag') ?? '' },
    });
    const stale = await call('PUT', '/v1/scoring/settings', {
      body: {},
      headers: { 'if-match': before.headers.get('etag') ?? '' },
    });
    const after = await call('GET', '/v1/scoring/settings');
    // Assess
    expect(before.status).toBe(200);
    expect(before.body.settings.rfm.bins).toBe(5);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['rfm.bins', 'abc.b', 'clv.discountRate']),
    );
    expect(noMatch.status).toBe(428);
    expect(good.status).toBe(200);
    expect(good.body.version).toBe(before.body.version + 1);
    expect(stale.status).toBe(412);
    expect(after.headers.get('etag')).toBe(`"${good.body.version}"`);
    expect(after.body.settings.currency.rates).toEqual({ USD: 7.1 });
    expect(after.body.settings.clv.discountRate).toBe(0.08);
  });
});

describe('purchase aggregates over HTTP', () => {
  it('folds orders and refunds into the profile’s computed figures without touching its version', async () => {
    // Prepare
    const email = `agg-${unique()}@example.com`;
    const created = await call('POST', '/v1/customers', { body: { email } });
    const id = created.body.id;
    const customer = { id };
    const o1 = `o-${unique()}`;
    // Act
    const ingest = await call('POST', '/v1/orders', {
      body: {
        orders: [
          { id: o1, customer, occurredAt: daysAgo(100), amount: 100, currency: 'CNY' },
          { id: `o-${unique()}`, customer, occurredAt: daysAgo(10), amount: 50.5, currency: 'CNY' },
          { id: `o-${unique()}`, customer, occurredAt: daysAgo(2), amount: 200, currency: 'CNY' },
          {
            id: `r-${unique()}`,
            type: 'refund',
            orderId: o1,
            customer,
            occurredAt: daysAgo(1),
            amount: 30,
            currency: 'CNY',
          },
        ],
      },
    });
    const replay = await call('POST', '/v1/orders', {
      body: { orders: [{ id: o1, customer, occurredAt: daysAgo(100), amount: 100, currency: 'CNY' }] },
    });
    const profile = await computed(id, 3, 320.5);
    // Assess
    expect(ingest.status).toBe(200);
    expect(replay.body.results[0].status).toBe('duplicate');
    expect(profile.version).toBe(created.body.version);
    expect(profile.computed).toMatchObject({
      currency: 'CNY',
      orders: 3,
      revenue: 320.5,
      purchaseDays: 3,
      daysSinceLastPurchase: 2,
      windows: { '30': { orders: 2, revenue: 250.5 }, '365': { orders: 3, revenue: 320.5 } },
    });
    // The profile's ETag still takes a user's edit.
    const patched = await call('PATCH', `/v1/customers/${id}`, {
      body: { name: 'Still editable' },
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': `"${created.body.version}"` },
    });
    expect(patched.status).toBe(200);
  });

  it('gives a customer without orders zeros and nulls, not NaN', async () => {
    // Prepare
    const created = await call('POST', '/v1/customers', { body: { email: `none-${unique()}@example.com` } });
    // Act
    const profile = await call('GET', `/v1/customers/${created.body.id}`);
    // Assess
    expect(profile.body.computed).toMatchObject({
      orders: 0,
      revenue: 0,
      averageOrderValue: 0,
      lastPurchaseDate: null,
      daysSinceLastPurchase: null,
    });
  });

  it('rejects bad orders naming the field and writes nothing', async () => {
    // Prepare
    const customer = { email: `bad-${unique()}@example.com` };
    const order = { id: `o-${unique()}`, customer, occurredAt: daysAgo(1), amount: 10, currency: 'CNY' };
    // Act
    const noRate = await call('POST', '/v1/orders', {
      body: { orders: [order, { ...order, id: `o-${unique()}`, currency: 'JPY' }] },
    });
    const negative = await call('POST', '/v1/orders', { body: { orders: [{ ...order, amount: -5 }] } });
    const future = await call('POST', '/v1/orders', {
      body: { orders: [{ ...order, occurredAt: new Date(Date.now() + 86_400_000).toISOString() }] },
    });
    const timeline = await call('GET', `/v1/customers?email=${encodeURIComponent(customer.email)}`);
    // Assess
    expect(noRate.status).toBe(422);
    expect(noRate.body.errors).toEqual([
      { path: 'orders[1].currency', message: expect.stringContaining('JPY has no exchange rate to CNY') },
    ]);
    expect(negative.status).toBe(400);
    expect(negative.body.errors[0].path).toBe('orders[0].amount');
    expect(future.status).toBe(400);
    expect(future.body.errors[0].path).toBe('orders[0].occurredAt');
    expect(timeline.body.items ?? []).toEqual([]);
  });
});
