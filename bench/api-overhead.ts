import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../infra/local/stack.ts';
import type { EventInput } from '../shared/events/schema.ts';
import { parseOptions } from './support/args.ts';
import { fixed, resultLine, table } from './support/report.ts';
import { withLocalStack } from './support/stack.ts';
import { type Summary, summarize } from './support/stats.ts';

/**
 * api-overhead: POST /v1/events (batches of 100) through the local runtime, against the same writes made
 * directly with BatchWriteItem on the same DynamoDB Local. Target: api p50 / direct p50 <= 1.5.
 *
 * The API does more than write (authorizer, validation, resolving customers, the duplicate check); the
 * ratio says what all of that costs on top of the writes it cannot avoid.
 */

const RATIO_TARGET = 1.5;
const BATCH_SIZE = 100;
/** BatchWriteItem takes at most 25 items; the ingest service also sends 4 chunks at a time. */
const CHUNK_CONCURRENCY = 4;
/** Retention the local stack's functions use (shared/platform/config.ts default), for expiresAt. */
const RETENTION_SECONDS = 395 * 86_400;

const defaults = {
  /** Timed batches per side. */
  batches: 200,
  /** Untimed batches per side first: handler imports, JIT, connection pools. */
  warmup: 10,
  /** Customers the events are spread over. */
  customers: 100,
};

interface Customer {
  id: string;
  externalId: string;
}

/** A small seeded generator (mulberry32), so every run sends the same mix of events. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const pages = [
  ['/', '首页'],
  ['/products/tea-set', 'Tea set · 茶具'],
  ['/cart', 'Cart'],
  ['/account/orders', '我的订单'],
] as const;
const skus = ['SKU-1001', 'SKU-2040', 'SKU-3177', 'SKU-4410', 'SKU-5502'] as const;

/** An event as an app would send it: one of a few common types with properties of a realistic size. */
function makeEvent(id: string, customer: Customer, rand: () => number): EventInput {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  // Up to 30 days back: recent enough to be plausible, never in the future (the API rejects that).
  const occurredAt = new Date(Date.now() - Math.floor(rand() * 30 * 86_400_000)).toISOString();
  const base = { id, customer: { externalId: customer.externalId }, occurredAt };
  const kind = Math.floor(rand() * 4);
  if (kind === 0) {
    const [path, title] = pick(pages);
    return {
      ...base,
      type: 'page_view',
      channel: 'web',
      properties: { path, title, referrer: 'https://www.example.com/search?q=tea', durationMs: 4200 },
    };
  }
  if (kind === 1) {
    return {
      ...base,
      type: 'product_viewed',
      channel: 'app',
      properties: { sku: pick(skus), category: 'tea/oolong', price: 128.5, currency: 'CNY' },
    };
  }
  if (kind === 2) {
    return {
      ...base,
      type: 'add_to_cart',
      channel: 'app',
      properties: { sku: pick(skus), quantity: 1 + Math.floor(rand() * 3), price: 88, cartSize: 2 },
    };
  }
  return {
    ...base,
    type: 'app_open',
    channel: 'app',
    properties: { appVersion: '3.12.0', platform: pick(['ios', 'android']), locale: 'zh-CN' },
  };
}

/**
 * One batch of fresh events, spread evenly over the customers. Both sides get the same mix for the same
 * batch number; `side` keeps their ids apart, so neither ever writes an item the other already wrote.
 */
function makeBatch(runId: string, side: 'api' | 'direct', batch: number, customers: Customer[]) {
  const rand = random(batch);
  return Array.from({ length: BATCH_SIZE }, (_, i) => {
    const customer = customers[(batch * BATCH_SIZE + i) % customers.length] as Customer;
    return { customer, event: makeEvent(`bench-${runId}-${side}-${batch}-${i}`, customer, rand) };
  });
}

async function createCustomers(apiUrl: string, key: string, runId: string, count: number) {
  const customers: Customer[] = [];
  // A few at a time: quick, without turning set-up into a load test of the upsert path.
  for (let start = 0; start < count; start += 10) {
    const created = await Promise.all(
      Array.from({ length: Math.min(10, count - start) }, async (_, i) => {
        const externalId = `bench-${runId}-${start + i}`;
        const body = await postJson(apiUrl, key, '/v1/customers', {
          externalId,
          name: `Bench 客户 ${start + i}`,
          email: `${externalId}@example.com`,
        });
        return { id: (body as { id: string }).id, externalId };
      }),
    );
    customers.push(...created);
  }
  return customers;
}

async function postJson(apiUrl: string, key: string, path: string, body: unknown): Promise<unknown> {
  return send(apiUrl, key, path, JSON.stringify(body));
}

/** POST a prepared body; anything but a 2xx ends the run, since its timing would mean nothing. */
async function send(apiUrl: string, key: string, path: string, body: string): Promise<unknown> {
  const response = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as unknown;
}

