import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { call } from '../support/api.ts';
import { scanAll } from '../support/table.ts';
import { waitFor } from '../support/wait.ts';

const unique = () => randomUUID().slice(0, 8);

async function completed(exportId: string) {
  return waitFor(
    async () => {
      const job = await call('GET', `/v1/exports/${exportId}`);
      if (job.body.status === 'failed') throw new Error(`export failed: ${job.body.error}`);
      return job.body.status === 'completed' ? job.body : undefined;
    },
    `export ${exportId} to complete`,
    60_000,
  );
}

describe('customer exports over HTTP', () => {
  it('exports the customers matching a filter as CSV and NDJSON, downloadable from the link', async () => {
    // Prepare
    const tag = `exp-${unique()}`;
    const names = ['张伟', 'Ann Lee', '=HYPERLINK("http://evil")'];
    for (const [i, name] of names.entries()) {
      const created = await call('POST', '/v1/customers', {
        body: { email: `${tag}-${i}@example.com`, name, tags: [tag] },
      });
      expect(created.status).toBe(201);
    }
    // Act
    const csvJob = await call('POST', '/v1/exports', { body: { format: 'csv', filters: { tag } } });
    const ndjsonJob = await call('POST', '/v1/exports', { body: { format: 'ndjson', filters: { tag } } });
    // Assess
    expect(csvJob.status).toBe(202);
    expect(csvJob.headers.get('location')).toBe(`/v1/exports/${csvJob.body.id}`);
    const csvDone = await completed(csvJob.body.id);
    expect(csvDone.rows).toBe(3);
    const csvText = await (await fetch(csvDone.download.url)).text();
    const rows = parse(csvText.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.name).sort()).toEqual(['\'=HYPERLINK("http://evil")', 'Ann Lee', '张伟'].sort());
    expect(rows.every((r) => r.tags === tag)).toBe(true);

    const ndjsonDone = await completed(ndjsonJob.body.id);
    const lines = (await (await fetch(ndjsonDone.download.url)).text()).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).email).sort()).toEqual(
      names.map((_, i) => `${tag}-${i}@example.com`),
    );
  });

  it('answers bad requests with 4xx naming the field, and starts nothing', async () => {
    const before = (await scanAll()).filter((i) => i.__edb_e__ === 'exportJob').length;
    const badFormat = await call('POST', '/v1/exports', { body: { format: 'xlsx' } });
    expect(badFormat.status).toBe(400);
    expect(badFormat.body.errors[0].path).toBe('format');
    const badFilter = await call('POST', '/v1/exports', {
      body: { format: 'csv', filters: { updatedSince: 'yesterday' } },
    });
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.errors[0].path).toBe('filters.updatedSince');
    const unknownField = await call('POST', '/v1/exports', { body: { format: 'csv', where: 'x' } });
    expect(unknownField.status).toBe(400);
    expect((await call('GET', '/v1/exports/not-an-id')).body.errors[0].path).toBe('path.exportId');
    expect((await call('GET', '/v1/exports/01JAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
    const after = (await scanAll()).filter((i) => i.__edb_e__ === 'exportJob').length;
    expect(after).toBe(before);
  });
});

describe('a customer’s data export (PIPL Art. 45 / GDPR Art. 15)', () => {
  it('holds profile, identities, events, orders and audit; erasure deletes the file', async () => {
    // Prepare
    const tag = unique();
    const created = await call('POST', '/v1/customers', {
      body: { externalId: `dx-${tag}`, email: `dx-${tag}@example.com`, name: '李娜' },
    });
    const id = created.body.id;
    const now = Date.now();
    expect(
      (
        await call('POST', '/v1/events', {
          body: {
            events: [
              {
                id: `dx-${tag}-pv`,
                type: 'page_view',
                customer: { id },
                occurredAt: new Date(now - 2000).toISOString(),
                properties: { path: '/tea' },
              },
            ],
          },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call('POST', '/v1/orders', {
          body: {
            orders: [
              {
                id: `dx-${tag}-o1`,
                customer: { id },
                occurredAt: new Date(now - 1000).toISOString(),
                amount: 88,
                currency: 'CNY',
              },
            ],
          },
        })
      ).status,
    ).toBe(200);
    // Act
    const job = await call('POST', `/v1/customers/${id}/data-export`);
    // Assess
    expect(job.status).toBe(202);
    expect(job.body.kind).toBe('customer_data');
    const done = await completed(job.body.id);
    // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever JSON the file holds
    const document: any = await (await fetch(done.download.url)).json();
    expect(document.profile.name).toBe('李娜');
    expect(document.identities).toEqual(
      expect.arrayContaining([
        { kind: 'email', value: `dx-${tag}@example.com` },
        { kind: 'externalId', value: `dx-${tag}` },
      ]),
    );
    expect(document.events.map((e: { eventId: string }) => e.eventId)).toEqual([`dx-${tag}-pv`]);
    expect(document.orders.map((o: { amount: number }) => o.amount)).toEqual([88]);
    expect(document.audit[0].action).toBe('created');
    expect(document.messages).toEqual([]);
    expect(JSON.stringify(document)).not.toMatch(/"pk"|"gsi1pk"/);

    // Erasure removes the file and the job with the rest of the customer's data.
    expect((await call('DELETE', `/v1/customers/${id}`)).status).toBe(202);
    await waitFor(
      async () => ((await call('GET', `/v1/exports/${job.body.id}`)).status === 404 ? true : undefined),
      'the data export to be erased',
    );
    expect((await fetch(done.download.url)).status).toBe(404);
    expect((await call('POST', `/v1/customers/${id}/data-export`)).status).toBe(410);
  });
});
