import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { repositoryRoot } from '../local/paths.ts';

/**
 * `npm run import -- <file> --kind customers`: imports a file through the public API only: creates the
 * job, uploads the file to the presigned URL, starts it, shows progress until it ends, prints the counts
 * and saves the rejected rows. Exit code 0 when the job completed, 1 when it failed, 2 on a usage error.
 */

const help = `Imports a CSV or NDJSON file of customers, orders or events into Cohort.

Usage: npm run import -- <file> --kind customers|orders|events [options]

  --format csv|ndjson         default: from the file name (.csv, .ndjson, .jsonl)
  --encoding auto|utf-8|gb18030   default auto (BOM -> UTF-8, valid UTF-8 -> UTF-8, else GB18030/GBK)
  --map 'Email=email,手机=phone,生日=birthday,VIP=attributes.vip'   column -> target
  --date-format YYYY-MM-DD|DD/MM/YYYY|MM/DD/YYYY|YYYY/M/D|DD.MM.YYYY|YYYYMMDD
  --default 'sourceChannel=import,type=order'   values for empty cells
  --rejects <file>            where to save rejected rows (default <file>.rejects.csv)
  --api <url>                 default $COHORT_API_URL, else http://127.0.0.1:3000 (npm start)
  --key <key>                 default $COHORT_API_KEY, else the local stack's key in .data/local/admin-key
  -h, --help`;

class UsageError extends Error {}

function pairs(value: string | undefined, option: string): Record<string, string> | undefined {
  if (!value) return undefined;
  const out: Record<string, string> = {};
  for (const pair of value.split(',')) {
    const at = pair.lastIndexOf('=');
    if (at <= 0)
      throw new UsageError(`${option} takes column=target pairs separated by commas, got "${pair}"`);
    out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return out;
}

function localKey(): string | undefined {
  const file = join(repositoryRoot, '.data/local/admin-key');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

interface Job {
  id: string;
  status: string;
  error?: { code: string; message: string };
  uploadUrl?: string;
  progress: {
    rowsRead: number;
    rowsDone: number;
    bytesRead: number;
    totalBytes?: number;
    rowsPerSecond: number;
    etaSeconds?: number;
  };
  counts: { created: number; updated: number; unchanged: number; rejected: number };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      kind: { type: 'string' },
      format: { type: 'string' },
      encoding: { type: 'string' },
      map: { type: 'string' },
      'date-format': { type: 'string' },
      default: { type: 'string' },
      rejects: { type: 'string' },
      api: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new UsageError('Name exactly one file to import');
  if (!existsSync(file)) throw new UsageError(`No such file: ${file}`);
  if (!values.kind) throw new UsageError('--kind is required: customers, orders or events');
  const format =
    values.format ??
    ({ '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson' } as Record<string, string>)[
      extname(file).toLowerCase()
    ];
  if (!format)
    throw new UsageError('--format is required when the file name does not end in .csv, .ndjson or .jsonl');
  const api = (values.api ?? process.env.COHORT_API_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
  const key = values.key ?? process.env.COHORT_API_KEY ?? localKey();
  if (!key)
    throw new UsageError('No API key: pass --key, set COHORT_API_KEY, or start the local stack (npm start)');

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) {
      let detail = text;
      try {
        const problem = JSON.parse(text) as { detail?: string; errors?: { path: string; message: string }[] };
        detail = problem.errors?.map((e) => `${e.path}: ${e.message}`).join('; ') ?? problem.detail ?? text;
      } catch {}
      throw new Error(`${method} ${path} answered ${response.status}: ${detail}`);
    }
    return (response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
  };

  // The API would fail the job the same way; no need to make one.
  if (statSync(file).size === 0) throw new Error(`${file} is empty: nothing to import`);
  const defaults = pairs(values.default, '--default');
  const job = await call<Job>('POST', '/v1/imports', {
    kind: values.kind,
    format,
    ...(values.encoding && { encoding: values.encoding }),
    ...(values.map && { mapping: pairs(values.map, '--map') }),
    ...(values['date-format'] && { dateFormat: values['date-format'] }),
    ...(defaults && { defaults }),
  });
  const size = statSync(file).size;
  process.stderr.write(`Import ${job.id}: uploading ${(size / 1_048_576).toFixed(1)} MB…\n`);
  const upload = await fetch(
    job.uploadUrl as string,
    {
      method: 'PUT',
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      headers: { 'content-length': String(size) },
      duplex: 'half',
    } as RequestInit,
  );
  if (!upload.ok) throw new Error(`The upload answered ${upload.status}: ${await upload.text()}`);
  await upload.body?.cancel();
  await call('POST', `/v1/imports/${job.id}/start`);

  const bar = new cliProgress.SingleBar(
    {
      format: ' {bar} {percentage}% | {rowsDone} rows | {rate} rows/s | ETA {etaText} | {status}',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(size, 0, { rowsDone: 0, rate: 0, etaText: '-', status: 'queued' });
  let current = job;
  for (;;) {
    current = await call<Job>('GET', `/v1/imports/${job.id}`);
    const p = current.progress;
    // Done rows against the rows the file should hold, estimated from the bytes read so far.
    const estimated = p.bytesRead > 0 ? (p.rowsRead * size) / p.bytesRead : 0;
    const done =
      current.status === 'completed'
        ? size
        : estimated > 0
          ? Math.min(size, (p.rowsDone / estimated) * size)
          : 0;
    bar.update(Math.round(done), {
      rowsDone: p.rowsDone.toLocaleString('en'),
      rate: p.rowsPerSecond.toLocaleString('en'),
      etaText: p.etaSeconds === undefined ? '-' : `${p.etaSeconds}s`,
      status: current.status,
    });
    if (current.status === 'completed' || current.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  bar.stop();

  if (current.status === 'failed') {
    process.stderr.write(`Import ${job.id} failed (${current.error?.code}): ${current.error?.message}\n`);
    return 1;
  }
  const c = current.counts;
  process.stdout.write(
    `Import ${job.id} completed: ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.rejected} rejected.\n`,
  );
  if (c.rejected > 0) {
    const target = resolve(values.rejects ?? `${file}.rejects.csv`);
    let csv = '';
    let path: string | undefined = `/v1/imports/${job.id}/rejects`;
    while (path) {
      const response = await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${key}` } });
      const page = await response.text();
      csv += csv ? page.slice(page.indexOf('\n') + 1) : page;
      path = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
    }
    writeFileSync(target, csv);
    process.stdout.write(
      `Rejected rows (row, field, reason, value): ${target}\n  also at ${api}/v1/imports/${job.id}/rejects\n`,
    );
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof UsageError) process.stderr.write(`\n${help}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