/** Writes prepared BatchWriteItem inputs, chunks in parallel, retrying what DynamoDB left unprocessed. */
async function batchWrite(client: DynamoDBDocumentClient, chunks: BatchWriteCommandInput[]): Promise<void> {
  const pending = [...chunks];
  const worker = async () => {
    for (let chunk = pending.shift(); chunk; chunk = pending.shift()) {
      let requestItems = chunk.RequestItems;
      for (let attempt = 0; requestItems && Object.keys(requestItems).length > 0; attempt++) {
        if (attempt >= 8) throw new Error('DynamoDB left items unprocessed after 8 attempts');
        if (attempt > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
        const result = await client.send(new BatchWriteCommand({ RequestItems: requestItems }));
        requestItems = result.UnprocessedItems;
      }
    }
  };
  await Promise.all(Array.from({ length: CHUNK_CONCURRENCY }, worker));
}

async function timed(action: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, defaults);
  // No schedule timers: a sweeper firing mid-run would land on one side's timing only.
  await withLocalStack((stack) => measure(stack, options));
}

async function measure(stack: LocalStack, options: typeof defaults): Promise<void> {
  // Imported only now: the store reads the table name and endpoint the stack has put into process.env.
  const { createApiKey } = await import('../shared/apikeys/service.ts');
  const { store } = await import('../shared/store/service.ts');
  const { key, apiKey } = await createApiKey({ name: 'bench', scopes: ['admin'] });
  const runId = Date.now().toString(36);
  const customers = await createCustomers(stack.apiUrl, key, runId, options.customers);
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: stack.endpoints.dynamodb,
      region: stack.env.AWS_REGION ?? 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    { marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false } },
  );

  /** The API side: the request body is built before the clock starts, as a client would have it ready. */
  const apiBatch = async (batch: number) => {
    const events = makeBatch(runId, 'api', batch, customers).map((b) => b.event);
    const body = JSON.stringify({ events });
    return timed(async () => {
      const result = (await send(stack.apiUrl, key, '/v1/events', body)) as { created: number };
      if (result.created !== events.length) {
        throw new Error(`Expected ${events.length} created events, got ${JSON.stringify(result)}`);
      }
    });
  };

  /**
   * The direct side: the items the ingest service would store for the same kind of events (keys built by
   * the same ElectroDB entity), prepared before the clock starts; only the writes are timed.
   */
  const directBatch = async (batch: number) => {
    const receivedAt = new Date().toISOString();
    const items = makeBatch(runId, 'direct', batch, customers).map(({ customer, event }) => {
      const { id, customer: _ref, ...rest } = event;
      return {
        ...rest,
        eventId: id,
        customerId: customer.id,
        receivedAt,
        sourceKeyId: apiKey.id,
        expiresAt: Math.floor(Date.parse(event.occurredAt) / 1000) + RETENTION_SECONDS,
      };
    });
    const chunks = store().entities.event.put(items).params() as BatchWriteCommandInput[];
    return timed(() => batchWrite(client, chunks));
  };

  const apiTimes: number[] = [];
  const directTimes: number[] = [];
  const total = options.warmup + options.batches;
  for (let batch = 0; batch < total; batch++) {
    // Interleaved, and which side goes first alternates: writes stream records that the local runtime's
    // stream poller processes in this same process, and that work lands on whichever side runs next.
    const sides = batch % 2 === 0 ? ([apiBatch, directBatch] as const) : ([directBatch, apiBatch] as const);
    const first = await sides[0](batch);
    const second = await sides[1](batch);
    if (batch < options.warmup) continue;
    apiTimes.push(batch % 2 === 0 ? first : second);
    directTimes.push(batch % 2 === 0 ? second : first);
  }
  client.destroy();
  report(summarize(apiTimes), summarize(directTimes), options);
}

function report(api: Summary, direct: Summary, options: typeof defaults): void {
  const row = (name: string, s: Summary) => [
    name,
    fixed(s.p50),
    fixed(s.p90),
    fixed(s.mean),
    fixed(s.min),
    fixed(s.max),
    s.n,
  ];
  console.log(`ms per batch of ${BATCH_SIZE} events`);
  console.log(
    table(
      ['side', 'p50', 'p90', 'mean', 'min', 'max', 'batches'],
      [row('api (POST /v1/events)', api), row('direct (BatchWriteItem)', direct)],
    ),
  );
  console.log(
    resultLine(
      'api-overhead',
      { ratio: api.p50 / direct.p50, target: RATIO_TARGET },
      {
        statistic: 'p50',
        api_p50_ms: fixed(api.p50),
        direct_p50_ms: fixed(direct.p50),
        api_p90_ms: fixed(api.p90),
        direct_p90_ms: fixed(direct.p90),
        api_mean_ms: fixed(api.mean),
        direct_mean_ms: fixed(direct.mean),
        ratio_mean: fixed(api.mean / direct.mean),
        batches: options.batches,
        batch_size: BATCH_SIZE,
        warmup: options.warmup,
        customers: options.customers,
      },
    ),
  );
}
