import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { envNames, type FunctionName, functionEntries, queues } from '../functions/manifest.ts';
import { bundleAliases, esmRequireBanner, loweredSyntax, sdkExternal } from '../infra/bundling.ts';
import { parseOptions, UsageError } from './support/args.ts';
import { fixed, resultLine, table } from './support/report.ts';
import { quantile } from './support/stats.ts';

/**
 * cold-start: for each function in the manifest, the size of its deployed bundle (target <= 500 KB
 * minified) and the time Node takes to initialize it (import: load, compile, evaluate) against a
 * hello-world bundle that imports the same AWS SDK clients (target ratio <= 1.3). The SDK is a cost every
 * function pays and the code cannot avoid, so the ratio isolates what the function adds on top of it.
 *
 * As deployed, the SDK is not in the bundles: Lambda's nodejs24.x runtime ships it and the bundles import
 * it. Here both the function and the baseline import it from the project's node_modules at import time
 * (its CommonJS build, the one the runtime carries), so the timings include loading it, alike for both.
 *
 * Beside each function that touches the table, `floor` is the ratio of the same hello world that also
 * loads ElectroDB, the single-table library the design brief names: the part of the ratio that no such
 * function can go below while it keeps that library. What is left between the floor and the target is
 * all a function's own validation, middleware and domain code may take.
 */

const SIZE_TARGET_KB = 500;
const RATIO_TARGET = 1.3;

const defaults = {
  /** Timed imports per bundle; function and baseline alternate so drift hits both alike. */
  runs: 20,
  /** Comma-separated manifest names, or all. */
  functions: 'all',
  /** `on` mirrors the deployed functions: an external source map and --enable-source-maps. */
  'source-maps': 'on',
  /**
   * When the baseline constructs its clients. `lazy` mirrors shared/platform/aws.ts, which constructs
   * them on first use, so both bundles do the same work at import; `eager` constructs them at module scope.
   */
  'baseline-clients': 'lazy',
  /** `yes` keeps the bundles in the temporary folder for inspection. */
  keep: 'no',
};

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * Mirrors the bundling of infra/constructs/functions.ts (NodejsFunction with the local esbuild): ESM for
 * Node 24, minified (names not kept), module fields first, the AWS SDK external (left to the runtime), the
 * banner that gives ESM output a `require`, and the aliases and lowered syntax (infra/bundling.ts) the
 * deployed bundles use.
 */
function bundleOptions(sourceMaps: boolean): BuildOptions {
  return {
    bundle: true,
    minify: true,
    keepNames: false,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    external: [sdkExternal],
    banner: { js: esmRequireBanner },
    alias: bundleAliases,
    supported: loweredSyntax,
    tsconfig: join(repoRoot, 'tsconfig.json'),
    sourcemap: sourceMaps ? 'external' : false,
    sourcesContent: false,
    metafile: true,
    logLevel: 'error',
  };
}

/** How the hello-world baseline constructs each SDK client package a function imports. */
const clientConstructors: Record<string, { imports: string; create: string }> = {
  '@aws-sdk/client-dynamodb': {
    imports: "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
    create: 'new DynamoDBClient({})',
  },
  '@aws-sdk/lib-dynamodb': {
    // The document client wraps a DynamoDBClient, as shared/platform/aws.ts does.
    imports:
      "import { DynamoDBClient as RawDynamoDBClient } from '@aws-sdk/client-dynamodb';\nimport { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
    create:
      'DynamoDBDocumentClient.from(new RawDynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } })',
  },
  '@aws-sdk/client-dynamodb-streams': {
    imports: "import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';",
    create: 'new DynamoDBStreamsClient({})',
  },
  '@aws-sdk/client-eventbridge': {
    imports: "import { EventBridgeClient } from '@aws-sdk/client-eventbridge';",
    create: 'new EventBridgeClient({})',
  },
  '@aws-sdk/client-sqs': {
    imports: "import { SQSClient } from '@aws-sdk/client-sqs';",
    create: 'new SQSClient({})',
  },
  '@aws-sdk/client-sesv2': {
    imports: "import { SESv2Client } from '@aws-sdk/client-sesv2';",
    create: 'new SESv2Client({})',
  },
  '@aws-sdk/client-pinpoint': {
    imports: "import { PinpointClient } from '@aws-sdk/client-pinpoint';",
    create: 'new PinpointClient({})',
  },
  '@aws-sdk/client-s3': {
    imports: "import { S3Client } from '@aws-sdk/client-s3';",
    create: 'new S3Client({})',
  },
  '@aws-sdk/client-secrets-manager': {
    imports: "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';",
    create: 'new SecretsManagerClient({})',
  },
};

