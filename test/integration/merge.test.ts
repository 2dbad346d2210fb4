import { randomUUID } from 'node:crypto';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';
import { scanAll, tableClient } from '../support/table.ts';

useStackEnv();
const { upsertCustomer, getCustomer, customerAudit } = await import('../../shared/customers/service.ts');
const { mergeCustomers, mergePage, getMerge } = await import('../../shared/customers/merge.ts');
const { eraseCustomer } = await import('../../shared/customers/erasure.ts');
const { mergeRequestSchema } = await import('../../shared/customers/merge-schema.ts');
const { customerUpsertSchema } = await import('../../shared/customers/schema.ts');
const { ingestEvents, ingestOrders, timeline } = await import('../../shared/events/service.ts');
const { eventBatchSchema, orderBatchSchema, timelineQuery } = await import('../../shared/events/schema.ts');
const { sqsClient } = await import('../../shared/platform/sqs.ts');
const { store } = await import('../../shared/store/service.ts');
const errors = await import('../../shared/platform/errors.ts');

const actor = { keyId: 'TESTKEY', keyName: 'integration test' };
const unique = () => randomUUID().slice(0, 8);
const randomPhone = () => `+86139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
const upsert = (input: object) => upsertCustomer(customerUpsertSchema.parse(input), actor);
const merge = (survivorId: string, body: object, version?: number) =>
  mergeCustomers(survivorId, mergeRequestSchema.parse(body), version, actor);
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as InstanceType<typeof errors.ValidationError>,
  );

// The merge worker of the local stack polls the real merge queue; these tests drive the worker
// themselves, page by page, so their merges go to a queue nobody polls.
let realMergeQueue: string | undefined;
beforeAll(async () => {
  realMergeQueue = process.env.QUEUE_URL_MERGE;
  const { QueueUrl } = await sqsClient().send(
    new CreateQueueCommand({ QueueName: `merge-test-${unique()}` }),
  );
  process.env.QUEUE_URL_MERGE = QueueUrl;
});
afterAll(() => {
  process.env.QUEUE_URL_MERGE = realMergeQueue;
});

async function runToEnd(mergeId: string, pageSize?: number): Promise<number> {
  let runs = 0;
  for (;;) {
    runs++;
    if ((await mergePage(mergeId, pageSize)) !== 'more') return runs;
    if (runs > 100) throw new Error('merge did not finish');
  }
}

/** A consent-history entry or the contact preferences, as raw items in the customer's partition. */
async function putRecord(customerId: string, sk: string, attributes: Record<string, unknown>) {
  const { client, tableName } = tableClient();
  await client.send(
    new PutCommand({
      TableName: tableName,
      Item: { pk: `CUST#${customerId}`, sk, customerId, ...attributes },
    }),
  );
}

async function putConsent(
  customerId: string,
  channel: string,
  topic: string,
  status: string,
  updatedAt: string,
) {
  const { client, tableName } = tableClient();
  await client.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        pk: `CUST#${customerId}`,
        sk: `CONSENT#${channel}#${topic}`,
        customerId,
        channel,
        topic,
        status,
        source: 'test',
        updatedAt,
      },
    }),
  );
}

