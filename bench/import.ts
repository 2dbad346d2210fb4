import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { envNames, functions, queueConcurrency } from '../functions/manifest.ts';
import { startQueuePoller } from '../infra/local/queue-poller.ts';
import { startLocalStack } from '../infra/local/stack.ts';
import { parseOptions } from './support/args.ts';
import { fixed, table } from './support/report.ts';
import { streamsSettled } from './support/stack.ts';

/**
 * import: N customer rows (externalId, email, phone, name) as a CSV file, through the real pipeline on a
 * local stack this benchmark starts (engines in memory, as the tests run them, except the S3 object,
 * which fauxqs keeps as a file so the upload does not sit in this process's memory): created over the API, uploaded to the
 * presigned URL, started, and polled until completed. The import-rows queue is read by `--workers`
 * pollers of the same worker function, as Lambda would run several at once (by default the manifest's
 * maxConcurrency, which the local runtime runs anyway).
 *
 * Baseline, in the same run and the same DynamoDB Local: the same items (profile, three identities and an
 * audit entry per customer, built by the entities) written with raw BatchWriteItem, `--raw-concurrency`
 * requests in flight, after an untimed warm-up of the JVM. ratio = pipeline rows/s / raw rows/s; target
 * >= 0.7. The stream consumers catch up between phases, so no phase pays for another's background work.
 *
 * After the pipeline, a tenth of the rows again two ways, into the same table: BatchWriteItem, and
 * TransactWriteItems carrying the conditions of the pipeline's creates. DynamoDB Local runs transactions
 * one at a time while batch writes run side by side, so the second over the first is the most that any
 * import keeping one customer per identity can reach here (`transactions_vs_batch`), and the rate by
 * tenth of the file shows whether the pipeline slows as the table grows.
 *
 * Memory: this process's RSS and heap are sampled every 100 ms while the pipeline runs; the peak after a
 * tenth of the rows and the peak at the end show whether it grows with the file. The process also hosts
 * fauxqs, whose queued chunk messages are in memory, so the figure is an upper bound for the worker.
 */

const TARGET = 0.7;
const defaults = {
  rows: 1_000_000,
  workers: queueConcurrency(functions.importWorker.trigger),
  'raw-concurrency': 8,
};

function row(i: number, tag: string): string {
  const phone = `139${String(10_000_000 + i).slice(-8)}`;
  return `${tag}-${i},user${i}.${tag}@example.com,${phone},客户 ${i}\n`;
}

