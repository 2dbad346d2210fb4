import { randomUUID } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import { call } from '../support/api.ts';
import { rejectsOf, runImport } from '../support/imports.ts';
import { scanAll } from '../support/table.ts';
import { waitFor } from '../support/wait.ts';

/** Every object in the files bucket with its text, read with the stack's own S3 endpoint. */
async function bucketTexts(): Promise<{ key: string; text: string }[]> {
  const env = inject('stackEnv');
  const s3 = new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const out: { key: string; text: string }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: env.FILES_BUCKET, ...(token && { ContinuationToken: token }) }),
    );
    for (const object of page.Contents ?? []) {
      const body = await s3.send(new GetObjectCommand({ Bucket: env.FILES_BUCKET, Key: object.Key }));
      out.push({ key: object.Key ?? '', text: (await body.Body?.transformToString()) ?? '' });
    }
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

describe('erasure reaches every item that held the customer’s data', () => {
  it('leaves no trace of the erased identifiers anywhere in the table or the files bucket', async () => {
    // Prepare: one person with data of every kind Cohort keeps.
    const tag = randomUUID().slice(0, 8);
    const id1 = `erase-${tag}`;
    const email = `erase-me-${tag}@example.com`;
    const email2 = `erase-me-too-${tag}@example.org`;
    const phoneDigits = `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const phone = `+86${phoneDigits}`;
    const name = `擦除测试 ${tag}`;
    const created = await call('POST', '/v1/customers', {
      body: {
        externalId: id1,
        email,
        phone: phoneDigits,
        name,
        address: { country: 'CN', province: '浙江', city: '杭州' },
        tags: ['erasure-scan'],
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(
      (
        await call('PATCH', `/v1/customers/${id}`, {
          body: { emails: [email, email2] },
          headers: { 'if-match': created.headers.get('etag') ?? '' },
        })
      ).status,
    ).toBe(200);
    const at = (ms: number) => new Date(Date.now() - ms).toISOString();
    expect(
      (
        await call('POST', '/v1/events', {
          body: {
            events: [
              {
                id: `${id1}-pv`,
                type: 'page_view',
                customer: { email },
                occurredAt: at(3000),
                properties: { q: email },
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
              { id: `${id1}-o1`, customer: { phone }, occurredAt: at(2000), amount: 99, currency: 'CNY' },
            ],
          },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call('PUT', `/v1/customers/${id}/consents`, {
          body: {
            consents: [
              { channel: 'email', status: 'opted_in', proof: { ip: '203.0.113.7', form: 'signup' } },
            ],
          },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call('PUT', `/v1/suppressions/email/${encodeURIComponent(email2)}`, {
          body: { reason: 'hard_bounce' },
        })
      ).status,
    ).toBeLessThan(300);
    // A second profile of the same person, merged into the first: its history moves over.
    const other = await call('POST', '/v1/customers', {
      body: { email: `erase-other-${tag}@example.net`, name },
    });
    const merge = await call('POST', `/v1/customers/${id}/merge`, {
      body: { mergeIds: [other.body.id], dryRun: false },
    });
    expect(merge.status).toBe(202);
    await waitFor(
      async () =>
        (await call('GET', `/v1/merges/${merge.body.id}`)).body.status === 'merged' ? true : undefined,
      'the merge to finish',
    );
    // An import row that names them but is rejected (a bad birthday).
    const imported = await runImport(
      { kind: 'customers', format: 'csv', mapping: { Email: 'email', Birthday: 'birthday' } },
      `Email,Birthday\r\n${email},not-a-date\r\n`,
    );
    expect(await rejectsOf(imported.job.id)).toContain('not-a-date');
    // The reject is found again by the identities it names.
    expect(JSON.stringify(await scanAll())).toContain(`REJREF#email#${email}`);
    const dataExport = await call('POST', `/v1/customers/${id}/data-export`);
    await waitFor(
      async () =>
        (await call('GET', `/v1/exports/${dataExport.body.id}`)).body.status === 'completed'
          ? true
          : undefined,
      'the data export',
    );
    const identifiers = [email, email2, `erase-other-${tag}@example.net`, phone, phoneDigits, name, id1];
    const holding = (text: string) => identifiers.filter((s) => text.toLowerCase().includes(s.toLowerCase()));
    expect(holding(JSON.stringify(await scanAll())).length).toBeGreaterThan(0);

    // Act
    expect((await call('DELETE', `/v1/customers/${id}`)).status).toBe(202);
    await waitFor(
      async () => {
        const items = await scanAll();
        const erasure = items.find((i) => i.__edb_e__ === 'erasure' && i.customerId === id);
        return erasure?.status === 'erased' ? true : undefined;
      },
      'the erasure to finish',
      60_000,
    );

    // Assess: nothing in the table or the bucket names the person any more.
    const leftInTable = (await scanAll()).filter((item) => holding(JSON.stringify(item)).length > 0);
    expect(leftInTable).toEqual([]);
    const leftInBucket = (await bucketTexts()).filter((o) => holding(o.text).length > 0).map((o) => o.key);
    expect(leftInBucket).toEqual([]);
    expect((await call('GET', `/v1/customers/${id}`)).status).toBe(410);
    // Under the customer's own key only the tombstone stays (the purchase aggregate, rebuilt from the
    // stream as the orders go, ends empty and is removed).
    const left = await waitFor(async () => {
      const own = (await scanAll()).filter((i) => i.pk === `CUST#${id}`).map((i) => i.sk);
      return own.length === 1 ? own : undefined;
    }, 'only the tombstone to remain');
    expect(left).toEqual(['ERASURE']);
  }, 120_000);
});
