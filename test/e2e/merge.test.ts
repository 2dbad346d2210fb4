import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { call } from '../support/api.ts';
import { scanAllButBackground } from '../support/table.ts';
import { waitFor } from '../support/wait.ts';

const base = inject('apiUrl');
const unique = () => randomUUID().slice(0, 8);

describe('merging customers over HTTP', () => {
  it('dry run writes nothing; the merge answers 202, the job finishes, and the merged id answers with the survivor', async () => {
    // Prepare
    const survivor = await call('POST', '/v1/customers', {
      body: { email: `s-${unique()}@example.com`, name: '陈杰' },
    });
    const loserEmail = `l-${unique()}@example.com`;
    const loser = await call('POST', '/v1/customers', {
      body: { emails: [loserEmail, `l2-${unique()}@example.com`], timeZone: 'Asia/Shanghai' },
    });
    const ingest = await call('POST', '/v1/events', {
      body: {
        events: [0, 1, 2].map((i) => ({
          id: `m-${unique()}-${i}`,
          type: 'page_view',
          customer: { email: loserEmail },
          occurredAt: new Date(Date.now() - i * 1000).toISOString(),
        })),
      },
    });
    expect(ingest.body.created).toBe(3);
    const path = `/v1/customers/${survivor.body.id}/merge`;
    const before = JSON.stringify(await scanAllButBackground());

    // Act
    const preview = await call('POST', path, { body: { mergeIds: [loser.body.id], dryRun: true } });
    const afterPreview = JSON.stringify(await scanAllButBackground());
    const merged = await call('POST', path, {
      body: { mergeIds: [loser.body.id], dryRun: false },
      headers: { 'if-match': '"1"' },
    });
    const job = await waitFor(async () => {
      const answer = await call('GET', `/v1/merges/${merged.body.id}`);
      return answer.body.status === 'merged' ? answer.body : undefined;
    }, 'the merge worker to finish');
    const got = await call('GET', `/v1/customers/${loser.body.id}`);
    const tl = await call('GET', `/v1/customers/${loser.body.id}/timeline`);

    // Assess
    expect(preview.status).toBe(200);
    expect(afterPreview).toBe(before);
    expect(preview.body).toMatchObject({
      dryRun: true,
      customer: {
        id: survivor.body.id,
        name: '陈杰',
        timeZone: 'Asia/Shanghai',
        emails: [survivor.body.email, ...loser.body.emails],
      },
      fields: { timeZone: { from: loser.body.id, rule: 'most-recent' } },
      moves: { events: 3, orders: 0, consents: 0 },
    });
    expect(merged.status).toBe(202);
    expect(merged.headers.get('location')).toBe(`/v1/merges/${merged.body.id}`);
    expect(job.moved).toMatchObject({ events: 3, orders: 0 });
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(survivor.body.id);
    expect(got.headers.get('content-location')).toBe(`/v1/customers/${survivor.body.id}`);
    expect(tl.body.items).toHaveLength(3);
    const bus = await waitFor(async () => {
      const seen = (await fetch(`${base}/_local/bus?detailType=customer.merged`).then((r) => r.json())) as {
        events: { detail: { survivorId: string; mergedIds: string[] } }[];
      };
      return seen.events.find((e) => e.detail.survivorId === survivor.body.id);
    }, 'customer.merged on the local bus');
    expect(bus.detail.mergedIds).toEqual([loser.body.id]);
    expect((await call('DELETE', `/v1/customers/${loser.body.id}`)).status).toBe(409);
  });

  it('answers bad input with a 4xx naming the field and writes nothing', async () => {
    // Prepare
    const a = await call('POST', '/v1/customers', { body: { externalId: `ma-${unique()}` } });
    const b = await call('POST', '/v1/customers', { body: { externalId: `mb-${unique()}` } });
    const path = `/v1/customers/${a.body.id}/merge`;
    const cases: [unknown, number, string][] = [
      [{ mergeIds: [b.body.id] }, 400, 'dryRun'],
      [{ mergeIds: ['nope'], dryRun: true }, 400, 'mergeIds[0]'],
      [{ mergeIds: [b.body.id, b.body.id], dryRun: true }, 400, 'mergeIds[1]'],
      [{ mergeIds: [b.body.id], dryRun: true, fields: { colour: b.body.id } }, 400, 'fields.colour'],
      [{ mergeIds: [a.body.id], dryRun: false }, 400, 'mergeIds[0]'],
      [{ mergeIds: [b.body.id], dryRun: false }, 409, 'fields.externalId'],
      [{ mergeIds: ['01K00000000000000000000002'], dryRun: false }, 422, 'mergeIds[0]'],
    ];
    const before = (await scanAllButBackground()).length;
    for (const [body, status, field] of cases) {
      // Act
      const answer = await call('POST', path, { body });
      // Assess
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(answer.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    }
    expect((await scanAllButBackground()).length).toBe(before);
    expect((await call('GET', '/v1/merges/01K00000000000000000000003')).status).toBe(404);
  });
});
