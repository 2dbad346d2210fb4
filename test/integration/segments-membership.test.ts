import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';

useStackEnv();
const { store } = await import('../../shared/store/service.ts');
const { applyEvaluation, applyEvaluations, readMembership, segmentsOf } = await import(
  '../../shared/segments/membership.ts'
);
const { createSegment, listMembers, segmentSize } = await import('../../shared/segments/service.ts');
const { ulid } = await import('ulid');
const { countingTransactions } = await import('../support/dynamo-calls.ts');

const unique = () => randomUUID().slice(0, 8);

async function newCustomer(tag: string): Promise<string> {
  const customerId = ulid();
  const now = new Date().toISOString();
  await store()
    .entities.customer.create({
      customerId,
      tags: [tag],
      owner: '',
      version: 1,
      createdAt: now,
      updatedAt: now,
      shard: 0,
    })
    .go();
  return customerId;
}

async function history(customerId: string, segmentId: string) {
  const all = await store().entities.segmentHistory.query.byCustomer({ customerId }).go({ consistent: true });
  return all.data.filter((h) => h.segmentId === segmentId);
}

describe('the membership writer', () => {
  it('enters and exits with history and shard counts, and refuses evaluations older than the stored one', async () => {
    // Prepare
    const tag = unique();
    const segment = await createSegment({ name: `writer ${tag}`, kind: 'static', members: [] });
    const customerId = await newCustomer(tag);
    const t = Date.now();
    const ev = (member: boolean, at: number) => ({
      segmentId: segment.segmentId,
      customerId,
      member,
      evaluatedAt: at,
      reason: 'test',
    });
    // Act
    const entered = await applyEvaluation(segment, ev(true, t));
    const repeated = await applyEvaluation(segment, ev(true, t));
    const sizeIn = await segmentSize(segment);
    const older = await applyEvaluation(segment, ev(false, t - 1000));
    const exited = await applyEvaluation(segment, ev(false, t + 1000));
    const sizeOut = await segmentSize(segment);
    const lateEntry = await applyEvaluation(segment, ev(true, t + 500));
    const state = await readMembership(customerId, segment.segmentId);
    const stints = await history(customerId, segment.segmentId);
    // Assess
    expect([entered, repeated, older, exited, lateEntry]).toEqual([
      'entered',
      'stale',
      'stale',
      'exited',
      'stale',
    ]);
    expect(sizeIn).toBe(1);
    expect(sizeOut).toBe(0);
    expect(state?.member).toBe(false);
    expect(state?.evaluatedAt).toBe(t + 1000);
    expect(stints).toHaveLength(1);
    expect(stints[0]?.exitedAt).toBeDefined();
  });

  it('settles racing writers on the newest evaluation, counting each flip once', async () => {
    // Prepare: 20 evaluations of one membership at once, in shuffled order; the newest says "in". They
    // stamp unchanged results, as the incremental path does.
    const tag = unique();
    const segment = await createSegment({ name: `race ${tag}`, kind: 'static', members: [] });
    const customerId = await newCustomer(tag);
    const t = Date.now();
    const evaluations = Array.from({ length: 20 }, (_, i) => ({
      segment,
      evaluation: {
        segmentId: segment.segmentId,
        customerId,
        member: i % 2 === 1,
        evaluatedAt: t + i,
        reason: 'race',
      },
    })).sort(() => Math.random() - 0.5);
    // Act
    await applyEvaluations(evaluations, { concurrency: 20, stamp: true });
    const state = await readMembership(customerId, segment.segmentId);
    const size = await segmentSize(segment);
    const stints = await history(customerId, segment.segmentId);
    // Assess
    expect(state).toMatchObject({ member: true, evaluatedAt: t + 19 });
    expect(size).toBe(1);
    // Every stint but the current one has ended.
    expect(stints.filter((s) => s.exitedAt === undefined)).toHaveLength(1);
  });

  it('applies a page of flips over states read beforehand in a few transactions, with history and counts', async () => {
    // Prepare: 3 segments x 20 customers, none a member yet (the states were read: there are none).
    const tag = unique();
    const segments = await Promise.all(
      [0, 1, 2].map((i) => createSegment({ name: `batch ${tag} ${i}`, kind: 'static', members: [] })),
    );
    const customers = await Promise.all(Array.from({ length: 20 }, () => newCustomer(tag)));
    const t = Date.now();
    const flips = segments.flatMap((segment) =>
      customers.map((customerId) => ({
        segment,
        known: null,
        evaluation: {
          segmentId: segment.segmentId,
          customerId,
          member: true,
          evaluatedAt: t,
          reason: 'batch',
        },
      })),
    );
    // Act
    const { value: applied, transactions } = await countingTransactions(() => applyEvaluations(flips));
    // Assess: 60 flips of two items each fit in two transactions of 100 items at most.
    expect(transactions).toBe(2);
    expect(applied.every((a) => a === 'entered')).toBe(true);
    for (const segment of segments) expect(await segmentSize(segment)).toBe(20);
    const sample = customers[7] as string;
    expect(await readMembership(sample, segments[2]?.segmentId as string)).toMatchObject({
      member: true,
      evaluatedAt: t,
    });
    expect(await history(sample, segments[2]?.segmentId as string)).toHaveLength(1);
  });

  it('applies each flip of a batch alone when another writer changed one of its states first', async () => {
    // Prepare: 10 customers entering a segment by states read as "none"; meanwhile a newer evaluation
    // has put one of them in the segment's "out" state.
    const tag = unique();
    const segment = await createSegment({ name: `batch race ${tag}`, kind: 'static', members: [] });
    const customers = await Promise.all(Array.from({ length: 10 }, () => newCustomer(tag)));
    const t = Date.now();
    const raced = customers[3] as string;
    const evaluation = (customerId: string, member: boolean, evaluatedAt: number) => ({
      segmentId: segment.segmentId,
      customerId,
      member,
      evaluatedAt,
      reason: 'batch',
    });
    await applyEvaluation(segment, evaluation(raced, false, t + 1000), { stamp: true });
    // Act
    const applied = await applyEvaluations(
      customers.map((customerId) => ({ segment, known: null, evaluation: evaluation(customerId, true, t) })),
    );
    // Assess: the newer evaluation stands; every other customer entered once, counted once.
    expect(applied[3]).toBe('stale');
    expect(applied.filter((a) => a === 'entered')).toHaveLength(9);
    expect(await readMembership(raced, segment.segmentId)).toMatchObject({
      member: false,
      evaluatedAt: t + 1000,
    });
    expect(await segmentSize(segment)).toBe(9);
    expect(await history(raced, segment.segmentId)).toHaveLength(0);
  });

  it('lists the members of a static segment through every shard with a cursor, each once', async () => {
    // Prepare: 45 customers over 4 shards, read 7 at a time.
    const tag = unique();
    const ids = await Promise.all(Array.from({ length: 45 }, () => newCustomer(tag)));
    const segment = await createSegment({
      name: `paged ${tag}`,
      kind: 'static',
      expectedSize: 1,
      members: ids.map((id) => ({ id })),
    });
    // Act
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listMembers(segment.segmentId, { limit: 7, ...(cursor && { cursor }) });
      seen.push(...page.members.map((m) => m.customerId));
      cursor = page.next;
      pages++;
    } while (cursor);
    const bad = await listMembers(segment.segmentId, { limit: 7, cursor: 'not-a-cursor' }).catch(
      (e: unknown) => e,
    );
    // Assess
    expect(segment.shards).toBe(4);
    expect(seen.sort()).toEqual([...ids].sort());
    expect(pages).toBeGreaterThanOrEqual(7);
    expect(await segmentSize(segment)).toBe(45);
    expect((bad as { errors?: unknown }).errors).toEqual([
      { path: 'query.cursor', message: 'is not a cursor from this listing' },
    ]);
  });

  it('rejects a static list naming a customer that does not exist, creating nothing', async () => {
    // Prepare
    const tag = unique();
    const known = await newCustomer(tag);
    const before = (await store().entities.segment.query.all({}).go({ pages: 'all' })).data.length;
    // Act
    const error = await createSegment({
      name: `bad ${tag}`,
      kind: 'static',
      members: [{ id: known }, { email: `nobody-${tag}@example.com` }],
    }).catch((e: unknown) => e);
    const after = (await store().entities.segment.query.all({}).go({ pages: 'all' })).data.length;
    // Assess
    expect((error as { status?: number }).status).toBe(422);
    expect((error as { errors?: unknown }).errors).toEqual([
      { path: 'members[1]', message: 'names no customer' },
    ]);
    expect(after).toBe(before);
    expect((await segmentsOf(known)).filter((m) => m.member)).toEqual([]);
  });

  it('takes an erased customer out of every segment and removes the memberships and their history', async () => {
    // Prepare
    const tag = unique();
    const { upsertCustomer } = await import('../../shared/customers/service.ts');
    const actor = { keyId: 'test', keyName: 'test' };
    const created = await upsertCustomer({ email: `erase-${tag}@example.com` }, actor);
    const customerId = created.customer.id;
    const a = await createSegment({ name: `erase a ${tag}`, kind: 'static', members: [{ id: customerId }] });
    const b = await createSegment({ name: `erase b ${tag}`, kind: 'static', members: [{ id: customerId }] });
    const { eraseCustomer, erasePage } = await import('../../shared/customers/erasure.ts');
    // Act
    await eraseCustomer(customerId, actor);
    while ((await erasePage(customerId)) === 'more') {}
    const left = await segmentsOf(customerId);
    const stints = await store()
      .entities.segmentHistory.query.byCustomer({ customerId })
      .go({ consistent: true });
    // Assess
    expect(left).toEqual([]);
    expect(stints.data).toEqual([]);
    expect(await segmentSize(a)).toBe(0);
    expect(await segmentSize(b)).toBe(0);
    expect((await listMembers(a.segmentId, { limit: 10 })).members).toEqual([]);
  });
});