describe('several addresses per customer', () => {
  it('adds a new email as primary, keeps the old one, and both resolve to the customer', async () => {
    // Prepare
    const first = `first-${unique()}@example.com`;
    const second = `second-${unique()}@example.com`;
    const { customer } = await upsert({ email: first, phones: [randomPhone()] });
    // Act
    const added = await upsert({ email: second, phone: customer.phone });
    const byOld = await upsert({ email: first });
    // Assess
    expect(added.customer.id).toBe(customer.id);
    expect(added.customer.emails).toEqual([second, first]);
    expect(added.customer.email).toBe(second);
    expect(byOld).toMatchObject({ outcome: 'unchanged', customer: { id: customer.id, email: second } });
  });

  it('PATCH email replaces the primary, PATCH emails sets the list and frees removed addresses', async () => {
    // Prepare
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((x) => `${x}-${unique()}@example.com`) as string[];
    const { patchCustomer } = await import('../../shared/customers/service.ts');
    const { customerPatchSchema } = await import('../../shared/customers/schema.ts');
    const { customer } = await upsert({ emails: [a, b] });
    // Act
    const replaced = await patchCustomer(customer.id, customerPatchSchema.parse({ email: c }), 1, actor);
    const listed = await patchCustomer(customer.id, customerPatchSchema.parse({ emails: [d, b] }), 2, actor);
    const other = await upsert({ email: a });
    const otherC = await upsert({ email: c });
    // Assess
    expect(replaced.customer.emails).toEqual([c, b]);
    expect(listed.customer.emails).toEqual([d, b]);
    expect(listed.customer.email).toBe(d);
    expect(other.outcome).toBe('created');
    expect(otherC.outcome).toBe('created');
    const idents = (await scanAll()).filter(
      (i) => i.__edb_e__ === 'identity' && i.customerId === customer.id,
    );
    expect(idents.map((i) => i.value).sort()).toEqual([b, d].sort());
  });

  it('answers 422 naming emails when a customer would hold more than ten', async () => {
    const emails = Array.from({ length: 10 }, (_, i) => `cap${i}-${unique()}@example.com`);
    await upsert({ emails });
    const error = await failure(upsert({ email: emails[0], emails: [`one-more-${unique()}@example.com`] }));
    expect(error).toBeInstanceOf(errors.UnprocessableError);
    expect(error.errors[0]?.path).toBe('emails');
  });

  it('50 concurrent upserts of the same new addresses make one customer with one identity item each', async () => {
    // Prepare
    const emails = [`race-a-${unique()}@example.com`, `race-b-${unique()}@example.com`];
    const phone = randomPhone();
    // Act
    const results = await Promise.all(Array.from({ length: 50 }, () => upsert({ emails, phones: [phone] })));
    // Assess
    const ids = new Set(results.map((r) => r.customer.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    const idents = (await scanAll()).filter(
      (i) => i.__edb_e__ === 'identity' && ids.has(String(i.customerId)),
    );
    expect(idents.map((i) => i.value).sort()).toEqual([...emails, phone].sort());
  });
});

describe('events naming an unknown identity', () => {
  const event = (id: string, customer: object) => ({
    id,
    type: 'app_open',
    customer,
    occurredAt: new Date().toISOString(),
  });

  it('create: concurrent batches naming the same new email make one customer', async () => {
    // Prepare
    const email = `new-${unique()}@example.com`;
    const batches = Array.from(
      { length: 10 },
      (_, i) => eventBatchSchema.parse({ events: [event(`unk-${unique()}-${i}`, { email })] }).events,
    );
    // Act
    const results = await Promise.all(
      batches.map((b) => ingestEvents(b, actor, 'events', { unknownIdentity: 'create' })),
    );
    // Assess
    const ids = new Set(results.map((r) => r.results[0]?.customerId));
    expect(ids.size).toBe(1);
    expect(results.reduce((n, r) => n + r.customersCreated, 0)).toBe(1);
    const customer = await getCustomer([...ids][0] as string);
    expect(customer.email).toBe(email);
  });

  it('reject: 422 naming the item, and nothing written', async () => {
    const phone = `+86139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const before = (await scanAll()).length;
    const error = await failure(
      ingestOrders(
        orderBatchSchema.parse({
          orders: [
            {
              id: `o-${unique()}`,
              customer: { phone },
              occurredAt: new Date().toISOString(),
              amount: 1,
              currency: 'CNY',
            },
          ],
        }).orders,
        actor,
        { unknownIdentity: 'reject' },
      ),
    );
    expect(error).toBeInstanceOf(errors.UnprocessableError);
    expect(error.errors).toEqual([{ path: 'orders[0].customer', message: `no customer has phone ${phone}` }]);
    expect((await scanAll()).length).toBe(before);
  });

  it('a batch rejected for another item creates no customer either', async () => {
    const email = `never-${unique()}@example.com`;
    const error = await failure(
      ingestEvents(
        eventBatchSchema.parse({
          events: [
            event(`x-${unique()}`, { email }),
            event(`y-${unique()}`, { id: '01K00000000000000000000000' }),
          ],
        }).events,
        actor,
        'events',
        { unknownIdentity: 'create' },
      ),
    );
    expect(error.errors.map((e) => e.path)).toEqual(['events[1].customer']);
    expect((await scanAll()).some((i) => i.value === email)).toBe(false);
  });
});

describe('merging', () => {
  it('dry run shows the result and writes nothing; the merge moves profile and identities at once', async () => {
    // Prepare
    const survivor = (await upsert({ email: `s-${unique()}@example.com`, name: '王芳', tags: ['vip'] }))
      .customer;
    const loserEmail = `l-${unique()}@example.com`;
    const loser = (
      await upsert({
        emails: [loserEmail, `l2-${unique()}@example.com`],
        externalId: `pos-${unique()}`,
        locale: 'zh-CN',
        tags: ['tea'],
      })
    ).customer;
    // The segment stream consumer evaluates new customers in the background (membership states, time
    // schedules): its items are not the merge's writes.
    const mergeWrites = async () =>
      JSON.stringify((await scanAll()).filter((i) => !String(i.__edb_e__).startsWith('segment')));
    const before = await mergeWrites();
    // Act
    const preview = await merge(survivor.id, { mergeIds: [loser.id], dryRun: true });
    const afterPreview = await mergeWrites();
    const done = await merge(survivor.id, { mergeIds: [loser.id], dryRun: false }, survivor.version);
    // Assess
    expect(afterPreview).toBe(before);
    expect(preview.dryRun).toBe(true);
    if (!preview.dryRun || done.dryRun) throw new Error('unexpected outcome');
    expect(preview.preview).toMatchObject({
      customer: {
        id: survivor.id,
        name: '王芳',
        locale: 'zh-CN',
        tags: ['vip', 'tea'],
        externalId: loser.externalId,
      },
      fields: {
        name: { from: survivor.id, rule: 'survivor' },
        locale: { from: loser.id, rule: 'most-recent' },
      },
      moves: { events: 0, orders: 0, consents: 0, audit: 1 },
    });
    expect(done.job).toMatchObject({ status: 'moving', survivorId: survivor.id, mergedIds: [loser.id] });
    expect(done.job.customer).toEqual({
      ...(preview.preview.customer as object),
      updatedAt: expect.any(String),
    });
    // The merged id and its identities resolve to the survivor.
    expect((await getCustomer(loser.id)).id).toBe(survivor.id);
    const again = await upsert({ email: loserEmail });
    expect(again.customer.id).toBe(survivor.id);
    const byExternal = await upsert({ externalId: loser.externalId });
    expect(byExternal.customer.id).toBe(survivor.id);
    const items = await scanAll();
    expect(items.filter((i) => i.__edb_e__ === 'customer' && i.customerId === loser.id)).toHaveLength(0);
    expect(items.find((i) => i.__edb_e__ === 'mergedCustomer' && i.customerId === loser.id)).toMatchObject({
      survivorId: survivor.id,
      mergeId: done.job.id,
    });
    expect(items.filter((i) => i.__edb_e__ === 'identity' && i.customerId === loser.id)).toHaveLength(0);
    const audit = await customerAudit(survivor.id, 50);
    expect(audit.items[0]).toMatchObject({ action: 'merged', relatedIds: [loser.id] });
  });

  it('moves N events, orders, consents and audit entries; a crash mid-move loses and duplicates nothing', async () => {
    // Prepare
    const survivor = (await upsert({ externalId: `srv-${unique()}` })).customer;
    const loser = (await upsert({ email: `mv-${unique()}@example.com` })).customer;
    const ref = { id: loser.id };
    const t = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    await ingestEvents(
      eventBatchSchema.parse({
        events: Array.from({ length: 100 }, (_, i) => ({
          id: `mv-${loser.id}-${i}`,
          type: 'page_view',
          customer: ref,
          occurredAt: t(i),
        })),
      }).events,
      actor,
    );
    await ingestOrders(
      orderBatchSchema.parse({
        orders: Array.from({ length: 20 }, (_, i) => ({
          id: `SO-${loser.id}-${i}`,
          customer: ref,
          occurredAt: t(i + 200),
          amount: 10 + i,
          currency: 'CNY',
        })),
      }).orders,
      actor,
    );
    await putConsent(loser.id, 'email', 'newsletter', 'opted_in', '2026-03-01T00:00:00.000Z');
    await putConsent(survivor.id, 'email', 'newsletter', 'opted_out', '2026-01-01T00:00:00.000Z');
    await putConsent(loser.id, 'sms', 'promo', 'opted_out', '2026-01-01T00:00:00.000Z');
    await putConsent(survivor.id, 'sms', 'promo', 'opted_in', '2026-04-01T00:00:00.000Z');
    await putConsent(loser.id, 'push', 'news', 'pending', '2026-02-01T00:00:00.000Z');
    await putRecord(loser.id, 'CONSENTLOG#01JLOGENTRY0000000000000001', {
      channel: 'email',
      status: 'opted_in',
    });
    await putRecord(loser.id, 'PREFS', { frequency: 'weekly', updatedAt: '2026-02-01T00:00:00.000Z' });
    const preview = await merge(survivor.id, { mergeIds: [loser.id], dryRun: true });
    const done = await merge(survivor.id, { mergeIds: [loser.id], dryRun: false });
    if (done.dryRun || !preview.dryRun) throw new Error('unexpected outcome');
    const ids = (items: Record<string, unknown>[]) =>
      items.filter((i) => i.__edb_e__ === 'event' && String(i.eventId).includes(loser.id));

    // Act: a worker that died mid-page left some events moved and did not count them.
    const s = store().entities;
    const firstPage = await s.event.query.timeline({ customerId: loser.id }).go({ limit: 7 });
    for (const e of firstPage.data) {
      await s.event
        .patch({ eventId: e.eventId })
        .set({ customerId: survivor.id })
        .composite({ occurredAt: e.occurredAt })
        .go();
    }
    const manualEvents = firstPage.data.filter((e) => e.type === 'page_view').length;
    const firstRun = await mergePage(done.job.id, 40);
    const midway = ids(await scanAll());
    const runs = await runToEnd(done.job.id, 40);
    const finished = await scanAll();
    const rerun = await mergePage(done.job.id, 40);
    const afterRerun = await scanAll();

    // Assess
    expect(preview.preview.moves).toEqual({ events: 100, orders: 20, consents: 3, audit: 1 });
    expect(firstRun).toBe('more');
    expect(midway).toHaveLength(120);
    expect(midway.filter((i) => i.customerId === survivor.id).length).toBe(47);
    expect(runs).toBeGreaterThan(1);
    const moved = ids(finished);
    expect(moved).toHaveLength(120);
    expect(moved.every((i) => i.customerId === survivor.id && i.gsi1pk === `TL#${survivor.id}`)).toBe(true);
    const survivorTimeline = await timeline(survivor.id, timelineQuery.parse({ limit: '200' }));
    expect(survivorTimeline.items).toHaveLength(120);
    expect((await timeline(loser.id, timelineQuery.parse({ limit: '200' }))).items).toHaveLength(120);
    const consents = finished.filter(
      (i) => String(i.sk).startsWith('CONSENT#') && [loser.id, survivor.id].includes(String(i.customerId)),
    );
    expect(Object.fromEntries(consents.map((c) => [`${c.pk}|${c.sk}`, c.status]))).toEqual({
      [`CUST#${survivor.id}|CONSENT#email#newsletter`]: 'opted_in',
      [`CUST#${survivor.id}|CONSENT#sms#promo`]: 'opted_in',
      [`CUST#${survivor.id}|CONSENT#push#news`]: 'pending',
    });
    // Consent history and contact preferences follow the consents; nothing stays behind.
    const records = finished.filter((i) => /^(CONSENTLOG#|PREFS$)/.test(String(i.sk)));
    expect(records.filter((r) => r.pk === `CUST#${loser.id}`)).toEqual([]);
    expect(records.find((r) => r.sk === 'PREFS' && r.pk === `CUST#${survivor.id}`)?.frequency).toBe('weekly');
    expect(
      records.some((r) => r.pk === `CUST#${survivor.id}` && String(r.sk).startsWith('CONSENTLOG#')),
    ).toBe(true);
    const audit = finished.filter((i) => i.__edb_e__ === 'audit' && i.customerId === survivor.id);
    expect(
      audit
        .filter((a) => a.mergedFrom === loser.id)
        .map((a) => a.action)
        .sort(),
    ).toEqual(['created', 'merged']);
    expect(await getMerge(done.job.id)).toMatchObject({
      status: 'merged',
      completedAt: expect.any(String),
      // What the dead worker moved went uncounted; nothing was counted twice.
      moved: { events: 100 - manualEvents, orders: 20 - (7 - manualEvents), consents: 2, audit: 2 },
    });
    expect(rerun).toBe('done');
    expect(JSON.stringify(afterRerun)).toBe(JSON.stringify(finished));
  });

  it('events sent with a merged-away id land on the survivor', async () => {
    const survivor = (await upsert({ externalId: `s2-${unique()}` })).customer;
    const loser = (await upsert({ email: `l2-${unique()}@example.com` })).customer;
    await merge(survivor.id, { mergeIds: [loser.id], dryRun: false });
    const result = await ingestEvents(
      eventBatchSchema.parse({
        events: [
          {
            id: `after-${unique()}`,
            type: 'app_open',
            customer: { id: loser.id },
            occurredAt: new Date().toISOString(),
          },
        ],
      }).events,
      actor,
    );
    expect(result.results[0]?.customerId).toBe(survivor.id);
  });

  it('answers bad merges with a 4xx naming the problem', async () => {
    // Prepare
    const a = (await upsert({ externalId: `a-${unique()}` })).customer;
    const b = (await upsert({ externalId: `b-${unique()}` })).customer;
    const c = (await upsert({ email: `c-${unique()}@example.com` })).customer;
    const gone = (await upsert({ email: `g-${unique()}@example.com` })).customer;
    await eraseCustomer(gone.id, actor);
    // Act
    const self = await failure(merge(a.id, { mergeIds: [c.id, a.id], dryRun: true }));
    const externalIds = await failure(merge(a.id, { mergeIds: [b.id], dryRun: false }));
    const missing = await failure(
      merge(a.id, { mergeIds: ['01K00000000000000000000001', gone.id], dryRun: true }),
    );
    const stale = await failure(merge(a.id, { mergeIds: [c.id], dryRun: false }, a.version + 5));
    await merge(a.id, { mergeIds: [c.id], dryRun: false });
    const twice = await failure(merge(b.id, { mergeIds: [c.id], dryRun: false }));
    const intoMerged = await failure(merge(c.id, { mergeIds: [b.id], dryRun: false }));
    // Assess
    expect(self.status).toBe(400);
    expect(self.errors).toEqual([
      { path: 'mergeIds[1]', message: 'is the survivor; a customer cannot be merged into itself' },
    ]);
    expect(externalIds.status).toBe(409);
    expect(externalIds.errors[0]?.path).toBe('fields.externalId');
    expect(missing.status).toBe(422);
    expect(missing.errors).toEqual([
      { path: 'mergeIds[0]', message: 'does not exist' },
      { path: 'mergeIds[1]', message: 'was erased' },
    ]);
    expect(stale.status).toBe(412);
    expect(twice.status).toBe(422);
    expect(twice.errors).toEqual([{ path: 'mergeIds[0]', message: `was already merged into ${a.id}` }]);
    expect(intoMerged.status).toBe(409);
    expect((intoMerged as Error).message).toContain(`merged into ${a.id}`);
  });

  it('merging with fields.externalId keeps the other as an alias that still resolves; erasure removes them all', async () => {
    // Prepare
    const a = (
      await upsert({
        externalId: `crm-${unique()}`,
        emails: [`a1-${unique()}@example.com`, `a2-${unique()}@example.com`],
      })
    ).customer;
    const b = (
      await upsert({
        externalId: `pos-${unique()}`,
        phone: `+86137${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
      })
    ).customer;
    // Act
    const done = await merge(a.id, { mergeIds: [b.id], dryRun: false, fields: { externalId: b.id } });
    if (done.dryRun) throw new Error('unexpected');
    await runToEnd(done.job.id);
    const viaAlias = await upsert({ externalId: a.externalId });
    await eraseCustomer(a.id, actor);
    // Assess
    expect(done.job.customer).toMatchObject({ externalId: b.externalId, externalIdAliases: [a.externalId] });
    expect(viaAlias).toMatchObject({
      outcome: 'unchanged',
      customer: { id: a.id, externalId: b.externalId },
    });
    const left = (await scanAll()).filter(
      (i) => i.__edb_e__ === 'identity' && [a.id, b.id].includes(String(i.customerId)),
    );
    expect(left).toEqual([]);
    const goneLoser = await failure(getCustomer(b.id));
    expect(goneLoser.status).toBe(410);
  });
});
