import { describe, expect, it } from 'vitest';
import { generateDemoData } from '../../infra/local/demo-data.ts';
import { seededRandom } from '../../infra/local/prng.ts';

const today = new Date('2026-06-15T10:00:00Z');
const data = generateDemoData({ customers: 400, today });

describe('the demo data set', () => {
  it('is the same on every run, and a smaller set is a prefix of a larger one', () => {
    // Act
    const again = generateDemoData({ customers: 400, today });
    const smaller = generateDemoData({ customers: 100, today });

    // Assess
    expect(again).toEqual(data);
    expect(smaller.customers).toEqual(data.customers.slice(0, 100));
    const smallerOrderIds = new Set(smaller.orders.map((o) => o.id));
    expect(data.orders.filter((o) => smallerOrderIds.has(o.id))).toEqual(smaller.orders);
  });

  it('uses the deterministic ids, each once, and unique identities', () => {
    // Act
    const customerIds = data.customers.map((c) => c.externalId);
    const orderIds = data.orders.map((o) => o.id);
    const eventIds = data.events.map((e) => e.id);
    const emails = data.customers.flatMap((c) => (c.email ? [c.email] : []));
    const phones = data.customers.flatMap((c) => (c.phone ? [c.phone.replace(/[ -]/g, '')] : []));

    // Assess
    expect(customerIds[0]).toBe('demo-1');
    for (const [ids, pattern] of [
      [customerIds, /^demo-\d+$/],
      [orderIds, /^demo-ord-\d+$/],
      [eventIds, /^demo-evt-\d+$/],
    ] as const) {
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(pattern);
    }
    expect(new Set(emails).size).toBe(emails.length);
    expect(new Set(phones).size).toBe(phones.length);
    expect(data.customers.every((c) => c.email || c.phone)).toBe(true);
    expect(emails.every((e) => /@(?:[\w-]+\.)*example\.[a-z.]+$/.test(e))).toBe(true);
  });

  it('mixes Chinese and Latin names, mainland numbers without a country code and foreign ones in E.164', () => {
    // Act
    const chinese = data.customers.filter((c) => /^\p{Script=Han}+$/u.test(c.name));
    const latin = data.customers.filter((c) => /^[A-Za-z]+ [A-Za-zÀ-ÿ]+$/.test(c.name));
    const cnPhones = data.customers.filter((c) => c.address.country === 'CN' && c.phone);
    const foreignPhones = data.customers.filter((c) => c.address.country !== 'CN' && c.phone);

    // Assess
    expect(chinese.length).toBeGreaterThan(data.customers.length / 2);
    expect(latin.length).toBeGreaterThan(20);
    expect(cnPhones.every((c) => /^1[358]\d[ -]?\d{4}[ -]?\d{4}$/.test(c.phone ?? ''))).toBe(true);
    expect(foreignPhones.every((c) => /^\+\d{8,15}$/.test(c.phone ?? ''))).toBe(true);
    expect(data.customers.filter((c) => c.timeZone === 'Asia/Shanghai').length).toBeGreaterThan(
      data.customers.length / 2,
    );
    expect(data.customers.some((c) => c.birthday?.calendar === 'lunar')).toBe(true);
  });

  it('has many one-time buyers and a few heavy ones, and orders that add up', () => {
    // Prepare
    const perBuyer = new Map<string, number>();
    for (const order of data.orders) {
      perBuyer.set(order.customer.externalId, (perBuyer.get(order.customer.externalId) ?? 0) + 1);
    }
    const counts = [...perBuyer.values()];

    // Act
    const oneTime = counts.filter((c) => c === 1).length;
    const heavy = counts.filter((c) => c >= 8).length;

    // Assess
    expect(perBuyer.size).toBeLessThan(data.customers.length);
    expect(oneTime).toBeGreaterThan(counts.length / 3);
    expect(heavy).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThanOrEqual(20);
    for (const order of data.orders) {
      const total = order.items.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
      expect(order.amount).toBeCloseTo(total, 2);
      expect(order.currency).toBe('CNY');
    }
  });

  it('keeps every time in the past ~15 months, refunds after their orders', () => {
    // Prepare
    const midnight = Date.UTC(2026, 5, 15);
    const orders = new Map(data.orders.map((o) => [o.id, o]));

    // Act
    const times = [...data.orders, ...data.events].map((item) => Date.parse(item.occurredAt));
    const refunds = data.events.filter((e) => e.type === 'refund');

    // Assess
    expect(Math.max(...times)).toBeLessThan(midnight);
    expect(Math.min(...times)).toBeGreaterThan(midnight - 470 * 86_400_000);
    expect(refunds.length).toBeGreaterThan(0);
    for (const refund of refunds) {
      const order = orders.get(refund.orderId ?? '');
      expect(order).toBeDefined();
      expect(Date.parse(refund.occurredAt)).toBeGreaterThan(Date.parse(order?.occurredAt ?? ''));
      expect(refund.amount).toBeLessThanOrEqual(order?.amount ?? 0);
    }
  });

  it('holds the interaction types the API knows, and custom ones in lower_snake_case', () => {
    // Act
    const types = new Set(data.events.map((e) => e.type));

    // Assess
    for (const type of [
      'page_view',
      'app_open',
      'message_opened',
      'message_clicked',
      'coupon_redeemed',
      'refund',
    ]) {
      expect(types).toContain(type);
    }
    for (const type of types) expect(type).toMatch(/^[a-z][a-z0-9_]*$/);
  });
});

describe('the seeded generator', () => {
  it('repeats its sequence for a seed, differs between seeds, and stays in [0, 1)', () => {
    // Prepare
    const draw = (seed: string) => {
      const random = seededRandom(seed);
      return Array.from({ length: 50 }, () => random.next());
    };

    // Act
    const [first, second, other] = [draw('x'), draw('x'), draw('y')];

    // Assess
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    for (const value of [...first, ...other]) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});
