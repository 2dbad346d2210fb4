import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';
import { scanAll } from '../support/table.ts';

useStackEnv();
const { listCustomers } = await import('../../shared/customers/list.ts');
const { upsertCustomer, patchCustomer, getCustomer } = await import('../../shared/customers/service.ts');
const { customerListQuery, customerUpsertSchema, customerPatchSchema } = await import(
  '../../shared/customers/schema.ts'
);
const { ConflictError, PreconditionFailedError } = await import('../../shared/platform/errors.ts');

const actor = { keyId: 'TESTKEY', keyName: 'integration test' };
const unique = () => randomUUID().slice(0, 8);
const upsert = (input: object) => upsertCustomer(customerUpsertSchema.parse(input), actor);

describe('customer identity', () => {
  it('50 concurrent upserts of one email create exactly one customer', async () => {
    // Prepare
    const email = `race-${unique()}@example.com`;
    // Act
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => upsert({ email, tags: [`t${i % 3}`], name: `Racer ${i}` })),
    );
    // Assess
    const ids = new Set(results.map((r) => r.customer.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    const stored = (await scanAll()).filter((i) => i.__edb_e__ === 'customer' && i.email === email);
    expect(stored).toHaveLength(1);
  });

  it('finds a customer by phone written in another format', async () => {
    const first = await upsert({
      phone: `+86 139 ${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
    });
    const local = (first.customer.phone ?? '').replace('+86', '');
    const again = await upsert({ phone: `${local.slice(0, 3)}-${local.slice(3)}`, name: '张静' });
    expect(again.customer.id).toBe(first.customer.id);
    expect(again.outcome).toBe('updated');
  });

  it('refuses identities that belong to two different customers', async () => {
    const a = await upsert({ email: `a-${unique()}@example.com` });
    const b = await upsert({ externalId: `b-${unique()}` });
    await expect(
      upsert({ email: a.customer.email, externalId: b.customer.externalId }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('an upsert that changes nothing keeps the version', async () => {
    const input = { externalId: `same-${unique()}`, name: 'Emma Schmidt' };
    const first = await upsert(input);
    const second = await upsert(input);
    expect(second.outcome).toBe('unchanged');
    expect(second.customer.version).toBe(first.customer.version);
  });
});

describe('patching', () => {
  it('moves an email: the old one is free for another customer, the new one is taken', async () => {
    // Prepare
    const oldEmail = `old-${unique()}@example.com`;
    const newEmail = `new-${unique()}@example.com`;
    const { customer } = await upsert({ email: oldEmail });
    // Act
    const patched = await patchCustomer(
      customer.id,
      customerPatchSchema.parse({ email: newEmail }),
      1,
      actor,
    );
    const other = await upsert({ email: oldEmail });
    // Assess
    expect(patched.customer.email).toBe(newEmail);
    expect(other.outcome).toBe('created');
    expect(other.customer.id).not.toBe(customer.id);
    await expect(
      patchCustomer(other.customer.id, customerPatchSchema.parse({ email: newEmail }), 1, actor),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('gives 412 to a stale version and leaves the customer as it was', async () => {
    const { customer } = await upsert({ externalId: `v-${unique()}`, name: 'Liam Johnson' });
    await patchCustomer(customer.id, customerPatchSchema.parse({ name: 'Liam J.' }), 1, actor);
    await expect(
      patchCustomer(customer.id, customerPatchSchema.parse({ name: 'Stale' }), 1, actor),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
    expect((await getCustomer(customer.id)).name).toBe('Liam J.');
  });
});

describe('listing', () => {
  let tag: string;
  let created: string[];

  beforeAll(async () => {
    tag = `list-${unique()}`;
    created = [];
    for (let i = 0; i < 23; i++) {
      created.push(
        (await upsert({ externalId: `${tag}-${i}`, tags: [tag], ...(i % 2 === 0 && { owner: tag }) }))
          .customer.id,
      );
    }
  });

  async function all(query: Record<string, string>) {
    const seen: { id: string; updatedAt: string }[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listCustomers(customerListQuery.parse({ ...query, ...(cursor && { cursor }) }));
      seen.push(...page.items.map((c) => ({ id: c.id, updatedAt: c.updatedAt })));
      cursor = page.next;
      pages++;
    } while (cursor && pages < 100);
    return { seen, pages };
  }

  it('pages through every shard with a tag filter, each customer once, in update order', async () => {
    const { seen, pages } = await all({ tag, limit: '5' });
    expect(seen.map((s) => s.id).sort()).toEqual([...created].sort());
    expect(pages).toBeGreaterThanOrEqual(5);
    const times = seen.map((s) => s.updatedAt);
    expect(times).toEqual([...times].sort());
  });

  it('filters by owner through the owner index', async () => {
    const { seen } = await all({ owner: tag, limit: '4' });
    expect(seen).toHaveLength(12);
  });

  it('filters by updatedSince', async () => {
    const { seen } = await all({
      tag,
      limit: '50',
      updatedSince: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(seen).toHaveLength(0);
  });
});