async function writeCsv(path: string, rows: number, tag: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('externalId,email,phone,name\n');
  for (let i = 0; i < rows; i++) {
    if (!out.write(row(i, tag))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await finished(out);
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, defaults);
  const rows = options.rows;
  const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-import-'));
  const stack = await startLocalStack({
    filesDir: join(dir, 's3'),
    apiPort: 0,
    quiet: true,
    schedules: false,
  });
  const extraPollers: { stop(): Promise<void> }[] = [];
  try {
    const { createApiKey } = await import('../shared/apikeys/service.ts');
    const { key } = await createApiKey({ name: 'bench', scopes: ['admin'] });
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${stack.apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      return (await response.json()) as Record<string, unknown>;
    };

    // DynamoDB Local is a JVM: its first thousands of writes run before the JIT has compiled it and go at
    // about two thirds of the later rate. An untimed warm-up, so the baseline is not measured cold.
    const warmUpRows = Math.min(5_000, Math.max(1_000, Math.round(rows / 10)));
    console.error(`warming DynamoDB Local up with ${warmUpRows} rows…`);
    await rawBaseline(stack.env, warmUpRows, options['raw-concurrency']);
    await streamsSettled(stack);
    // Baseline first: raw BatchWriteItem of the items the pipeline writes, for another set of customers.
    console.error('raw BatchWriteItem…');
    const rawRate = await rawBaseline(stack.env, rows, options['raw-concurrency']);
    // The stream consumers (segments, aggregates, change events) handle the raw rows' changes before the
    // pipeline starts, so it does not pay for the baseline's background work in the same DynamoDB Local.
    let waited = performance.now();
    await streamsSettled(stack);
    const rawSettleSeconds = (performance.now() - waited) / 1000;
    console.error(
      `raw: ${fixed(rawRate, 0)} rows/s; stream consumers caught up ${fixed(rawSettleSeconds, 1)} s later; writing the CSV file…`,
    );

    const file = join(dir, 'customers.csv');
    await writeCsv(file, rows, `bench${Date.now().toString(36)}`);
    const bytes = statSync(file).size;
    // The runtime already polls with the manifest's concurrency; --workers above it adds pollers.
    for (let i = queueConcurrency(functions.importWorker.trigger); i < options.workers; i++) {
      const queue = stack.runtime.env[envNames.queueUrl('import-rows')] as string;
      extraPollers.push(
        startQueuePoller({
          host: stack.runtime.host,
          functionName: 'importWorker',
          queueUrl: queue,
          queueArn: `arn:aws:sqs:us-east-1:000000000000:import-rows`,
          batchSize: 1,
          sqsEndpoint: stack.endpoints.sqs,
          log: { info: () => {}, warn: () => {}, error: console.error } as never,
        }),
      );
    }

    console.error(`uploading ${fixed(bytes / 1_048_576, 1)} MB…`);
    const created = await api('POST', '/v1/imports', { kind: 'customers', format: 'csv' });
    const upload = await fetch(
      created.uploadUrl as string,
      {
        method: 'PUT',
        body: Readable.toWeb(createReadStream(file)) as ReadableStream,
        headers: { 'content-length': String(bytes) },
        duplex: 'half',
      } as RequestInit,
    );
    if (upload.status !== 200) throw new Error(`upload answered ${upload.status}`);

    let peakRss = 0;
    let peakHeap = 0;
    let peakRssTenth = 0;
    let doneRows = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
      if (doneRows <= rows / 10) peakRssTenth = peakRss;
    }, 100);
    const started = performance.now();
    // (seconds, rows done) at each poll: the rate per tenth of the file shows whether it falls as it goes.
    const timeline: [number, number][] = [[0, 0]];
    await api('POST', `/v1/imports/${created.id}/start`);
    let job: Record<string, unknown>;
    for (;;) {
      job = await api('GET', `/v1/imports/${created.id}`);
      doneRows = (job.progress as { rowsDone: number }).rowsDone;
      timeline.push([(performance.now() - started) / 1000, doneRows]);
      if (job.status === 'completed' || job.status === 'failed') break;
      if (process.stderr.isTTY) process.stderr.write(`\r${doneRows} rows done`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    if (job.status !== 'completed')
      throw new Error(`import ended ${job.status}: ${JSON.stringify(job.error)}`);
    const counts = job.counts as Record<string, number>;
    if (counts.created !== rows) throw new Error(`expected ${rows} created, got ${JSON.stringify(counts)}`);
    const rate = rows / seconds;
    const ratio = rate / rawRate;
    const tenths = rateByTenth(timeline, rows);
    // The raw writes again, into the table as the pipeline left it: BatchWriteItem, then the creates'
    // conditional transactions, whose quotient is the ceiling the note above describes. Diagnostic only.
    waited = performance.now();
    await streamsSettled(stack);
    const pipelineSettleSeconds = (performance.now() - waited) / 1000;
    console.error('raw BatchWriteItem after the pipeline…');
    const rawAfterRows = Math.max(1_000, Math.round(rows / 10));
    const rawAfter = await rawBaseline(stack.env, rawAfterRows, options['raw-concurrency']);
    await streamsSettled(stack);
    console.error('raw TransactWriteItems (the creates with their conditions) after the pipeline…');
    const rawTransactions = await rawBaseline(
      stack.env,
      rawAfterRows,
      options['raw-concurrency'],
      'transactions',
    );
    const mb = (b: number) => fixed(b / 1_048_576, 0);
    console.log(
      table(
        ['side', 'rows', 'rows/s', 'peak rss MB (first tenth)', 'peak rss MB', 'peak heap MB'],
        [
          ['raw BatchWriteItem', rows, fixed(rawRate, 0), '-', '-', '-'],
          ['import pipeline', rows, fixed(rate, 0), mb(peakRssTenth), mb(peakRss), mb(peakHeap)],
          ['raw BatchWriteItem, after', rawAfterRows, fixed(rawAfter, 0), '-', '-', '-'],
          ['raw TransactWriteItems, after', rawAfterRows, fixed(rawTransactions, 0), '-', '-', '-'],
        ],
      ),
    );
    console.log(`pipeline rows/s by tenth of the file: ${tenths.map((r) => fixed(r, 0)).join(' ')}`);
    console.log(
      `import ratio=${fixed(ratio)} target=>=${TARGET} met=${ratio >= TARGET ? 'yes' : 'no'} rows=${rows} rows_per_s=${fixed(rate, 0)} raw_rows_per_s=${fixed(rawRate, 0)} peak_rss_mb=${mb(peakRss)} peak_rss_first_tenth_mb=${mb(peakRssTenth)} peak_heap_mb=${mb(peakHeap)} raw_after_rows_per_s=${fixed(rawAfter, 0)} raw_transactions_rows_per_s=${fixed(rawTransactions, 0)} transactions_vs_batch=${fixed(rawTransactions / rawAfter)} streams_settle_after_raw_s=${fixed(rawSettleSeconds, 1)} streams_settle_after_pipeline_s=${fixed(pipelineSettleSeconds, 1)} first_tenth_rows_per_s=${fixed(tenths[0] ?? 0, 0)} last_tenth_rows_per_s=${fixed(tenths.at(-1) ?? 0, 0)} workers=${options.workers} file_mb=${mb(bytes)}`,
    );
  } finally {
    await Promise.allSettled(extraPollers.map((p) => p.stop()));
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rows per second over each tenth of the rows, from (seconds, rows done) samples; linear between them. */
function rateByTenth(timeline: readonly [number, number][], rows: number): number[] {
  const timeAt = (target: number): number => {
    for (let i = 1; i < timeline.length; i++) {
      const [t1, r1] = timeline[i] as [number, number];
      if (r1 >= target) {
        const [t0, r0] = timeline[i - 1] as [number, number];
        return r1 === r0 ? t1 : t0 + ((t1 - t0) * (target - r0)) / (r1 - r0);
      }
    }
    return (timeline.at(-1) as [number, number])[0];
  };
  const rates: number[] = [];
  for (let k = 0; k < 10; k++) {
    const from = (rows * k) / 10;
    const to = (rows * (k + 1)) / 10;
    rates.push((to - from) / Math.max(1e-9, timeAt(to) - timeAt(from)));
  }
  return rates;
}

let rawRuns = 0;

/**
 * The items the pipeline writes for `rows` new customers, written straight to DynamoDB Local; rows/s.
 * `batch`: BatchWriteItem, 25 items (5 customers) a request, the baseline the ratio is taken against.
 * `transactions`: TransactWriteItems of 20 customers (100 actions) with the conditions the pipeline's
 * creates carry (`writeActions`: profile and identities attribute_not_exists), which one customer per
 * identity needs; the most any import that keeps that guarantee could reach here.
 */
async function rawBaseline(
  env: Record<string, string>,
  rows: number,
  concurrency: number,
  mode: 'batch' | 'transactions' = 'batch',
): Promise<number> {
  const { store } = await import('../shared/store/service.ts');
  const { newCustomerItem, createdFields, writeActions } = await import('../shared/customers/service.ts');
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: env.DYNAMODB_ENDPOINT,
      region: env.AWS_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  const actor = { keyId: 'bench', keyName: 'bench' };
  const tag = `raw${Date.now().toString(36)}`;
  // Each run its own phone prefix, so the conditional creates of a later run never meet an earlier one's.
  const phonePrefix = 137 - rawRuns++;
  const customersPerRequest = mode === 'batch' ? 5 : 20; // 25 items, BatchWriteItem's limit; 100 actions
  let next = 0;
  const started = performance.now();
  const writer = async () => {
    for (;;) {
      const first = next;
      next += customersPerRequest;
      if (first >= rows) return;
      const actions: Record<string, { Item?: Record<string, unknown> }>[] = [];
      for (let i = first; i < Math.min(rows, first + customersPerRequest); i++) {
        const now = new Date().toISOString();
        const input = {
          externalId: `${tag}-${i}`,
          email: `user${i}.${tag}@example.com`,
          phone: `+86${phonePrefix}${String(10_000_000 + i).slice(-8)}`,
          name: `客户 ${i}`,
        };
        const item = newCustomerItem(input, now);
        const params = store()
          .transaction.write((e) => writeActions(e, undefined, item, actor, 'created', createdFields(input)))
          .params();
        actions.push(...(params.TransactItems as never[]));
      }
      if (mode === 'transactions') {
        await client.send(new TransactWriteCommand({ TransactItems: actions as never }));
        continue;
      }
      let request: Record<string, unknown> | undefined = {
        [env.TABLE_NAME as string]: actions.map((a) => ({ PutRequest: { Item: a.Put?.Item } })),
      };
      while (request && Object.keys(request).length > 0) {
        const result = await client.send(new BatchWriteCommand({ RequestItems: request as never }));
        request = result.UnprocessedItems as Record<string, unknown> | undefined;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
  const seconds = (performance.now() - started) / 1000;
  client.destroy();
  return rows / seconds;
}
