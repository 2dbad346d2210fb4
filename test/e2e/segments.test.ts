import { randomUUID } from 'node:crypto';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { call } from '../support/api.ts';
import { useStackEnv } from '../support/stack-env.ts';
import { waitFor } from '../support/wait.ts';

useStackEnv();
const { documentClient } = await import('../../shared/platform/aws.ts');
const { tableNameFromEnv } = await import('../../shared/platform/config.ts');

const unique = () => randomUUID().slice(0, 8);

async function customer(tag: string, i: number, city: string): Promise<string> {
  const answer = await call('POST', '/v1/customers', {
    body: { email: `seg-${tag}-${i}@example.com`, tags: [`seg-${tag}`], address: { city } },
  });
  expect(answer.status).toBe(201);
  return answer.body.id;
}

async function runDone(runId: string) {
  return waitFor(
    async () => {
      const answer = await call('GET', `/v1/segments/runs/${runId}`);
      if (answer.body.status === 'failed') throw new Error(answer.body.error);
      return answer.body.status === 'completed' ? answer.body : undefined;
    },
    'the segment recomputation to complete',
    120_000,
  );
}

async function members(segmentId: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(
      'GET',
      `/v1/segments/${segmentId}/members?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(page.status).toBe(200);
    ids.push(...page.body.members.map((m: { customerId: string }) => m.customerId));
    cursor = page.body.next;
  } while (cursor);
  return ids.sort();
}

async function busEvents(detailType: string, segmentId: string) {
  const answer = await fetch(`${inject('apiUrl')}/_local/bus?detailType=${detailType}&limit=10000`);
  const { events } = (await answer.json()) as { events: { detail: Record<string, unknown> }[] };
  return events.filter((e) => e.detail.segmentId === segmentId);
}

const sorted = (ids: string[]) => [...ids].sort();

describe('segments over HTTP', () => {
  it('creates, lists members, updates (re-evaluating), checks and archives a segment, with bus events', {
    timeout: 300_000,
  }, async () => {
    // Prepare: three customers in Hangzhou, three in Guangzhou.
    const tag = unique();
    const hz = await Promise.all([0, 1, 2].map((i) => customer(tag, i, 'Hangzhou')));
    const gz = await Promise.all([3, 4, 5].map((i) => customer(tag, i, 'Guangzhou')));
    const rule = (city: string) => ({ and: [{ tags: { any: [`seg-${tag}`] } }, { geo: { city: [city] } }] });
    // Act
    const created = await call('POST', '/v1/segments', {
      body: { name: `HZ ${tag}`, rule: rule('Hangzhou') },
    });
    const id = created.body.id;
    const firstRun = await runDone(created.body.recompute.id);
    const first = await members(id);
    const read = await call('GET', `/v1/segments/${id}`);
    const listed = await call('GET', '/v1/segments?limit=200');
    const noIfMatch = await call('PATCH', `/v1/segments/${id}`, { body: { rule: rule('Guangzhou') } });
    const updated = await call('PATCH', `/v1/segments/${id}`, {
      body: { rule: rule('Guangzhou') },
      headers: { 'if-match': '"1"' },
    });
    const stale = await call('PATCH', `/v1/segments/${id}`, {
      body: { name: 'x' },
      headers: { 'if-match': '"1"' },
    });
    const secondRun = await runDone(updated.body.recompute.id);
    const second = await members(id);
    const check = await call('GET', `/v1/segments/${id}/members/${hz[0]}`);
    const checkIn = await call('GET', `/v1/segments/${id}/members/${gz[0]}`);
    const entered = await waitFor(async () => {
      const events = await busEvents('segment.entered', id);
      return events.length >= 6 ? events : undefined;
    }, 'six segment.entered events');
    const archived = await call('POST', `/v1/segments/${id}/archive`);
    await runDone(archived.body.recompute.id);
    const afterArchive = await members(id);
    const readArchived = await call('GET', `/v1/segments/${id}`);
    const exited = await waitFor(async () => {
      const events = await busEvents('segment.exited', id);
      return events.length >= 6 ? events : undefined;
    }, 'six segment.exited events');
    // Assess
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(firstRun.entered[id]).toBe(3);
    expect(first).toEqual(sorted(hz));
    expect(read.body.size).toBe(3);
    expect(read.body.sizeHistory.at(-1).size).toBe(3);
    expect(listed.body.segments.map((s: { id: string }) => s.id)).toContain(id);
    expect(noIfMatch.status).toBe(428);
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).toBe('"2"');
    expect(stale.status).toBe(412);
    expect(secondRun.entered[id]).toBe(3);
    expect(secondRun.exited[id]).toBe(3);
    expect(second).toEqual(sorted(gz));
    expect(check.body).toMatchObject({ member: false, matchesNow: false });
    expect(check.body.failed.map((f: { path: string }) => f.path)).toEqual(['rule.and[1]']);
    expect(checkIn.body).toMatchObject({ member: true, matchesNow: true, failed: [] });
    expect(sorted(entered.map((e) => String(e.detail.customerId)))).toEqual(sorted([...hz, ...gz]));
    expect(afterArchive).toEqual([]);
    expect(readArchived.body).toMatchObject({ status: 'archived', size: 0 });
    expect(exited).toHaveLength(6);
  });

  it('repairs drift in a recomputation: a deleted membership comes back, a stale one goes', {
    timeout: 300_000,
  }, async () => {
    // Prepare: four matching customers and one that does not match but is made a member behind the writer.
    const tag = unique();
    const ids = await Promise.all([0, 1, 2, 3].map((i) => customer(tag, i, 'Shenzhen')));
    const outsider = await customer(`${tag}-other`, 9, 'Shenzhen');
    const created = await call('POST', '/v1/segments', {
      body: { name: `drift ${tag}`, rule: { tags: { any: [`seg-${tag}`] } }, expectedSize: 1 },
    });
    const id = created.body.id;
    await runDone(created.body.recompute.id);
    const table = tableNameFromEnv();
    await documentClient().send(
      new DeleteCommand({ TableName: table, Key: { pk: `CUST#${ids[0]}`, sk: `SEG#${id}` } }),
    );
    await documentClient().send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: `CUST#${outsider}`,
          sk: `SEG#${id}`,
          gsi1pk: `SEGM#${id}#0`,
          gsi1sk: outsider,
          __edb_e__: 'segmentMembership',
          __edb_v__: '1',
          customerId: outsider,
          segmentId: id,
          member: true,
          shard: 0,
          evaluatedAt: 1,
          enteredAt: '2020-01-01T00:00:00.000Z',
        },
      }),
    );
    const drifted = await members(id);
    // Act
    const started = await call('POST', '/v1/segments/runs', { body: {} });
    const run = await runDone(started.body.id);
    const repaired = await members(id);
    const read = await call('GET', `/v1/segments/${id}`);
    // Assess
    expect(started.status).toBe(202);
    expect(drifted).toEqual(sorted([...ids.slice(1), outsider]));
    expect(run.entered[id]).toBe(1);
    expect(run.exited[id]).toBe(1);
    expect(repaired).toEqual(sorted(ids));
    expect(read.body.size).toBe(4);
  });

  it('previews a draft rule: count and sample, nothing stored', async () => {
    // Prepare
    const tag = unique();
    const ids = await Promise.all([0, 1, 2].map((i) => customer(tag, i, 'Suzhou')));
    const before = await call('GET', '/v1/segments?limit=200');
    // Act
    const preview = await call('POST', '/v1/segments/preview', {
      body: { rule: { tags: { any: [`seg-${tag}`] } }, sampleSize: 2 },
    });
    const after = await call('GET', '/v1/segments?limit=200');
    // Assess
    expect(preview.status).toBe(200);
    expect(preview.body.count).toBe(3);
    expect(preview.body.sample).toHaveLength(2);
    for (const s of preview.body.sample) expect(ids).toContain(s.id);
    expect(preview.body.customers).toBeGreaterThanOrEqual(3);
    expect(after.body.segments.length).toBe(before.body.segments.length);
  });

  it("measures distance from the location in the customer's address, and refuses a location off the globe", async () => {
    // Prepare: one customer in Shanghai's centre, one in Suzhou (about 85 km away), one without a location.
    const tag = `near-${unique()}`;
    const make = async (i: number, location?: { lat: number; lon: number }) => {
      const answer = await call('POST', '/v1/customers', {
        body: {
          email: `${tag}-${i}@example.com`,
          tags: [tag],
          address: { city: i === 1 ? 'Suzhou' : 'Shanghai', ...(location && { location }) },
        },
      });
      expect(answer.status).toBe(201);
      return answer.body.id as string;
    };
    const centre = await make(0, { lat: 31.2304, lon: 121.4737 });
    await make(1, { lat: 31.2989, lon: 120.5853 });
    await make(2);
    // Act
    const within = (km: number) =>
      call('POST', '/v1/segments/preview', {
        body: { rule: { and: [{ tags: { any: [tag] } }, { near: { lat: 31.23, lon: 121.47, km } }] } },
      });
    const near = await within(20);
    const wide = await within(100);
    const bad = await call('POST', '/v1/customers', {
      body: { email: `${tag}-bad@example.com`, address: { location: { lat: 95, lon: 121 } } },
    });
    // Assess
    expect(near.body.count).toBe(1);
    expect(near.body.sample.map((c: { id: string }) => c.id)).toEqual([centre]);
    expect(wide.body.count).toBe(2);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.errors)).toContain('address.location.lat');
  });

  it('answers bad input with 4xx naming the field, and stores nothing', async () => {
    // Prepare
    const before = await call('GET', '/v1/segments?limit=200');
    // Act
    const badRule = await call('POST', '/v1/segments', {
      body: { name: 'bad', rule: { and: [{ tags: { any: 'vip' } }] } },
    });
    const unknownKind = await call('POST', '/v1/segments', { body: { name: 'bad', rule: { shoeSize: {} } } });
    const noRule = await call('POST', '/v1/segments', { body: { name: 'bad' } });
    const missingRef = await call('POST', '/v1/segments', {
      body: { name: 'bad', rule: { segment: { id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' } } },
    });
    const badPreview = await call('POST', '/v1/segments/preview', { body: { rule: { or: [] } } });
    const notFound = await call('GET', '/v1/segments/01ARZ3NDEKTSV4RRFFQ69G5FAV');
    const badId = await call('GET', '/v1/segments/nope');
    const badRun = await call('POST', '/v1/segments/runs', { body: { segmentId: 'nope' } });
    const after = await call('GET', '/v1/segments?limit=200');
    // Assess
    expect(badRule.status).toBe(400);
    expect(badRule.body.errors[0].path).toMatch(/^rule\.and\[0\]\.tags/);
    expect(unknownKind.status).toBe(400);
    expect(unknownKind.body.errors[0].path).toMatch(/^rule/);
    expect(noRule.status).toBe(400);
    expect(noRule.body.errors).toEqual([{ path: 'rule', message: 'is required for a dynamic segment' }]);
    expect(missingRef.status).toBe(400);
    expect(missingRef.body.errors[0].path).toBe('rule.segment.id');
    expect(badPreview.status).toBe(400);
    expect(badPreview.body.errors[0].path).toMatch(/^rule/);
    expect(notFound.status).toBe(404);
    expect(badId.status).toBe(400);
    expect(badId.body.errors[0].path).toBe('path.segmentId');
    expect(badRun.status).toBe(400);
    expect(after.body.segments.length).toBe(before.body.segments.length);
  });
});
