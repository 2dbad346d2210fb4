import type { LocalStack } from '../infra/local/stack.ts';
import { parseOptions } from './support/args.ts';
import { fixed, resultLine } from './support/report.ts';
import { withLocalStack } from './support/stack.ts';
import { quantile, summarize } from './support/stats.ts';

/**
 * aggregate-latency: from an order accepted by POST /v1/orders to the customer's aggregate holding it,
 * on the local stack: the table stream, the local stream poller and the aggregateUpdater function, as a
 * profile read would see it. Target: p99 < 1 s (ratio = p99 / 1000 ms <= 1).
 *
 * Orders go to `customers` customers with one order in flight per customer (so each latency is that
 * order's own), `concurrency` customers at a time; the aggregate is read with consistent GetItem every
 * few milliseconds until its fold has seen the order's id.
 */

const TARGET_MS = 1000;
const POLL_MS = 5;

const defaults = {
  /** Orders timed (the 10,000); e.g. --orders 1000 for a quick run. */
  orders: 10_000,
  customers: 200,
  concurrency: 20,
  /** Untimed orders first: handler imports, JIT, the stream poller's shard positions. */
  warmup: 50,
};

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, defaults);
  await withLocalStack((stack) => measure(stack, options));
}

async function measure(stack: LocalStack, options: typeof defaults): Promise<void> {
  // Imported only now: the store reads the table name and endpoint the stack has put into process.env.
  const { createApiKey } = await import('../shared/apikeys/service.ts');
  const { readAggregate } = await import('../shared/scoring/aggregate-store.ts');
  const { fingerprintOf } = await import('../shared/scoring/aggregates.ts');
  const { key } = await createApiKey({ name: 'bench', scopes: ['admin'] });
  const runId = Date.now().toString(36);
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${stack.apiUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as { id: string };
  };
  const customers: string[] = [];
  for (let i = 0; i < options.customers; i++) {
    customers.push((await post('/v1/customers', { email: `lat-${runId}-${i}@example.com` })).id);
  }

  /** One order: POST, then poll the aggregate until it holds the order; returns ms from acceptance. */
  const order = async (customerId: string, n: number): Promise<number> => {
    const orderId = `lat-${runId}-${n}`;
    await post('/v1/orders', {
      orders: [
        {
          id: orderId,
          customer: { id: customerId },
          occurredAt: new Date(Date.now() - (n % 300) * 86_400_000).toISOString(),
          amount: 10 + (n % 90),
          currency: 'CNY',
        },
      ],
    });
    const accepted = performance.now();
    const fingerprint = fingerprintOf(`o:${orderId}`);
    for (;;) {
      const aggregate = await readAggregate(customerId);
      const seen = (aggregate?.state as { seen?: number[] } | undefined)?.seen ?? [];
      if (seen.includes(fingerprint)) return performance.now() - accepted;
      if (performance.now() - accepted > 60_000)
        throw new Error(`Order ${orderId} never reached its aggregate`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };

  const drive = async (total: number, offset: number): Promise<number[]> => {
    const latencies: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency, customers.length) }, async (_, lane) => {
        // Each lane owns its own customers, so one order per customer is in flight at a time.
        const own = customers.filter((_, i) => i % options.concurrency === lane);
        let turn = 0;
        while (next < total) {
          const n = next++;
          latencies.push(await order(own[turn++ % own.length] as string, offset + n));
        }
      }),
    );
    return latencies;
  };

  await drive(options.warmup, 0);
  const started = performance.now();
  const latencies = await drive(options.orders, options.warmup);
  const seconds = (performance.now() - started) / 1000;
  const s = { ...summarize(latencies), p99: quantile(latencies, 0.99) };
  console.log(
    `${options.orders} orders over ${options.customers} customers, ${options.concurrency} in flight, ${fixed(seconds, 1)} s`,
  );
  console.log(
    resultLine(
      'aggregate-latency',
      { ratio: s.p99 / TARGET_MS, target: 1 },
      {
        p50_ms: fixed(s.p50),
        p90_ms: fixed(s.p90),
        p99_ms: fixed(s.p99),
        max_ms: fixed(s.max),
        orders: options.orders,
        orders_per_s: fixed(options.orders / seconds, 1),
      },
    ),
  );
}
