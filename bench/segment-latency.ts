import type { LocalStack } from '../infra/local/stack.ts';
import { parseOptions } from './support/args.ts';
import { fixed, resultLine } from './support/report.ts';
import { withLocalStack } from './support/stack.ts';
import { quantile, summarize } from './support/stats.ts';

/**
 * segment-latency: incremental segment evaluation on the local stack, from an event accepted by
 * POST /v1/events to the segment.entered (or segment.exited) event on the bus: the table stream, the
 * local stream poller, the segmentEvaluator function (dependency index, subject load, the membership
 * writer's transaction), the stream again and the changePublisher. Target: p99 < 1 s
 * (ratio = p99 / 1000 ms, met when <= 1).
 *
 * The probe segment holds customers whose `lat_toggle` events' `delta` sums to 1, so each customer's
 * events alternate entering (+1) and leaving (-1) it: every change is a flip with a bus event. Beside it
 * stand a segment of that segment (a cascade) and ordinary segments over profile fields, consents,
 * purchases and other events, which the dependency index must leave out. One change per customer is
 * in flight (so each latency is that change's own), `concurrency` customers at a time. Bus events are
 * timed by the bus's own receipt stamp, so the watcher's polling adds nothing to the figures.
 */

const TARGET_MS = 1000;
const WATCH_MS = 10;

const defaults = {
  /** Changes timed (the 10,000); e.g. --changes 500 for a quick run. */
  changes: 10_000,
  customers: 200,
  concurrency: 20,
  /** Untimed changes first: handler imports, compiled rules, the stream poller's shard positions. */
  warmup: 60,
};

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, defaults);
  await withLocalStack((stack) => measure(stack, options));
}

const otherRules = (probe: string) => [
  { and: [{ segment: { id: probe } }, { tags: { any: ['vip'] } }] },
  { tags: { any: ['vip'] } },
  { geo: { province: ['广东', '浙江'] } },
  { attribute: { field: 'address.city', in: ['广州', '杭州'] } },
  { consent: { channel: 'sms' } },
  { consent: { channel: 'email', topic: 'promotions' } },
  { attribute: { field: 'computed.orders', gte: 2 } },
  { event: { type: 'order', within: { days: 90 }, atLeast: 2 } },
  { eventTime: { type: 'order', which: 'last', moreThanDaysAgo: 30 } },
  { event: { type: 'page_view', within: { days: 7 }, atLeast: 3 } },
  { tier: { abc: ['A'] } },
  { score: { name: 'churn', gte: 0.7 } },
  { attribute: { field: 'birthday', anniversaryWithinDays: 7 } },
  { not: { tags: { any: ['wholesale'] } } },
  { bucket: { salt: 'holdout', from: 0, to: 9 } },
  { attribute: { field: 'attributes.teaPreference', equals: 'green' } },
  { or: [{ tags: { all: ['vip', 'tea'] } }, { attribute: { field: 'gender', equals: 'female' } }] },
  { eventValue: { type: 'order', fn: 'sum', property: 'amount', within: { days: 365 }, gte: 1000 } },
];

