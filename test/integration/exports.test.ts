import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';

useStackEnv();
const { createCustomersExportJob, runExportStep, getExport } = await import(
  '../../shared/exports/service.ts'
);
const { PART_BYTES } = await import('../../shared/exports/service.ts');
const { store } = await import('../../shared/store/service.ts');
const { batchPut, batchDelete } = await import('../../shared/store/batch-io.ts');
const { documentClient } = await import('../../shared/platform/aws.ts');
const { tableNameFromEnv } = await import('../../shared/platform/config.ts');
const { newId, shardOf } = await import('../../shared/platform/ids.ts');
const { CUSTOMER_LIST_SHARDS } = await import('../../shared/store/table.ts');

const actor = { keyId: 'TESTKEY', keyName: 'integration test' };

/** Customers written straight to the table (as the entity would put them), enough for several S3 parts. */
async function seedCustomers(tag: string, count: number): Promise<Record<string, string>[]> {
  const now = new Date().toISOString();
  const items = Array.from({ length: count }, (_, i) => {
    const customerId = newId();
    return store()
      .entities.customer.put({
        customerId,
        email: `${tag}-${i}@example.com`,
        // Long names make a 5 MiB part out of few customers, so the shared test table stays small.
        name: `客户 ${i} ${'Lorem ipsum dolor sit amet consectetur adipiscing '.repeat(38)}`,
        owner: '',
        tags: [tag],
        attributes: {},
        version: 1,
        createdAt: now,
        updatedAt: now,
        shard: shardOf(customerId, CUSTOMER_LIST_SHARDS),
      })
      .params().Item as Record<string, unknown>;
  });
  await batchPut(documentClient(), tableNameFromEnv(), items);
  return items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
}

describe('customers export across invocations', () => {
  it('writes several parts over several steps, survives a repeated step, and lists each customer once', async () => {
    // Prepare: more than one 5 MiB part of CSV.
    const tag = `big-${randomUUID().slice(0, 8)}`;
    const count = 2_800;
    const seeded = await seedCustomers(tag, count);
    // The job without its queue message, so only this test's steps (two at a time) advance it.
    const job = await createCustomersExportJob({ format: 'csv', filters: { tag } }, actor);
    // Act: every step has no time left after one part, as a Lambda near its timeout would; two run at
    // once each time, as a redelivered message would.
    const outOfTime = { remainingMs: () => 0, partBytes: 5 * 1024 * 1024 };
    const deadline = Date.now() + 240_000;
    while ((await getExport(job.id)).status !== 'completed' && Date.now() < deadline) {
      // A step that finds the job leased to another worker returns at once; wait a little before the next.
      await Promise.all([runExportStep(job.id, outOfTime), runExportStep(job.id, outOfTime)]);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Assess
    const done = await getExport(job.id);
    expect(done.status).toBe('completed');
    expect(done.rows).toBe(count);
    const stored = await store().entities.exportJob.get({ exportId: job.id }).go();
    expect(stored.data?.parts?.length).toBeGreaterThan(1);
    const file = Buffer.from(await (await fetch(done.download?.url ?? '')).arrayBuffer());
    expect(done.bytes).toBe(file.length);
    const text = file.toString('utf8');
    const rows = parse(text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(count);
    expect(new Set(rows.map((r) => r.id)).size).toBe(count);
    expect(PART_BYTES).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    // A finished export is left alone.
    expect(await runExportStep(job.id, outOfTime)).toBe('done');
    // The seeded customers go again, so later tests that scan the shared table do not pay for them.
    await batchDelete(documentClient(), tableNameFromEnv(), seeded);
  }, 300_000);
});
