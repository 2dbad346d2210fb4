import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';
import { scanAll, scanAllButBackground } from '../support/table.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The import pipeline against the local engines: the reader and the worker called in this process on
 * jobs made through the service, the stack's own pollers working the queues as they would in Lambda.
 */
let service: typeof import('../../shared/imports/service.ts');
let reader: typeof import('../../shared/imports/reader.ts');
let worker: typeof import('../../shared/imports/worker.ts');
let rejects: typeof import('../../shared/imports/rejects.ts');
let bulk: typeof import('../../shared/customers/bulk.ts');
let customers: typeof import('../../shared/customers/service.ts');
let store: typeof import('../../shared/store/service.ts');
let aws: typeof import('../../shared/platform/aws.ts');

const actor = { keyId: 'test', keyName: 'integration test' };
const unique = () => Math.random().toString(36).slice(2, 10);

beforeAll(async () => {
  useStackEnv();
  service = await import('../../shared/imports/service.ts');
  reader = await import('../../shared/imports/reader.ts');
  worker = await import('../../shared/imports/worker.ts');
  rejects = await import('../../shared/imports/rejects.ts');
  bulk = await import('../../shared/customers/bulk.ts');
  customers = await import('../../shared/customers/service.ts');
  store = await import('../../shared/store/service.ts');
  aws = await import('../../shared/platform/aws.ts');
});

/** A job with its file uploaded and marked queued, but no read message sent: this test drives the reader. */
async function uploadedJob(csv: string): Promise<string> {
  const job = await service.createImport(
    { kind: 'customers', format: 'csv', encoding: 'auto', dateFormat: 'YYYY-MM-DD' },
    actor,
  );
  const upload = await fetch(job.uploadUrl as string, { method: 'PUT', body: csv });
  expect(upload.status).toBe(200);
  await store
    .store()
    .entities.importJob.patch({ jobId: job.id })
    .set({ status: 'queued', totalBytes: Buffer.byteLength(csv), startedAt: new Date().toISOString() })
    .go();
  return job.id;
}

/** A job the reader is part-way through: header known, `chunksSent` chunks sent, for the worker to count. */
async function jobBeingRead(chunksSent: number): Promise<string> {
  const jobId = await uploadedJob(customersCsv('none', 0));
  await store
    .store()
    .entities.importJob.patch({ jobId })
    .set({ header: ['externalId', 'email', 'name'], status: 'reading', chunksSent })
    .go();
  return jobId;
}

function customersCsv(tag: string, rows: number): string {
  const lines = ['externalId,email,name'];
  for (let i = 0; i < rows; i++) lines.push(`${tag}-${i},${tag}.${i}@example.com,"Name, ${i}"`);
  return `${lines.join('\n')}\n`;
}

describe('import reader', () => {
  it('resumes after a crash from its checkpoint without duplicate chunks or customers', async () => {
    // Prepare
    const tag = `resume-${unique()}`;
    const jobId = await uploadedJob(customersCsv(tag, 95));

    // Act
    const crashed = await reader.readImport(jobId, {
      budgetMs: 60_000,
      leaseMs: 0,
      crashAfterChunks: 3,
      chunkRows: 10,
    });
    const checkpoint = await service.readJob(jobId);
    const resumed = await reader.readImport(jobId, { budgetMs: 60_000, chunkRows: 10 });
    const job = await waitFor(async () => {
      const view = await service.getImport(jobId);
      return view.status === 'completed' ? view : undefined;
    }, 'the import to complete');

    // Assess
    expect(crashed).toBe('crashed');
    expect(checkpoint).toMatchObject({ chunksSent: 3, rowsRead: 31, status: 'reading' });
    expect(resumed).toBe('done');
    expect(job.counts).toEqual({ created: 95, updated: 0, unchanged: 0, rejected: 0 });
    expect(job.progress).toMatchObject({ rowsRead: 95, rowsDone: 95 });
    const items = await scanAll();
    const chunks = items.filter((i) => i.pk === `IMPORT#${jobId}` && String(i.sk).startsWith('CHUNK#'));
    expect(chunks.length).toBe(10);
    const profiles = items.filter(
      (i) => String(i.sk) === 'PROFILE' && String(i.externalId).startsWith(`${tag}-`),
    );
    expect(profiles.length).toBe(95);
    expect(profiles.find((p) => p.externalId === `${tag}-7`)).toMatchObject({ name: 'Name, 7' });
  });

  it('fails a file with a header that maps nothing, before sending a single chunk', async () => {
    // Prepare
    const jobId = await uploadedJob('foo,bar\n1,2\n');

    // Act
    const outcome = await reader.readImport(jobId, { budgetMs: 60_000 });
    const job = await service.getImport(jobId);

    // Assess
    expect(outcome).toBe('failed');
    expect(job).toMatchObject({ status: 'failed', error: { code: 'mapping' } });
    expect(job.counts).toEqual({ created: 0, updated: 0, unchanged: 0, rejected: 0 });
  });
});