interface Bundle {
  file: string;
  bytes: number;
  metafile: Metafile;
}

/** The package an input belongs to (`@aws-sdk/client-sqs`, `zod`), or the project folder (`shared/`). */
function owner(inputPath: string): string {
  const marker = 'node_modules/';
  const at = inputPath.lastIndexOf(marker);
  if (at < 0) return `${inputPath.split('/')[0]}/`;
  const [first = '', second = ''] = inputPath.slice(at + marker.length).split('/');
  return first.startsWith('@') ? `${first}/${second}` : first;
}

/** Bytes each package or project folder contributes to the bundle, largest first. */
function contributors(metafile: Metafile): [string, number][] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      totals.set(owner(path), (totals.get(owner(path)) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

/**
 * The SDK packages a bundle imports (import statements and `require` calls alike, all external); the
 * baseline imports exactly these. esbuild keeps every import of an external package that the entry's
 * import graph reaches, used or not, so this is what the function loads at init, not only what it calls.
 */
function sdkPackages(metafile: Metafile): string[] {
  const packages = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const { path, external } of output.imports) {
      if (external && path.startsWith('@aws-sdk/')) packages.add(path.split('/').slice(0, 2).join('/'));
    }
  }
  return [...packages].sort();
}

async function finish(outfile: string, metafile: Metafile | undefined): Promise<Bundle> {
  if (!metafile) throw new Error(`esbuild returned no metafile for ${outfile}`);
  return { file: outfile, bytes: (await stat(outfile)).size, metafile };
}

async function bundleFunction(entry: string, outfile: string, sourceMaps: boolean): Promise<Bundle> {
  const result = await build({ ...bundleOptions(sourceMaps), entryPoints: [join(repoRoot, entry)], outfile });
  return finish(outfile, result.metafile);
}

/**
 * Source of a hello-world handler that imports the given SDK packages and constructs a client of each
 * client package, now or on first call. Other packages (util-dynamodb) are imported only.
 */
function baselineSource(packages: readonly string[], eager: boolean, dataLayer = false): string {
  const clientPackages = packages.filter((pkg) => /^@aws-sdk\/(client-[a-z0-9-]+|lib-dynamodb)$/.test(pkg));
  const known = clientPackages.map((pkg) => {
    const recipe = clientConstructors[pkg];
    if (!recipe) throw new Error(`No baseline constructor for ${pkg}; add it to clientConstructors`);
    return recipe;
  });
  const imports = [
    ...known.map((c) => c.imports),
    ...packages.filter((pkg) => !clientPackages.includes(pkg)).map((pkg) => `import '${pkg}';`),
  ].join('\n');
  // The data-layer floor: the same hello world that also loads ElectroDB (no entity built), the library
  // the design brief names for the table. What it adds is a cost no function that touches the table avoids.
  const dataLayerImport = dataLayer ? "\nimport { Entity as DataLayerEntity } from 'electrodb';" : '';
  const create = `[${known.map((c) => c.create).join(', ')}${dataLayer ? ', DataLayerEntity' : ''}]`;
  const body = eager
    ? `const clients = ${create};\nexport const handler = async () => ({ statusCode: 200, body: String(clients.length) });`
    : `let clients;\nexport const handler = async () => {\n  clients ??= ${create};\n  return { statusCode: 200, body: String(clients.length) };\n};`;
  return `${imports}${dataLayerImport}\n${body}\n`;
}

async function bundleBaseline(
  packages: readonly string[],
  outfile: string,
  options: { sourceMaps: boolean; eager: boolean; dataLayer?: boolean },
): Promise<Bundle> {
  const result = await build({
    ...bundleOptions(options.sourceMaps),
    stdin: {
      contents: baselineSource(packages, options.eager, options.dataLayer),
      resolveDir: repoRoot,
      sourcefile: 'baseline.mjs',
      loader: 'js',
    },
    outfile,
  });
  return finish(outfile, result.metafile);
}

/**
 * What Lambda would give the function, with dummy values: the same names the CDK app binds (one superset
 * for all functions, baseline included). Nothing reaches the network at import, so dummies suffice; the
 * developer's own environment is left out so that no NODE_OPTIONS or compile cache skews the timings.
 */
