import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type DemoDataSet, defaultDemoCustomers, generateDemoData } from './demo-data.ts';
import { isMainModule, repositoryRoot } from './paths.ts';

/**
 * Loads the demo data set through the HTTP API of a running local stack: the same path an app's data
 * takes. Ids are deterministic (demo-<n>, demo-ord-<n>, demo-evt-<n>), so loading twice stores nothing
 * twice. Refuses any API that is not on this machine: the phone numbers are random and real-looking.
 */

export interface DemoLoadOptions {
  apiUrl: string;
  apiKey: string;
  customers?: number;
  seed?: string;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Where progress and failures are written; defaults to stdout/stderr. */
  out?: { progress(line: string, done: boolean): void; failure(line: string): void };
}

export interface PhaseSummary {
  sent: number;
  created: number;
  /** Customers: updated or unchanged; events and orders: duplicates of ones stored before. */
  existing: number;
  failed: number;
}

export interface DemoLoadSummary {
  customers: PhaseSummary;
  orders: PhaseSummary;
  events: PhaseSummary;
}

const batchSize = 100;
const maxPrintedFailures = 5;

export async function loadDemoData(options: DemoLoadOptions): Promise<DemoLoadSummary> {
  assertLocal(options.apiUrl);
  const data: DemoDataSet = generateDemoData({
    customers: options.customers ?? defaultDemoCustomers,
    ...(options.seed && { seed: options.seed }),
  });
  const out = options.out ?? consoleOutput();
  const concurrency = options.concurrency ?? 8;
  let printedFailures = 0;
  const reportFailure = (path: string, response: { status: number; body: unknown }) => {
    if (printedFailures++ < maxPrintedFailures) {
      out.failure(`POST ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
    } else if (printedFailures === maxPrintedFailures + 1) {
      out.failure('(further failures are counted, not printed)');
    }
  };
  const client = async (path: string, body: unknown) => {
    const response = await postWithRetries(`${options.apiUrl}${path}`, options.apiKey, body);
    if (response.status < 300) return response;
    reportFailure(path, response);
    return undefined;
  };

  const summary: DemoLoadSummary = {
    customers: emptySummary(),
    orders: emptySummary(),
    events: emptySummary(),
  };
  const report = (phase: keyof DemoLoadSummary, total: number) => {
    const s = summary[phase];
    out.progress(
      `demo ${phase}: ${s.sent}/${total} (${s.created} new, ${s.existing} existing, ${s.failed} failed)`,
      s.sent === total,
    );
  };

  await runPool(data.customers, concurrency, async (customer) => {
    const response = await client('/v1/customers', customer);
    const phase = summary.customers;
    phase.sent++;
    if (!response) phase.failed++;
    else if (response.status === 201) phase.created++;
    else phase.existing++;
    report('customers', data.customers.length);
  });

  for (const [phase, items, path, key] of [
    ['orders', data.orders, '/v1/orders', 'orders'],
    ['events', data.events, '/v1/events', 'events'],
  ] as const) {
    const batches = chunk<unknown>(items, batchSize);
    await runPool(batches, concurrency, async (whole) => {
      const s = summary[phase];
      let batch = whole;
      // A batch is all or nothing; when the API names the items it refused (say, their customer failed
      // to load), the rest is sent again without them.
      for (let attempt = 0; batch.length > 0; attempt++) {
        const response = await postWithRetries(`${options.apiUrl}${path}`, options.apiKey, { [key]: batch });
        if (response.status < 300) {
          const results = (response.body as { results?: { status?: string }[] }).results ?? [];
          s.created += results.filter((r) => r.status === 'created').length;
          s.existing += results.filter((r) => r.status === 'duplicate').length;
          break;
        }
        reportFailure(path, response);
        const refused = refusedItems(response.body, key);
        if (attempt > 0 || refused.size === 0) {
          s.failed += batch.length;
          break;
        }
        s.failed += refused.size;
        batch = batch.filter((_, i) => !refused.has(i));
      }
      s.sent += whole.length;
      report(phase, items.length);
    });
  }
  return summary;
}

/** A 409 (a concurrent change), a 429 or a 5xx is worth another try, after a pause. */
async function postWithRetries(
  url: string,
  key: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  let last: { status: number; body: unknown } = { status: 0, body: 'no attempt' };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      last = { status: response.status, body: parseJson(text) };
      if (!(response.status === 409 || response.status === 429 || response.status >= 500)) return last;
    } catch (error) {
      last = { status: 0, body: error instanceof Error ? error.message : String(error) };
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 250 * 2 ** attempt));
  }
  return last;
}

/** Indexes named by a problem document's errors: `orders[27].customer` -> 27. */
function refusedItems(problem: unknown, key: string): Set<number> {
  const errors = (problem as { errors?: { path?: unknown }[] } | null)?.errors ?? [];
  const indexes = new Set<number>();
  for (const error of errors) {
    const path = typeof error.path === 'string' ? error.path : '';
    const index = path.startsWith(`${key}[`) ? Number.parseInt(path.slice(key.length + 1), 10) : Number.NaN;
    if (Number.isInteger(index)) indexes.add(index);
  }
  return indexes;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function assertLocal(apiUrl: string): void {
  const { hostname } = new URL(apiUrl);
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(hostname)) {
    throw new Error(
      `The demo data set is for the local stack only, not ${hostname}: its phone numbers are random`,
    );
  }
}

async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function emptySummary(): PhaseSummary {
  return { sent: 0, created: 0, existing: 0, failed: 0 };
}

/** One updating line on a terminal; a line per quarter elsewhere (CI logs). */
function consoleOutput(): NonNullable<DemoLoadOptions['out']> {
  const tty = process.stdout.isTTY;
  let lastQuarter = -1;
  let lastPhase = '';
  return {
    progress(line, done) {
      if (tty) {
        process.stdout.write(`\r${line}\u001b[K${done ? '\n' : ''}`);
        return;
      }
      const match = /^demo (\w+): (\d+)\/(\d+)/.exec(line);
      const quarter = match ? Math.floor((Number(match[2]) / Math.max(1, Number(match[3]))) * 4) : 4;
      if (match?.[1] !== lastPhase) {
        lastPhase = match?.[1] ?? '';
        lastQuarter = -1;
      }
      if (quarter > lastQuarter || done) {
        lastQuarter = quarter;
        process.stdout.write(`${line}\n`);
      }
    },
    failure(line) {
      if (tty) process.stdout.write('\n');
      process.stderr.write(`${line}\n`);
    },
  };
}

const usage = `Loads the demo data set into a running local stack (npm start).

  npx tsx infra/local/demo.ts [--api http://127.0.0.1:3000] [--key <admin key>] [--customers ${defaultDemoCustomers}]

The key defaults to the one npm start keeps in .data/local/admin-key. npm start -- --demo does the same.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      api: { type: 'string', default: 'http://127.0.0.1:3000' },
      key: { type: 'string' },
      customers: { type: 'string', default: String(defaultDemoCustomers) },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const keyFile = resolve(repositoryRoot, '.data/local/admin-key');
  const apiKey = values.key ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined);
  if (!apiKey) throw new Error('No API key: pass --key, or start the stack once with npm start');
  const customers = Number(values.customers);
  if (!Number.isInteger(customers) || customers < 1)
    throw new Error('--customers must be a positive whole number');
  const summary = await loadDemoData({ apiUrl: values.api.replace(/\/$/, ''), apiKey, customers });
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

if (isMainModule(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