describe('import worker', () => {
  it('counts a chunk once when it is delivered twice, one after the other or at once', async () => {
    // Prepare
    const tag = `redeliver-${unique()}`;
    const jobId = await jobBeingRead(2);
    const chunk = (chunkNo: number, from: number) => ({
      jobId,
      chunkNo,
      rows: [0, 1, 2].map((i) => ({
        row: from + i,
        values: [`${tag}-${from + i}`, `${tag}.${from + i}@example.com`, 'N'],
      })),
    });

    // Act
    const first = await worker.processChunk(chunk(0, 2));
    const again = await worker.processChunk(chunk(0, 2));
    const concurrent = await Promise.all([
      worker.processChunk(chunk(1, 5)),
      worker.processChunk(chunk(1, 5)),
    ]);
    const job = await service.readJob(jobId);

    // Assess
    expect(first).toMatchObject({ created: 3, duplicate: false });
    expect(again).toMatchObject({ duplicate: true, created: 0 });
    expect(concurrent.filter((r) => !r.duplicate).length).toBe(1);
    expect(job).toMatchObject({
      chunksDone: 2,
      rowsDone: 6,
      created: 6,
      updated: 0,
      unchanged: 0,
      rejected: 0,
    });
  });

  it('counts a chunk whose counting transaction collides with another write of the job (TransactionConflict)', async () => {
    // Prepare: the first counting transaction (the one that adds chunksDone) is cancelled the way DynamoDB
    // cancels one that races another write of the same job item; the SDK's own exception, so ElectroDB
    // reads it as it reads DynamoDB's answer.
    const tag = `conflict-${unique()}`;
    const jobId = await jobBeingRead(1);
    let injected = 0;
    const name = `conflict-${unique()}`;
    aws.documentClient().middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { TransactItems?: unknown[] };
        const counting =
          context.commandName === 'TransactWriteItemsCommand' &&
          JSON.stringify(input.TransactItems ?? []).includes('chunksDone');
        if (counting && injected === 0) {
          injected++;
          throw new TransactionCanceledException({
            message:
              'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
            $metadata: {},
            CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
          });
        }
        return next(args);
      },
      { step: 'initialize', name },
    );

    // Act
    let result: Awaited<ReturnType<typeof worker.processChunk>>;
    try {
      result = await worker.processChunk({
        jobId,
        chunkNo: 0,
        rows: [0, 1].map((i) => ({ row: 2 + i, values: [`${tag}-${i}`, `${tag}.${i}@example.com`, 'N'] })),
      });
    } finally {
      aws.documentClient().middlewareStack.remove(name);
    }
    const job = await service.readJob(jobId);

    // Assess: tried again and counted, not taken for a chunk counted already.
    expect(injected).toBe(1);
    expect(result).toMatchObject({ created: 2, duplicate: false });
    expect(job).toMatchObject({ chunksDone: 1, rowsDone: 2, created: 2 });
  });
});