function lambdaLikeEnv(): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    LANG: 'en_US.UTF-8',
    TZ: 'UTC',
    STAGE: 'bench',
    DEFAULT_PHONE_REGION: 'CN',
    EVENT_RETENTION_DAYS: '395',
    [envNames.table]: 'cohort-bench',
    [envNames.bus]: 'cohort-bench',
    [envNames.sesConfigurationSet]: 'cohort-bench',
    [envNames.pinpointApp]: 'cohort-bench',
  };
  for (const queue of Object.keys(queues) as (keyof typeof queues)[]) {
    env[envNames.queueUrl(queue)] = `https://sqs.us-east-1.amazonaws.com/000000000000/cohort-bench-${queue}`;
  }
  return env;
}

/**
 * Milliseconds a fresh Node process spends in `await import(bundle)`. A new process each time, because a
 * cold start is one; process.execPath is the project's pinned Node 24 when the runner runs under npm.
 */
function timeImport(file: string, sourceMaps: boolean, env: Record<string, string>): number {
  const script = [
    'const start = performance.now();',
    `const mod = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const ms = performance.now() - start;',
    "if (typeof mod.handler !== 'function') throw new Error('no handler export');",
    'process.stdout.write(String(ms));',
  ].join('\n');
  const args = [...(sourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', script];
  const child = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const ms = Number(child.stdout);
  if (child.status !== 0 || !Number.isFinite(ms)) {
    throw new Error(`Importing ${file} failed (exit ${child.status}):\n${child.stderr}`);
  }
  return ms;
}

interface Measured {
  name: FunctionName;
  sizeKb: number;
  baselineSizeKb: number;
  sdk: string[];
  initMs: number;
  baselineMs: number;
  ratio: number;
  /** The data-layer floor's ratio for this function's SDK clients; undefined if it bundles no ElectroDB. */
  floor: number | undefined;
  contributors: [string, number][];
}

/** Whether a bundle carries ElectroDB, i.e. touches the table through the store. */
const usesDataLayer = (metafile: Metafile) =>
  Object.keys(metafile.inputs).some((path) => path.includes('node_modules/electrodb/'));

function selectFunctions(list: string): [FunctionName, string][] {
  const all = functionEntries().map(([name, spec]) => [name, spec.entry] as [FunctionName, string]);
  if (list === 'all') return all;
  const wanted = list.split(',').map((s) => s.trim());
  const unknown = wanted.filter((w) => !all.some(([name]) => name === w));
  if (unknown.length > 0) {
    throw new UsageError(
      `Unknown function(s) ${unknown.join(', ')}; the manifest has ${all.map(([n]) => n).join(', ')}`,
    );
  }
  return all.filter(([name]) => wanted.includes(name));
}

function onOff(name: string, value: string, on: string, off: string): boolean {
  if (value !== on && value !== off)
    throw new UsageError(`Option --${name} is ${on} or ${off}, got "${value}"`);
  return value === on;
}

const kb = (bytes: number) => bytes / 1024;

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, defaults);
  const sourceMaps = onOff('source-maps', options['source-maps'], 'on', 'off');
  const eager = onOff('baseline-clients', options['baseline-clients'], 'eager', 'lazy');
  const keep = onOff('keep', options.keep, 'yes', 'no');
  const selected = selectFunctions(options.functions);
  const env = lambdaLikeEnv();
  const dir = await mkdtemp(join(tmpdir(), 'cohort-cold-start-'));
  // The bundles import the SDK, which Lambda provides; here it resolves through this link to the project's.
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  console.log(
    `cold-start: ${selected.length} functions, ${options.runs} timed imports per bundle, Node ${process.version}, ` +
      `source maps ${sourceMaps ? 'on' : 'off'}, baseline clients ${eager ? 'eager' : 'lazy'}`,
  );
  console.log(
    `The AWS SDK is external in the function and baseline bundles (${sdkExternal}, left to the Lambda runtime as ` +
      'deployed); both import it from node_modules at import time, so the init timings include loading it.',
  );

  const results: Measured[] = [];
  try {
    for (const [name, entry] of selected) {
      const fn = await bundleFunction(entry, join(dir, name, 'index.mjs'), sourceMaps);
      const sdk = sdkPackages(fn.metafile);
      const base = await bundleBaseline(sdk, join(dir, name, 'baseline.mjs'), { sourceMaps, eager });
      // Measured beside every function that has it, interleaved like the baseline: one floor taken at
      // another moment would differ from this function's baseline by the machine's drift alone.
      const floor = usesDataLayer(fn.metafile)
        ? await bundleBaseline(sdk, join(dir, name, 'floor.mjs'), { sourceMaps, eager, dataLayer: true })
        : undefined;
      const timed = [fn, base, ...(floor ? [floor] : [])];
      // One untimed import of each first, so the first timed run does not also pay for a cold file cache.
      for (const bundle of timed) timeImport(bundle.file, sourceMaps, env);
      const times: number[][] = timed.map(() => []);
      for (let i = 0; i < options.runs; i++) {
        for (const [b, bundle] of timed.entries()) times[b]?.push(timeImport(bundle.file, sourceMaps, env));
      }
      const [initMs, baselineMs, floorMs] = times.map((t) => quantile(t, 0.5)) as [number, number, number?];
      results.push({
        name,
        sizeKb: kb(fn.bytes),
        baselineSizeKb: kb(base.bytes),
        sdk,
        initMs,
        baselineMs,
        ratio: initMs / baselineMs,
        floor: floorMs === undefined ? undefined : floorMs / baselineMs,
        contributors: contributors(fn.metafile),
      });
    }
  } finally {
    if (keep) console.log(`Bundles kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
  report(results, options.runs);
}

/** The data-layer floors measured in this run: their median and `min..max`, or none. */
function floorSummary(results: Measured[]): { p50: string; range: string } {
  const floors = results.map((r) => r.floor).filter((f): f is number => f !== undefined);
  if (floors.length === 0) return { p50: 'none', range: 'none' };
  return {
    p50: fixed(quantile(floors, 0.5)),
    range: `${fixed(Math.min(...floors))}..${fixed(Math.max(...floors))}`,
  };
}

function report(results: Measured[], runs: number): void {
  console.log(
    table(
      [
        'function',
        'size_kb',
        'init_p50_ms',
        'baseline_p50_ms',
        'ratio',
        'floor',
        'added_ms',
        'baseline_kb',
        'sdk (imported)',
      ],
      results.map((r) => [
        r.name,
        fixed(r.sizeKb, 1),
        fixed(r.initMs),
        fixed(r.baselineMs),
        fixed(r.ratio),
        r.floor === undefined ? '-' : fixed(r.floor),
        // Beside the ratio because a function without SDK clients has a near-empty baseline.
        fixed(r.initMs - r.baselineMs),
        fixed(r.baselineSizeKb, 1),
        r.sdk.map((p) => p.replace('@aws-sdk/', '')).join(',') || '(none)',
      ]),
    ),
  );
  const worst = results.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const largest = results.reduce((a, b) => (b.sizeKb > a.sizeKb ? b : a));
  // A function with no SDK client is measured against a near-empty hello world, so its ratio is large
  // by construction; the worst among those that carry the SDK is reported beside the overall worst.
  const withSdk = results.filter((r) => r.sdk.length > 0);
  const worstWithSdk = withSdk.length > 0 ? withSdk.reduce((a, b) => (b.ratio > a.ratio ? b : a)) : undefined;
  const floors = floorSummary(results);
  const offenders = results.filter((r) => r.ratio > RATIO_TARGET || r.sizeKb > SIZE_TARGET_KB);
  // Where the bytes come from is what a fix needs; shown for every offender, else for the largest.
  for (const r of offenders.length > 0 ? offenders : [largest]) {
    const why = [
      r.sizeKb > SIZE_TARGET_KB && `size ${fixed(r.sizeKb, 1)} KB > ${SIZE_TARGET_KB}`,
      r.ratio > RATIO_TARGET && `ratio ${fixed(r.ratio)} > ${RATIO_TARGET}`,
    ].filter(Boolean);
    const top = r.contributors
      .slice(0, 8)
      .map(([owner, bytes]) => `${owner} ${fixed(kb(bytes), 1)}`)
      .join(', ');
    console.log(`${r.name}${why.length > 0 ? ` (${why.join('; ')})` : ' (largest)'}: KB by source: ${top}`);
  }
  console.log(
    resultLine(
      'cold-start',
      { ratio: worst.ratio, target: RATIO_TARGET },
      {
        statistic: 'median_init',
        worst: worst.name,
        max_size_kb: fixed(largest.sizeKb, 1),
        size_target: `<=${SIZE_TARGET_KB}`,
        size_met: largest.sizeKb <= SIZE_TARGET_KB ? 'yes' : 'no',
        largest: largest.name,
        worst_init_p50_ms: fixed(worst.initMs),
        worst_baseline_p50_ms: fixed(worst.baselineMs),
        worst_ratio_with_sdk: worstWithSdk ? fixed(worstWithSdk.ratio) : 'none',
        worst_with_sdk: worstWithSdk?.name ?? 'none',
        over_ratio: results.filter((r) => r.ratio > RATIO_TARGET).length,
        over_size: results.filter((r) => r.sizeKb > SIZE_TARGET_KB).length,
        data_layer_floor_p50: floors.p50,
        data_layer_floor_range: floors.range,
        functions: results.length,
        runs,
      },
    ),
  );
}