describe('the customer scan', () => {
  it('hands every customer over once, with all the items of its partition, whatever the page size', async () => {
    // Prepare: customers with a profile and several consents each, so pages end inside partitions.
    const tag = unique();
    const ids = await Promise.all(Array.from({ length: 30 }, () => newCustomer(tag)));
    const channels = ['email', 'sms', 'push'] as const;
    await Promise.all(
      ids.flatMap((customerId) =>
        channels.map((channel) =>
          store()
            .entities.consent.put({
              customerId,
              channel,
              topic: '*',
              status: 'opted_in',
              source: 'test',
              updatedAt: new Date().toISOString(),
            })
            .go(),
        ),
      ),
    );
    const { scanCustomers } = await import('../../shared/segments/scan.ts');
    const mine = new Set(ids);
    // Act
    const seen = new Map<string, number[]>();
    for (const limit of [3, 7]) {
      for (let segment = 0; segment < 3; segment++) {
        let start: string | undefined;
        do {
          const page = await scanCustomers(segment, 3, start, limit);
          for (const c of page.customers) {
            if (!mine.has(c.customerId)) continue;
            seen.set(`${limit}:${c.customerId}`, [
              ...(seen.get(`${limit}:${c.customerId}`) ?? []),
              c.consents.length + (c.profile ? 1 : 0),
            ]);
          }
          start = page.next || undefined;
        } while (start);
      }
    }
    // Assess: each customer once per page size, with its profile and three consents.
    for (const limit of [3, 7]) {
      for (const id of ids) expect(seen.get(`${limit}:${id}`)).toEqual([4]);
    }
  });
});