describe('bulk customer upsert', () => {
  it('writes exactly the items one upsert at a time would write', async () => {
    // Prepare
    const tag = unique();
    const input = (who: string) => ({
      externalId: `${who}-${tag}`,
      email: `${who}.${tag}@example.com`,
      phone: who === 'bulk' ? '13900139001' : '13900139002',
      name: '陈静',
      tags: ['vip'],
      birthday: { date: '1990-03-02', calendar: 'gregorian' as const },
    });

    // Act
    const [outcome] = await bulk.upsertCustomers([input('bulk')], actor);
    const single = await customers.upsertCustomer(input('single'), actor);

    // Assess
    expect(outcome).toMatchObject({ outcome: 'created' });
    // Not the segment consumer's items: it answers either write in the background, whenever it gets to it.
    const items = await scanAllButBackground();
    const shape = (customerId: string) =>
      items
        .filter((i) => i.customerId === customerId)
        .map((i) => {
          const {
            pk,
            sk,
            gsi1sk,
            gsi1pk,
            customerId: _c,
            auditId: _a,
            createdAt: _t,
            updatedAt: _u,
            at: _at,
            shard: _s,
            ...rest
          } = i;
          return JSON.stringify({
            ...rest,
            key: String(pk)
              .replace(customerId, 'ID')
              .replace(/IDENT#(\w+)#.*/, 'IDENT#$1'),
            value: typeof rest.value === 'string' ? 'v' : undefined,
            email: rest.email ? 'e' : undefined,
            externalId: rest.externalId ? 'x' : undefined,
            phone: rest.phone ? 'p' : undefined,
            emails: Array.isArray(rest.emails) ? rest.emails.length : undefined,
            phones: Array.isArray(rest.phones) ? rest.phones.length : undefined,
            sk: String(sk).replace(/^[0-9A-Z]{26}$/, 'ULID'),
          });
        })
        .sort();
    expect(shape((outcome as { customerId: string }).customerId)).toEqual(shape(single.customer.id));
  });

  it('settles rows that share an identity in file order and reports identities of two customers', async () => {
    // Prepare
    const tag = unique();
    await customers.upsertCustomer({ externalId: `a-${tag}` }, actor);
    await customers.upsertCustomer({ externalId: `b-${tag}` }, actor);

    // Act
    const outcomes = await bulk.upsertCustomers(
      [
        { email: `same.${tag}@example.com`, name: 'First' },
        { email: `same.${tag}@example.com`, name: 'Second' },
        { externalId: `a-${tag}`, email: `new.${tag}@example.com` },
        { externalId: `b-${tag}`, phone: 'not a phone' },
      ],
      actor,
    );

    // Assess
    expect(outcomes[0]).toMatchObject({ outcome: 'created' });
    expect(outcomes[1]).toMatchObject({
      outcome: 'updated',
      customerId: (outcomes[0] as { customerId: string }).customerId,
    });
    expect(outcomes[2]).toMatchObject({ outcome: 'updated' });
    expect(outcomes[3]).toEqual({
      errors: [{ path: 'phone', message: expect.stringContaining('not a valid phone number') }],
    });
  });
});

describe('rejected rows and erasure', () => {
  it('deletes every reject that mentions an identity, with the pointers from its other identities', async () => {
    // Prepare
    const jobId = `01TEST${unique().toUpperCase().padEnd(20, '0')}`.slice(0, 26);
    const tag = unique();
    await rejects.writeRejects(jobId, [
      {
        row: 2,
        errors: [{ field: 'name', reason: 'is bad', value: 'x' }],
        mentions: { email: ` Erase.${tag}@Example.com `, phone: '138 0013 8000' },
      },
      {
        row: 3,
        errors: [{ field: 'name', reason: 'is bad', value: 'y' }],
        mentions: { email: `keep.${tag}@example.com` },
      },
    ]);

    // Act
    const deleted = await rejects.deleteRejectsMentioning([
      { kind: 'email', value: `erase.${tag}@example.com` },
    ]);
    const left = (await scanAll()).filter(
      (i) => String(i.pk) === `IMPORT#${jobId}` || String(i.sk).startsWith(`${jobId}#`),
    );

    // Assess
    expect(deleted).toBe(1);
    expect(left.map((i) => [i.pk, i.sk]).sort()).toEqual(
      [
        [`IMPORT#${jobId}`, 'REJECT#0000000003'],
        [`REJREF#email#keep.${tag}@example.com`, `${jobId}#3`],
      ].sort(),
    );
    expect(left.every((i) => typeof i.expiresAt === 'number')).toBe(true);
  });
});
