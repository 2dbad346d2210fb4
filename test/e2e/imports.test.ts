import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { call } from '../support/api.ts';
import { encodeGb18030 } from '../support/gb18030.ts';
import { rejectsOf, runImport } from '../support/imports.ts';
import { scanAll, scanAllButBackground } from '../support/table.ts';

const unique = () => Math.random().toString(36).slice(2, 10);

describe('imports over HTTP', () => {
  it('imports a customer CSV through the presigned upload, then reports every row unchanged on a re-run', async () => {
    // Prepare
    const tag = unique();
    const csv = [
      'Email,手机,Name,生日',
      `li.${tag}@example.com,13800138000,李雷,02/03/1990`,
      `"han.${tag}@example.com",,"Han, Meimei",15/11/1992`,
      `bad-email-${tag},,Nobody,01/01/1990`,
    ].join('\r\n');
    const request = {
      kind: 'customers',
      format: 'csv',
      mapping: { Email: 'email', 手机: 'phone', Name: 'name', 生日: 'birthday' },
      dateFormat: 'DD/MM/YYYY',
    };

    // Act
    const since = new Date(Date.now() - 1000).toISOString();
    const first = await runImport(request, csv);
    const second = await runImport(request, csv);
    const rejects = await rejectsOf(first.job.id);

    // Assess
    expect(first.created.body.status).toBe('awaiting_upload');
    expect(first.job.status).toBe('completed');
    expect(first.job.counts).toEqual({ created: 2, updated: 0, unchanged: 0, rejected: 1 });
    expect(second.job.counts).toEqual({ created: 0, updated: 0, unchanged: 2, rejected: 1 });
    expect(rejects).toContain('row,field,reason,value');
    expect(rejects).toMatch(new RegExp(`^4,Email,must be a valid email address,bad-email-${tag}`, 'm'));
    const listed = await call('GET', `/v1/customers?limit=200&updatedSince=${encodeURIComponent(since)}`);
    const li = listed.body.items.find((c: { email?: string }) => c.email === `li.${tag}@example.com`);
    expect(li).toMatchObject({ name: '李雷', phone: '+8613800138000', birthday: { date: '1990-03-02' } });
  });

  it('reads a GBK (GB18030) file with Chinese names under encoding auto', async () => {
    // Prepare
    const tag = unique();
    const bytes = encodeGb18030(`externalId,姓名,城市\ngbk-${tag}-1,张伟,北京\ngbk-${tag}-2,王芳,上海\n`);

    // Act
    const { job } = await runImport(
      { kind: 'customers', format: 'csv', mapping: { 姓名: 'name', 城市: 'address.city' } },
      bytes,
    );

    // Assess
    expect(job.status).toBe('completed');
    expect(job.detectedEncoding).toBe('gb18030');
    expect(job.counts).toMatchObject({ created: 2, rejected: 0 });
    const items = await scanAll();
    const zhang = items.find((i) => i.externalId === `gbk-${tag}-1`);
    expect(zhang).toMatchObject({ name: '张伟', address: { city: '北京' } });
  });

  it('imports an orders file to the customers it names, rejecting orders of unknown customer ids', async () => {
    // Prepare
    const tag = unique();
    await call('POST', '/v1/customers', { body: { externalId: `ord-${tag}`, name: 'Buyer' } });
    const ndjson = [
      JSON.stringify({
        id: `SO-${tag}-1`,
        customer: { externalId: `ord-${tag}` },
        occurredAt: '2026-01-02T03:04:05Z',
        amount: 99.5,
        currency: 'CNY',
      }),
      JSON.stringify({
        id: `SO-${tag}-2`,
        // An unknown email or externalId would create a customer (the stage's unknownIdentity rule);
        // an unknown Cohort id never does.
        customer: { id: '01JAAAAAAAAAAAAAAAAAAAAAAA' },
        occurredAt: '2026-01-02T03:04:05Z',
        amount: 10,
        currency: 'CNY',
      }),
      '{not json',
    ].join('\n');

    // Act
    const { job } = await runImport({ kind: 'orders', format: 'ndjson' }, ndjson);
    const rejects = await rejectsOf(job.id);

    // Assess
    expect(job.counts).toEqual({ created: 1, updated: 0, unchanged: 0, rejected: 2 });
    expect(rejects).toMatch(/^2,customer(\.id)?,.*01JAAAAAAAAAAAAAAAAAAAAAAA/m);
    expect(rejects).toMatch(/^3,row,is not valid JSON/m);
    const order = (await scanAll()).find((i) => i.eventId === `order:SO-${tag}-1`);
    expect(order).toMatchObject({ amount: 99.5, currency: 'CNY' });
  });

  it('fails an empty file and a file that is not CSV with a clear error, importing nothing', async () => {
    // Prepare
    const before = (await scanAllButBackground()).length;

    // Act
    const empty = await runImport({ kind: 'customers', format: 'csv' }, '');
    const binary = await runImport(
      { kind: 'customers', format: 'csv' },
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]),
    );
    const notCsv = await runImport(
      { kind: 'customers', format: 'csv' },
      '<html><body>hello</body></html>\n<p>x</p>\n',
    );

    // Assess
    expect(empty.job).toMatchObject({
      status: 'failed',
      error: { code: 'empty', message: 'The file is empty' },
    });
    expect(binary.job).toMatchObject({ status: 'failed', error: { code: 'encoding' } });
    expect(notCsv.job).toMatchObject({ status: 'failed', error: { code: 'mapping' } });
    expect((notCsv.job.error as { message: string }).message).toMatch(
      /No column maps to externalId or email or phone/,
    );
    // Only the three job items were written.
    expect((await scanAllButBackground()).length).toBe(before + 3);
  });

  it('answers bad requests with 400 naming the field, and starting before the upload with 409', async () => {
    // Act
    const badKind = await call('POST', '/v1/imports', { body: { kind: 'people', format: 'csv' } });
    const badTarget = await call('POST', '/v1/imports', {
      body: { kind: 'customers', format: 'csv', mapping: { Email: 'e-mail' } },
    });
    const badFormat = await call('POST', '/v1/imports', {
      body: { kind: 'customers', format: 'csv', dateFormat: 'D-M-Y' },
    });
    const created = await call('POST', '/v1/imports', { body: { kind: 'customers', format: 'csv' } });
    const early = await call('POST', `/v1/imports/${created.body.id}/start`);
    const missing = await call('GET', '/v1/imports/01ARZ3NDEKTSV4RRFFQ69G5FAV');

    // Assess
    expect(badKind.status).toBe(400);
    expect(badKind.body.errors[0].path).toBe('kind');
    expect(badTarget.status).toBe(400);
    expect(badTarget.body.errors).toEqual([
      { path: 'mapping.Email', message: expect.stringContaining('is not a target for customers') },
    ]);
    expect(badFormat.body.errors[0].path).toBe('dateFormat');
    expect(early.status).toBe(409);
    expect(missing.status).toBe(404);
  });
});

