import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDemoCustomers } from './demo-data.ts';
import { repositoryRoot } from './paths.ts';
import { type LocalStack, startLocalStack } from './stack.ts';

/**
 * `npm start`: the whole system on this machine, data kept in .data/local between runs, an admin API
 * key made on the first start, and the demo data set on request.
 */

const help = `Runs Cohort on this machine: DynamoDB Local, an SQS and an SES emulator, and every function of
the manifest behind a local API Gateway, event bus, queue and stream pollers and scheduler.

Usage: npm start -- [options]

  --port <n>              API port (default 3000)
  --data-dir <dir>        where data is kept between runs (default .data/local)
  --reset                 delete the data folder first and start empty
  --demo                  load the demo data set through the API (${defaultDemoCustomers.toLocaleString('en')} customers)
  --demo-customers <n>    how many demo customers (implies --demo)
  --no-schedules          do not fire the schedules on timers (POST /_local/schedules/<name> still does)
  --quiet                 print only errors after start-up
  -h, --help              show this text

Needs Java 17+ (DynamoDB Local). Ctrl-C stops everything.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    allowNegative: true,
    options: {
      port: { type: 'string', default: '3000' },
      'data-dir': { type: 'string', default: '.data/local' },
      reset: { type: 'boolean', default: false },
      demo: { type: 'boolean', default: false },
      'demo-customers': { type: 'string' },
      schedules: { type: 'boolean', default: true },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error('--port must be a port number');
  const demoCustomers = values['demo-customers'] === undefined ? undefined : Number(values['demo-customers']);
  if (demoCustomers !== undefined && (!Number.isInteger(demoCustomers) || demoCustomers < 1)) {
    throw new Error('--demo-customers must be a positive whole number');
  }
  const dataDir = resolve(repositoryRoot, values['data-dir']);
  if (values.reset) rmSync(dataDir, { recursive: true, force: true });

  let stack: LocalStack | undefined;
  let stopping = false;
  const shutdown = async () => {
    if (stopping) {
      // A second Ctrl-C: leave now; the exit hook still kills DynamoDB Local.
      process.exit(1);
    }
    stopping = true;
    process.stdout.write('\nStopping…\n');
    await stack?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());

  process.stdout.write('Starting the local stack…\n');
  stack = await startLocalStack({ dataDir, apiPort: port, quiet: values.quiet, schedules: values.schedules });
  if (stopping) return;
  const apiKey = await adminKey(stack, join(dataDir, 'admin-key'));
  printWelcome(stack, apiKey, dataDir);

  if (values.demo || demoCustomers !== undefined) {
    const { loadDemoData } = await import('./demo.ts');
    const summary = await loadDemoData({
      apiUrl: stack.apiUrl,
      apiKey,
      customers: demoCustomers ?? defaultDemoCustomers,
    });
    const failed = summary.customers.failed + summary.orders.failed + summary.events.failed;
    process.stdout.write(
      `Demo data loaded: ${summary.customers.sent} customers, ${summary.orders.sent} orders, ${summary.events.sent} events${failed > 0 ? ` (${failed} failed, see above)` : ''}.\n`,
    );
  }
}

/** The admin key kept in the data folder, made on the first start (or when the data was wiped). */
async function adminKey(stack: LocalStack, file: string): Promise<string> {
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (await keyWorks(stack.apiUrl, kept)) return kept;
  }
  // Imported only now: the service reads the table name and endpoints from the environment the stack set.
  const { createApiKey } = await import('../../shared/apikeys/service.ts');
  const { key } = await createApiKey({ name: 'local admin', scopes: ['admin'] });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

/** A kept key is good unless the API says it is unknown; a missing handler (5xx) proves nothing. */
async function keyWorks(apiUrl: string, key: string): Promise<boolean> {
  try {
    const response = await fetch(`${apiUrl}/v1/customers?limit=1`, {
      headers: { authorization: `Bearer ${key}` },
    });
    await response.body?.cancel();
    return response.status !== 401 && response.status !== 403;
  } catch {
    return true;
  }
}

function printWelcome(stack: LocalStack, apiKey: string, dataDir: string): void {
  const api = stack.apiUrl;
  const rows: [string, string][] = [
    ['API', api],
    ['OpenAPI', `${api}/v1/openapi.json`],
    ['Mail (SES)', `${stack.endpoints.ses}/`],
    ['Event bus', `${api}/_local/bus`],
    ['Push / SMS', `${api}/_local/messages`],
    ['Health', `${api}/_local/health`],
    ['DynamoDB', stack.endpoints.dynamodb],
    ['SQS', stack.endpoints.sqs],
    ['S3', `${stack.endpoints.s3}/${stack.bucket} (path-style)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const lines = [
    '',
    `Cohort is running locally (data in ${relative(process.cwd(), dataDir) || '.'}).`,
    '',
    ...rows.map(([label, url]) => `  ${label.padEnd(width)}${url}`),
    '',
    `  Admin API key  ${apiKey}`,
    `  (kept in ${relative(process.cwd(), join(dataDir, 'admin-key'))}; it is a local key, shown here for convenience)`,
    '',
    '  Try it:',
    `    curl -s -H "Authorization: Bearer ${apiKey}" ${api}/v1/customers`,
    `    curl -s -X POST -H "Authorization: Bearer ${apiKey}" -H "Content-Type: application/json" \\`,
    `      -d '{"externalId":"c-1","email":"wang.fang@example.com","name":"王芳"}' ${api}/v1/customers`,
    '',
    '  Point the AWS CLI at the engines: --endpoint-url <DynamoDB, SQS or S3 URL above>, any credentials',
    '  (for S3 also: aws configure set default.s3.addressing_style path).',
    '  Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
