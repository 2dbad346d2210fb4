import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { parseOptions } from './support/args.ts';
import { fixed } from './support/report.ts';
import { withLocalStack } from './support/stack.ts';

/**
 * rescoring: a full rescoring run over `customers` customers holding `orders` orders between them,
 * through the pipeline on the local stack (planner message, the scoring queue, the worker's two passes,
 * settle and fit), against a raw parallel Scan of the same aggregate items with the same segments,
 * filter and projection. Rows per second of the workers (rows read in both passes over the run's wall
 * time) over rows per second of the raw scan. Target: >= 0.5.
 *
 * Aggregates are seeded straight into DynamoDB Local with BatchWriteItem, each folded from its orders
 * with the same fold the stream uses, so the run reads what production would hold.
 */

const TARGET = 0.5;
const DAY_MS = 86_400_000;

const defaults = {
  /** The size; e.g. --customers 20000 --orders 200000 for a quick run. */
  customers: 1_000_000,
  orders: 10_000_000,
  seed: 7,
};

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, defaults);
  await withLocalStack(() => measure(options));
}

async function measure(options: typeof defaults): Promise<void> {
  const { store } = await import('../shared/store/service.ts');
  const { documentClient } = await import('../shared/platform/aws.ts');
  const { tableNameFromEnv } = await import('../shared/platform/config.ts');
  const { batchPut } = await import('../shared/store/batch-io.ts');
  const { newId } = await import('../shared/platform/ids.ts');
  const { seededRandom } = await import('../shared/scoring/numeric.ts');
  const { applyPurchase, emptyPurchaseState } = await import('../shared/scoring/aggregates.ts');
  const { foldContext } = await import('../shared/scoring/aggregate-store.ts');
  const { defaultScoringSettings } = await import('../shared/scoring/settings.ts');
  const { startRun, getRun, DEFAULT_SEGMENTS } = await import('../shared/scoring/runs.ts');

  const random = seededRandom(options.seed);
  const now = Date.now();
  const context = foldContext(defaultScoringSettings(), now);
  const seedStart = performance.now();
  const chunk: Record<string, unknown>[] = [];
  let ordersLeft = options.orders;
  for (let c = 0; c < options.customers; c++) {
    // Orders per customer skewed like retail: most buy once or twice, a few many times.
    const remainingCustomers = options.customers - c;
    const mean = ordersLeft / remainingCustomers;
    const count =
      c === options.customers - 1 ? ordersLeft : Math.max(1, Math.round(-Math.log(1 - random()) * mean));
    const n = Math.min(count, ordersLeft - (remainingCustomers - 1));
    ordersLeft -= n;
    let state = emptyPurchaseState();
    const firstDay = Math.floor(random() * 700);
    for (let o = 0; o < n; o++) {
      const daysAgo = Math.max(0, firstDay - Math.floor(random() * (firstDay + 1)));
      state = applyPurchase(
        state,
        {
          kind: 'order',
          orderId: `${c}-${o}`,
          orderedAt: new Date(now - daysAgo * DAY_MS).toISOString(),
          amount: Math.round(10 + random() * 400),
          currency: 'CNY',
        },
        context,
      ).state;
    }
    const item = store()
      .entities.customerAggregate.put({
        customerId: newId(),
        state,
        version: 1,
        updatedAt: new Date(now).toISOString(),
      })
      .params().Item as Record<string, unknown>;
    chunk.push(item);
    if (chunk.length === 5000) await batchPut(documentClient(), tableNameFromEnv(), chunk.splice(0));
  }
  await batchPut(documentClient(), tableNameFromEnv(), chunk.splice(0));
  const seedSeconds = (performance.now() - seedStart) / 1000;

  // Baseline: the raw parallel scan the workers make, with nothing done per row.
  const { aggregateScanInput } = await import('../shared/scoring/aggregate-store.ts');
  const rawStart = performance.now();
  const counts = await Promise.all(
    Array.from({ length: DEFAULT_SEGMENTS }, async (_, segment) => {
      let rows = 0;
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await documentClient().send(
          new ScanCommand({
            ...aggregateScanInput(),
            Segment: segment,
            TotalSegments: DEFAULT_SEGMENTS,
            Limit: 1000,
            ...(startKey && { ExclusiveStartKey: startKey }),
          }),
        );
        rows += page.Items?.length ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return rows;
    }),
  );
  const rawSeconds = (performance.now() - rawStart) / 1000;
  const rawRows = counts.reduce((a, b) => a + b, 0);

  const runStart = performance.now();
  const started = await startRun('api');
  let view = await getRun(started.id);
  while (view.status !== 'completed') {
    if (view.status === 'failed') throw new Error(`run failed: ${view.error}`);
    await new Promise((r) => setTimeout(r, 250));
    view = await getRun(started.id);
  }
  const runSeconds = (performance.now() - runStart) / 1000;
  const workerRows = view.progress.customersMeasured + view.progress.customersScored;
  const workerRate = workerRows / runSeconds;
  const rawRate = rawRows / rawSeconds;
  const ratio = workerRate / rawRate;
  console.log(
    `${options.customers} customers, ${options.orders} orders seeded in ${fixed(seedSeconds, 1)} s; run ${fixed(runSeconds, 1)} s, raw scan ${fixed(rawSeconds, 1)} s; ${view.customersChanged} changed`,
  );
  console.log(
    [
      `rescoring ratio=${fixed(ratio)} target>=${TARGET} met=${ratio >= TARGET ? 'yes' : 'no'}`,
      `worker_rows_per_s=${fixed(workerRate, 0)}`,
      `raw_rows_per_s=${fixed(rawRate, 0)}`,
      `run_s=${fixed(runSeconds, 1)}`,
      `raw_s=${fixed(rawSeconds, 1)}`,
      `customers=${options.customers}`,
      `orders=${options.orders}`,
      `segments=${DEFAULT_SEGMENTS}`,
    ].join(' '),
  );
}
