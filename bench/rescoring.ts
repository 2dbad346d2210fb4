import type { LocalStack } from '../infra/local/stack.ts';
import { parseOptions } from './support/args.ts';
import { fixed } from './support/report.ts';
import { streamsSettled, withLocalStack } from './support/stack.ts';

/**
 * rescoring: a full rescoring run over `customers` customers holding `orders` orders between them,
 * through the pipeline on the local stack (planner message, the scoring queue, the worker's two passes,
 * settle and fit), against a raw parallel Scan of the same aggregate items with the same segments,
 * filter and projection. Rows per second of the workers (rows read in both passes over the run's wall
 * time) over rows per second of the raw scan (best of three) of the items as the run finds them.
 * Target: >= 0.5. Two runs: the first scores everyone for the first time (every customer changes), the
 * second is the steady state of a daily run (the headline ratio); both are reported.
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
  await withLocalStack((stack) => measure(stack, options));
}

async function measure(stack: LocalStack, options: typeof defaults): Promise<void> {
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

  // The stream consumers see the seeded aggregates as new; the runs start once they are done.
  await streamsSettled(stack);

  // Baseline: the raw parallel scan the workers make, with nothing done per row, of the items as the
  // run about to be measured finds them (run 1 writes scores onto them). Best of three: the scan is
  // short, so one pass is at the mercy of whatever else the machine does.
  const { aggregateScanInput } = await import('../shared/scoring/aggregate-store.ts');
  const { fastestParallelScan } = await import('./support/scan.ts');
  const rawScan = () => fastestParallelScan(aggregateScanInput(), DEFAULT_SEGMENTS);

  const rescore = async () => {
    const runStart = performance.now();
    const started = await startRun('api');
    let view = await getRun(started.id);
    // When each phase was first seen (polled every 100 ms): measuring until settled, then scoring.
    let settledAt: number | undefined;
    while (view.status !== 'completed') {
      if (view.status === 'failed') throw new Error(`run failed: ${view.error}`);
      await new Promise((r) => setTimeout(r, 100));
      view = await getRun(started.id);
      if (view.status !== 'measuring' && settledAt === undefined) settledAt = performance.now();
    }
    const end = performance.now();
    const seconds = (end - runStart) / 1000;
    const measureSeconds = ((settledAt ?? end) - runStart) / 1000;
    const rows = view.progress.customersMeasured + view.progress.customersScored;
    return {
      seconds,
      measureSeconds,
      scoreSeconds: seconds - measureSeconds,
      rate: rows / seconds,
      changed: view.customersChanged,
    };
  };

  // Run 1 scores everyone for the first time (every customer changes: score writes, tier history, bus
  // events); run 2 is a daily run's steady state, where few scores move.
  const rawFirst = await rawScan();
  const first = await rescore();
  await streamsSettled(stack);
  const rawSecond = await rawScan();
  const second = await rescore();
  const ratio = second.rate / rawSecond.rate;
  const firstRatio = first.rate / rawFirst.rate;
  console.log(
    `${options.customers} customers, ${options.orders} orders seeded in ${fixed(seedSeconds, 1)} s; ` +
      `run 1 ${fixed(first.seconds, 1)} s (measure ${fixed(first.measureSeconds, 1)} s, score ${fixed(first.scoreSeconds, 1)} s; ` +
      `${first.changed} changed), raw scan ${fixed(rawFirst.seconds, 1)} s; ` +
      `run 2 ${fixed(second.seconds, 1)} s (measure ${fixed(second.measureSeconds, 1)} s, score ${fixed(second.scoreSeconds, 1)} s; ` +
      `${second.changed} changed), raw scan ${fixed(rawSecond.seconds, 1)} s`,
  );
  console.log(
    [
      `rescoring ratio=${fixed(ratio)} target>=${TARGET} met=${ratio >= TARGET ? 'yes' : 'no'}`,
      `first_run_ratio=${fixed(firstRatio)}`,
      `worker_rows_per_s=${fixed(second.rate, 0)}`,
      `raw_rows_per_s=${fixed(rawSecond.rate, 0)}`,
      `first_run_worker_rows_per_s=${fixed(first.rate, 0)}`,
      `first_run_raw_rows_per_s=${fixed(rawFirst.rate, 0)}`,
      `run_s=${fixed(second.seconds, 1)}`,
      `first_run_s=${fixed(first.seconds, 1)}`,
      `customers=${options.customers}`,
      `orders=${options.orders}`,
      `segments=${DEFAULT_SEGMENTS}`,
    ].join(' '),
  );
}
