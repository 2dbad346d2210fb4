import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';

/** The files bucket on the local stack: fauxqs serves it, and presigned URLs work from a client on the machine. */
let s3: typeof import('../../shared/platform/s3.ts');
let config: typeof import('../../shared/platform/config.ts');

beforeAll(async () => {
  useStackEnv();
  s3 = await import('../../shared/platform/s3.ts');
  config = await import('../../shared/platform/config.ts');
});

describe('presigned URLs against fauxqs', () => {
  it('uploads with curl -T to a presigned PUT and reads the same bytes back through a presigned GET', async () => {
    // Prepare
    const bucket = config.filesBucketFromEnv();
    const key = `imports/test-${Date.now()}.csv`;
    const file = join(mkdtempSync(join(tmpdir(), 'cohort-s3-')), 'upload.csv');
    const content = 'email,name\nwang.fang@example.com,王芳\n';
    writeFileSync(file, content);
    const put = await s3.presignPut(bucket, key, 60);

    // Act
    const status = execFileSync(
      'curl',
      ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-T', file, put.url],
      {
        encoding: 'utf8',
      },
    );
    const get = await s3.presignGet(bucket, key, { fileName: 'upload.csv' });
    const response = await fetch(get.url);

    // Assess
    expect(status).toBe('200');
    expect(put.url.startsWith(`${process.env.S3_ENDPOINT}/${bucket}/`)).toBe(true);
    expect(Date.parse(put.expiresAt)).toBeGreaterThan(Date.now());
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(content);
  });

  it('refuses a GET of a key nobody uploaded', async () => {
    // Prepare
    const get = await s3.presignGet(config.filesBucketFromEnv(), `imports/missing-${Date.now()}.csv`);

    // Act
    const response = await fetch(get.url);
    await response.body?.cancel();

    // Assess
    expect(response.status).toBe(404);
  });
});
