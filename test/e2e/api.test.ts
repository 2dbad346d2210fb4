import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { call } from '../support/api.ts';
import { scanAll, scanAllButBackground } from '../support/table.ts';
import { waitFor } from '../support/wait.ts';

const base = inject('apiUrl');
const unique = () => randomUUID().slice(0, 8);

describe('auth', () => {
  it('401 without a key or with an unknown one, 403 without the scope', async () => {
    expect((await call('GET', '/v1/customers', { key: null })).status).toBe(401);
    const unknown = await call('GET', '/v1/customers', { key: 'ck_01JABCDEFGHJKMNPQRSTVWXYZ0.nope' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    const created = await call('POST', '/v1/api-keys', {
      body: { name: 'pos terminal', scopes: ['ingest'] },
    });
    expect(created.status).toBe(201);
    const forbidden = await call('GET', '/v1/customers', { key: created.body.key });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toContain('read');
    await call('DELETE', `/v1/api-keys/${created.body.id}`);
    // The authorizer result may be cached for its TTL, as on API Gateway; the key item says revoked.
    const revoked = (await scanAll()).find((i) => i.keyId === created.body.id);
    expect(revoked?.revokedAt).toEqual(expect.any(String));
    expect(JSON.stringify(revoked)).not.toContain(created.body.key.split('.')[1]);
  });

  it('serves the OpenAPI document without a key', async () => {
    const doc = await call('GET', '/v1/openapi.json', { key: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
  });
});

describe('customer lifecycle over HTTP', () => {
  it('create, read, patch with If-Match, ingest, timeline, erase', async () => {
    // Create
    const email = `lifecycle-${unique()}@example.com`;
    const created = await call('POST', '/v1/customers', {
      body: {
        email,
        name: '刘洋',
        phone: '186 1234 5678',
        timeZone: 'Asia/Shanghai',
        address: { country: 'cn', province: '广东', city: '广州天河' },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email, phone: '+8618612345678', address: { country: 'CN' } });
    const id: string = created.body.id;
    // Read
    const got = await call('GET', `/v1/customers/${id}`);
    expect(got.headers.get('etag')).toBe('"1"');
    // Patch
    expect((await call('PATCH', `/v1/customers/${id}`, { body: { name: '刘 洋' } })).status).toBe(428);
    const patched = await call('PATCH', `/v1/customers/${id}`, {
      body: { name: '刘 洋' },
      headers: { 'if-match': '"1"' },
    });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe('"2"');
    expect(
      (await call('PATCH', `/v1/customers/${id}`, { body: { name: 'x' }, headers: { 'if-match': '"1"' } }))
        .status,
    ).toBe(412);
    // Ingest
    const ingest = await call('POST', '/v1/orders', {
      body: {
        orders: [
          {
            id: `SO-${unique()}`,
            customer: { email },
            occurredAt: '2026-06-18T12:00:00+08:00',
            amount: 88,
            currency: 'CNY',
          },
        ],
      },
    });
    expect(ingest.status).toBe(200);
    const events = await call('POST', '/v1/events', {
      body: {
        events: [
          {
            id: `pv-${unique()}`,
            type: 'page_view',
            customer: { phone: '+8618612345678' },
            occurredAt: new Date().toISOString(),
          },
        ],
      },
    });
    expect(events.body.created).toBe(1);
    const tl = await call('GET', `/v1/customers/${id}/timeline?limit=10`);
    expect(tl.body.items.map((i: { type: string }) => i.type)).toEqual(['page_view', 'order']);
    // Audit
    const audit = await call('GET', `/v1/customers/${id}/audit`);
    expect(audit.body.items.map((a: { action: string }) => a.action)).toEqual(['updated', 'created']);
    expect(audit.body.items[0].fields).toEqual(['name']);
    // Erase
    const erased = await call('DELETE', `/v1/customers/${id}`);
    expect(erased.status).toBe(202);
    expect((await call('GET', `/v1/customers/${id}`)).status).toBe(410);
    await waitFor(
      async () =>
        (await scanAll()).some(
          (i) => i.__edb_e__ === 'erasure' && i.customerId === id && i.status === 'erased',
        )
          ? true
          : undefined,
      'the erasure worker to finish',
    );
    const leftovers = JSON.stringify(await scanAll());
    for (const needle of [email, '+8618612345678', '刘 洋', '广州天河'])
      expect(leftovers).not.toContain(needle);
  });

  it('an Idempotency-Key replays the first answer and refuses another body', async () => {
    const key = `idem-${unique()}`;
    const body = { externalId: `idem-${unique()}`, name: 'Noah Weber' };
    const first = await call('POST', '/v1/customers', { body, headers: { 'idempotency-key': key } });
    const replay = await call('POST', '/v1/customers', { body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    const misuse = await call('POST', '/v1/customers', {
      body: { ...body, name: 'Other' },
      headers: { 'idempotency-key': key },
    });
    expect(misuse.status).toBe(422);
  });

  it('publishes customer.changed on the bus from the table stream', async () => {
    const created = await call('POST', '/v1/customers', { body: { externalId: `bus-${unique()}` } });
    const seen = await waitFor(async () => {
      const bus = (await fetch(`${base}/_local/bus?detailType=customer.changed`).then((r) => r.json())) as {
        events: { detail: { customerId: string; change: string } }[];
      };
      return bus.events.find((e) => e.detail.customerId === created.body.id);
    }, 'customer.changed on the local bus');
    expect(seen.detail.change).toBe('created');
  });
});

describe('bad input writes nothing', () => {
  const cases: [string, string, unknown, number, string][] = [
    ['malformed JSON', '/v1/customers', '{"email": ', 400, 'body'],
    ['wrong type', '/v1/customers', { email: 42 }, 400, 'email'],
    ['unknown field', '/v1/customers', { email: 'x@y.cn', favouriteColour: 'red' }, 400, 'favouriteColour'],
    ['invalid phone', '/v1/customers', { phone: '12' }, 400, 'phone'],
    [
      'invalid date',
      '/v1/customers',
      { email: 'd@y.cn', birthday: { date: '1990-02-31' } },
      400,
      'birthday.date',
    ],
    [
      'unknown customer',
      '/v1/events',
      {
        events: [
          {
            id: 'u1',
            type: 'app_open',
            customer: { id: '01K00000000000000000000000' },
            occurredAt: '2026-01-01T00:00:00Z',
          },
        ],
      },
      422,
      'events[0].customer',
    ],
    [
      'too many events',
      '/v1/events',
      {
        events: Array.from({ length: 101 }, (_, i) => ({
          id: `m${i}`,
          type: 'app_open',
          customer: { externalId: 'x' },
          occurredAt: '2026-01-01T00:00:00Z',
        })),
      },
      400,
      'events',
    ],
  ];

  it.each(cases)('%s', async (_name, path, body, status, field) => {
    // Prepare
    const before = (await scanAllButBackground()).length;
    // Act
    const response = await call('POST', path, { body });
    // Assess
    expect(response.status).toBe(status);
    expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    expect((await scanAllButBackground()).length).toBe(before);
  });

  it('answers 413 to an oversized body and 404 to unknown ids', async () => {
    expect(
      (await call('POST', '/v1/customers', { body: { email: 'big@y.cn', name: 'x'.repeat(2_000_000) } }))
        .status,
    ).toBe(413);
    expect((await call('GET', '/v1/customers/01JABCDEFGHJKMNPQRSTVWXYZ0')).status).toBe(404);
    const badId = await call('GET', '/v1/customers/not-an-id');
    expect(badId.status).toBe(400);
    expect(badId.body.errors[0].path).toBe('path.customerId');
  });
});

describe('cursors', () => {
  it('a cursor that was not issued for the listing is a 400 naming query.cursor', async () => {
    // Prepare
    const { body: customer } = await call('POST', '/v1/customers', {
      body: { externalId: `cur-${unique()}` },
    });
    const forged = Buffer.from(JSON.stringify({ pk: 'CUST#X', sk: 'PROFILE' })).toString('base64url');
    const paths = [
      '/v1/customers',
      `/v1/customers/${customer.id}/timeline`,
      `/v1/customers/${customer.id}/audit`,
    ];
    // Act
    const answers = [];
    for (const path of paths) {
      for (const cursor of ['not-a-cursor', forged])
        answers.push(await call('GET', `${path}?cursor=${cursor}`));
    }
    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors[0].path).toBe('query.cursor');
    }
  });
});