async function measure(stack: LocalStack, options: typeof defaults): Promise<void> {
  // Imported only now: the store reads the table name and endpoint the stack has put into process.env.
  const { createApiKey } = await import('../shared/apikeys/service.ts');
  const { createSegment } = await import('../shared/segments/service.ts');
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

  // Segments first (an empty table needs no recomputation), then the customers.
  const probe = await createSegment({
    name: 'latency probe',
    rule: { eventValue: { type: 'lat_toggle', fn: 'sum', property: 'delta', equals: 1 } },
  });
  for (const [i, rule] of otherRules(probe.segmentId).entries()) {
    await createSegment({ name: `latency neighbour ${i}`, rule: rule as never });
  }
  const customers: string[] = [];
  for (let i = 0; i < options.customers; i++) {
    const body = {
      email: `seglat-${runId}-${i}@example.com`,
      tags: i % 3 === 0 ? ['vip'] : ['tea'],
      address: { country: 'CN', province: i % 2 ? '广东' : '江苏', city: i % 2 ? '广州' : '南京' },
    };
    customers.push((await post('/v1/customers', body)).id);
  }

  // The watcher: bus events of the probe segment, by customer, in order of receipt.
  const waiters = new Map<string, { type: string; after: number; resolve: (at: number) => void }>();
  const seen = new Set<string>();
  let watching = true;
  let since = new Date(0);
  const watcher = (async () => {
    while (watching) {
      for (const e of stack.runtime.bus.events({ since })) {
        if (seen.has(e.id) || !e['detail-type'].startsWith('segment.')) continue;
        seen.add(e.id);
        const detail = e.detail as { segmentId: string; customerId: string };
        if (detail.segmentId !== probe.segmentId) continue;
        const at = Date.parse(e.receivedAt);
        if (at > since.getTime()) since = new Date(at);
        const waiter = waiters.get(detail.customerId);
        if (waiter && waiter.type === e['detail-type'] && at >= waiter.after) {
          waiters.delete(detail.customerId);
          waiter.resolve(at);
        }
      }
      await new Promise((r) => setTimeout(r, WATCH_MS));
    }
  })();

  const state = new Map<string, boolean>(customers.map((c) => [c, false]));
  /** One change: POST an event that flips the customer; ms from the API's answer to the bus event. */
  const change = async (customerId: string, n: number): Promise<number> => {
    const entering = !state.get(customerId);
    const type = entering ? 'segment.entered' : 'segment.exited';
    const sent = Date.now();
    const arrived = new Promise<number>((resolve) => waiters.set(customerId, { type, after: sent, resolve }));
    await post('/v1/events', {
      events: [
        {
          id: `seglat-${runId}-${n}`,
          type: 'lat_toggle',
          customer: { id: customerId },
          occurredAt: new Date().toISOString(),
          properties: { delta: entering ? 1 : -1 },
        },
      ],
    });
    const accepted = Date.now();
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`No ${type} for ${customerId} (change ${n})`)), 60_000).unref(),
    );
    const at = await Promise.race([arrived, timeout]);
    state.set(customerId, entering);
    // The bus stamps whole milliseconds; an event stamped within the request's own millisecond is 0.
    return Math.max(0, at - accepted);
  };

  const drive = async (total: number, offset: number) => {
    const latencies: { ms: number; entered: boolean }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency, customers.length) }, async (_, lane) => {
        const own = customers.filter((_, i) => i % options.concurrency === lane);
        let turn = 0;
        while (next < total) {
          const n = next++;
          const customerId = own[turn++ % own.length] as string;
          const entered = !state.get(customerId);
          latencies.push({ ms: await change(customerId, offset + n), entered });
        }
      }),
    );
    return latencies;
  };

  try {
    await drive(options.warmup, 0);
    const started = performance.now();
    const timed = await drive(options.changes, options.warmup);
    const seconds = (performance.now() - started) / 1000;
    const all = timed.map((t) => t.ms);
    const entries = timed.filter((t) => t.entered).map((t) => t.ms);
    const s = { ...summarize(all), p99: quantile(all, 0.99) };
    console.log(
      `${options.changes} changes (${entries.length} entries, ${all.length - entries.length} exits) over ${options.customers} customers and ${otherRules('x').length + 1} segments, ${options.concurrency} in flight, ${fixed(seconds, 1)} s`,
    );
    console.log(
      resultLine(
        'segment-latency',
        { ratio: s.p99 / TARGET_MS, target: 1 },
        {
          p50_ms: fixed(s.p50),
          p90_ms: fixed(s.p90),
          p99_ms: fixed(s.p99),
          max_ms: fixed(s.max),
          entered_p99_ms: fixed(quantile(entries, 0.99)),
          changes: options.changes,
          changes_per_s: fixed(options.changes / seconds, 1),
        },
      ),
    );
  } finally {
    watching = false;
    await watcher;
  }
}
