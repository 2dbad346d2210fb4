import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/api.ts';
import { scanAll } from '../support/table.ts';
import { waitFor } from '../support/wait.ts';

const unique = () => randomUUID().slice(0, 8);

async function runScan(): Promise<string> {
  const started = await call('POST', '/v1/duplicates/scans', { body: { segments: 2 } });
  expect(started.status).toBe(202);
  const scanId: string = started.body.id;
  await waitFor(
    async () => {
      const scan = await call('GET', `/v1/duplicates/scans/${scanId}`);
      return scan.body.status === 'done' ? scan.body : undefined;
    },
    'the scan to finish',
    120_000,
  );
  return scanId;
}

async function listAll(scanId: string) {
  const items = [];
  let cursor: string | undefined;
  do {
    const page = await call(
      'GET',
      `/v1/duplicates?scanId=${scanId}&limit=50${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.next;
  } while (cursor);
  return items;
}

describe('duplicate detection over HTTP', () => {
  const run = unique();
  const ids: Record<string, string> = {};
  let scanId: string;
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON
  let pairs: any[];

  const create = async (label: string, body: Record<string, unknown>) => {
    const created = await call('POST', '/v1/customers', { body });
    expect(created.status).toBe(201);
    ids[label] = created.body.id;
  };
  const pairOf = (x: string, y: string) => {
    const [a, b] = [ids[x] as string, ids[y] as string].sort();
    return `${a}_${b}`;
  };
  const digits = () => String(Math.floor(Math.random() * 1e8)).padStart(8, '0');

  beforeAll(async () => {
    // Prepare: planted duplicates, each pair disguised differently, among unrelated customers.
    await create('zhang-han', {
      name: '张伟',
      phone: `+86139${digits()}`,
      email: `zw-${run}@qq.com`,
      address: { city: '广州' },
      birthday: { date: '1990-02-03' },
    });
    await create('zhang-latin', {
      name: 'Wei ZHANG',
      externalId: `pos-${run}-1`,
      phone: `138 ${digits()}`,
      address: { city: 'Guangzhou' },
      birthday: { date: '1990-02-03' },
    });
    await create('emma-1', { name: 'Emma Schmidt', email: `emma.schmidt.${run}@gmail.com` });
    await create('emma-2', { name: 'SCHMIDT  Emma', email: `emmaschmidt${run}+shop@gmail.com` });
    await create('liam-1', {
      name: 'Liam Johnson',
      email: `liam.${run}@outlook.com`,
      birthday: { date: '1985-07-09' },
    });
    await create('liam-2', { name: 'Liam Johnson', email: `liam.${run}@outlouk.com` });
    await create('fang-1', {
      name: '王芳',
      externalId: `crm-${run}-1`,
      birthday: { date: '1992-11-20' },
      address: { city: '成都' },
    });
    await create('fang-2', {
      name: 'Wang Fang',
      externalId: `web-${run}-1`,
      birthday: { date: '1992-11-20' },
      address: { city: '成都市' },
    });
    // People who share only a common name and a city.
    for (let i = 0; i < 16; i++) {
      await create(`other-${i}`, {
        name: i % 2 === 0 ? '刘洋' : `Person ${run} ${i}`,
        externalId: `other-${run}-${i}`,
        email: `other${i}-${run}@example.com`,
        birthday: { date: `19${60 + i}-0${1 + (i % 9)}-1${i % 10}` },
        address: { city: '上海' },
      });
    }
    // Act
    scanId = await runScan();
    pairs = (await listAll(scanId)).filter((p: { customers: { id: string }[] }) =>
      p.customers.every((c) => Object.values(ids).includes(c.id)),
    );
  }, 240_000);

  it('finds the planted pairs with their reasons', () => {
    const byId = new Map(pairs.map((p) => [p.id, p]));
    expect(byId.get(pairOf('zhang-han', 'zhang-latin'))?.reasons).toEqual(
      expect.arrayContaining([
        'name transliteration match: 张伟 ~ Wei ZHANG',
        'same birthday: 1990-02-03',
        'same city: 广州 ~ Guangzhou',
      ]),
    );
    expect(byId.get(pairOf('emma-1', 'emma-2'))?.signals).toEqual(['email_normalized', 'name_order']);
    expect(byId.get(pairOf('liam-1', 'liam-2'))?.signals).toEqual(['email_domain_typo', 'same_name']);
    expect(byId.get(pairOf('fang-1', 'fang-2'))?.signals).toEqual([
      'name_transliteration',
      'same_birthday',
      'same_city',
    ]);
  });

  it('pairs nobody else, lists each pair once and says how to merge', () => {
    expect(pairs.map((p: { id: string }) => p.id).sort()).toEqual(
      [
        pairOf('zhang-han', 'zhang-latin'),
        pairOf('emma-1', 'emma-2'),
        pairOf('liam-1', 'liam-2'),
        pairOf('fang-1', 'fang-2'),
      ].sort(),
    );
    const zhang = pairs.find((p: { id: string }) => p.id === pairOf('zhang-han', 'zhang-latin'));
    expect(zhang.customers[0].email ?? zhang.customers[1].email).toMatch(/^z\*\*\*.@qq\.com$/);
    expect([zhang.merge.survivorId, ...zhang.merge.mergeIds].sort()).toEqual(zhang.id.split('_'));
    expect(zhang.merge.path).toBe(`/v1/customers/${zhang.merge.survivorId}/merge`);
  });

  it('a dismissed pair is not listed again, and a re-run writes each pair once', async () => {
    // Act
    const dismissed = await call('POST', `/v1/duplicates/${pairOf('emma-1', 'emma-2')}/dismiss`);
    const again = await call('POST', `/v1/duplicates/${pairOf('emma-1', 'emma-2')}/dismiss`);
    const second = await runScan();
    // Assess
    expect(dismissed.status).toBe(201);
    expect(again.status).toBe(200);
    const listed = (await listAll(second)).map((p: { id: string }) => p.id);
    expect(listed).not.toContain(pairOf('emma-1', 'emma-2'));
    expect(listed).toContain(pairOf('liam-1', 'liam-2'));
    expect(new Set(listed).size).toBe(listed.length);
    const stored = (await scanAll()).filter((i) => i.__edb_e__ === 'dedupePair' && i.scanId === second);
    expect(new Set(stored.map((i) => i.pairId)).size).toBe(stored.length);
    expect((await listAll(scanId)).map((p: { id: string }) => p.id)).not.toContain(
      pairOf('emma-1', 'emma-2'),
    );
    const scan = await call('GET', `/v1/duplicates/scans/${second}`);
    expect(scan.body.progress).toMatchObject({ segments: { done: 2, total: 2 }, candidates: stored.length });
  }, 180_000);

  it('answers bad input with 4xx naming the field', async () => {
    const badScan = await call('POST', '/v1/duplicates/scans', { body: { minScore: 2, segments: 0 } });
    expect(badScan.status).toBe(400);
    expect(badScan.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['minScore', 'segments']);
    const badList = await call('GET', '/v1/duplicates?scanId=nope&minScore=x');
    expect(badList.status).toBe(400);
    expect(badList.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'query.minScore',
      'query.scanId',
    ]);
    const badPair = await call('POST', `/v1/duplicates/${ids['emma-2']}_${ids['emma-1']}/dismiss`);
    expect(badPair.status).toBe(400);
    expect(badPair.body.errors[0].path).toBe('path.pairId');
    const unknownScan = await call('GET', '/v1/duplicates/scans/01JABCDEFGHJKMNPQRSTVWXYZ0');
    expect(unknownScan.status).toBe(404);
    const badCursor = await call('GET', `/v1/duplicates?scanId=${scanId}&cursor=garbage`);
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.errors[0].path).toBe('query.cursor');
  });
});