describe('the import command-line tool', () => {
  const cli = (args: string[]) =>
    spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'infra/cli/import.ts',
        ...args,
        '--api',
        inject('apiUrl'),
        '--key',
        inject('adminKey'),
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, COHORT_API_URL: '', COHORT_API_KEY: '' },
      },
    );

  it('imports a file, prints the counts and saves the rejected rows; exits 1 when the job fails', () => {
    // Prepare
    const tag = unique();
    const dir = mkdtempSync(join(tmpdir(), 'cohort-cli-'));
    const file = join(dir, 'people.csv');
    writeFileSync(file, `Mail,Name\ncli.${tag}@example.com,Ana\nnot-an-email,Bob\n`);
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    const notCsv = join(dir, 'page.csv');
    writeFileSync(notCsv, '<html>\n<body>hello</body>\n');

    // Act
    const ok = cli([file, '--kind', 'customers', '--map', 'Mail=email,Name=name']);
    const nothing = cli([empty, '--kind', 'customers']);
    const failed = cli([notCsv, '--kind', 'customers']);
    const usage = cli([file]);

    // Assess
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/completed: 1 created, 0 updated, 0 unchanged, 1 rejected/);
    expect(readFileSync(`${file}.rejects.csv`, 'utf8')).toMatch(
      /^3,Mail,must be a valid email address,not-an-email/m,
    );
    expect(nothing.status).toBe(1);
    expect(nothing.stderr).toMatch(/empty\.csv is empty: nothing to import/);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/failed \(mapping\): No column maps to externalId or email or phone/);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--kind is required/);
  });
});
