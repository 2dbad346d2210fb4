import { UsageError } from './support/args.ts';

/**
 * The benchmark runner: `npm run bench` runs every benchmark in turn, `npm run bench -- NAME [options]`
 * runs one. Each benchmark is a module exporting `run(args)`; it is imported only when it runs, because
 * some read their configuration from the environment at import time (after a local stack has set it).
 *
 * Missing a target does not fail the run: the printed ratios are the report.
 */

export interface Benchmark {
  run(args: string[]): Promise<void>;
}

const benchmarks: Record<string, () => Promise<Benchmark>> = {
  'api-overhead': () => import('./api-overhead.ts'),
  'cold-start': () => import('./cold-start.ts'),
  'model-fit': () => import('./model-fit.ts'),
  dedup: () => import('./dedup.ts'),
  import: () => import('./import.ts'),
  'aggregate-latency': () => import('./aggregate-latency.ts'),
  rescoring: () => import('./rescoring.ts'),
  'send-pipeline': () => import('./send-pipeline.ts'),
  'segment-latency': () => import('./segment-latency.ts'),
  'segment-evaluator': () => import('./segment-evaluator.ts'),
  'segment-recompute': () => import('./segment-recompute.ts'),
};

function usage(): string {
  return [
    'Usage: npm run bench [-- NAME [options]]',
    `Benchmarks: ${Object.keys(benchmarks).join(', ')}`,
    'Options go after the name, e.g. npm run bench -- api-overhead --batches 20',
  ].join('\n');
}

async function runOne(name: string, args: string[]): Promise<void> {
  const load = benchmarks[name];
  if (!load) throw new UsageError(`Unknown benchmark "${name}"`);
  const benchmark = await load();
  await benchmark.run(args);
}

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === '--help' || name === '-h') {
    console.log(usage());
    return;
  }
  if (name === undefined) {
    for (const each of Object.keys(benchmarks)) {
      console.log(`\n== ${each}`);
      await runOne(each, []);
    }
    return;
  }
  await runOne(name, args);
}

try {
  await main(process.argv.slice(2));
  // Handles a library left open (an HTTP agent's keep-alive sockets) must not keep the run waiting.
  process.exit(0);
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n${usage()}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
}
