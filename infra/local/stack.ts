import { join } from 'node:path';
import { tableName } from '../../shared/store/table.ts';
import { localStage } from './aws-constants.ts';
import { checkJava, type RunningEngine, startDynamoDbLocal, startSes, startSqs } from './engines.ts';
import { createLogger } from './log.ts';
import { filesBucketName, provisionBucket, provisionQueues, provisionTable } from './provision.ts';
import { type LocalRuntime, startRuntime } from './runtime.ts';

/**
 * The whole system on this machine: engines, table and queues, and the runtime serving the manifest.
 */

export interface LocalStackOptions {
  /** Folder that keeps data between runs; omitted means everything lives in memory. */
  dataDir?: string;
  /**
   * Folder for S3 objects when there is no dataDir (with one, they go to `<dataDir>/s3`): a benchmark
   * keeps a large upload out of the process's memory this way while the engines stay in memory.
   */
  filesDir?: string;
  /** API port; 0 (the default) picks a free one, so tests can run beside a developer's stack. */
  apiPort?: number;
  /** Only errors on the console. */
  quiet?: boolean;
  /** Fire the manifest's schedules on timers (default true). */
  schedules?: boolean;
}

export interface LocalStack {
  apiUrl: string;
  /** The environment given to the functions (also copied into this process's environment). */
  env: Record<string, string>;
  endpoints: {
    dynamodb: string;
    sqs: string;
    /** fauxqs: the same endpoint as SQS, path-style. */
    s3: string;
    ses: string;
    eventbridge: string;
    pinpoint: string;
  };
  /** The files bucket (import uploads, exports). */
  bucket: string;
  /** The runtime itself: recorded bus events and messages, hand-fired schedules. */
  runtime: LocalRuntime;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  checkJava();
  const log = createLogger({ quiet: options.quiet ?? false });
  const dataDir = options.dataDir;
  const engines: RunningEngine[] = [];
  const stopEngines = () => Promise.allSettled(engines.map((e) => e.stop()));
  try {
    // Started one by one into the list, so a failure stops exactly those that started.
    const starting = [
      startDynamoDbLocal(dataDir ? { dataDir: join(dataDir, 'dynamodb') } : {}),
      startSqs(
        dataDir
          ? { dataDir: join(dataDir, 'sqs'), s3StorageDir: join(dataDir, 's3') }
          : options.filesDir
            ? { s3StorageDir: options.filesDir }
            : {},
      ),
      startSes(),
    ] as const;
    const results = await Promise.allSettled(starting);
    for (const result of results) if (result.status === 'fulfilled') engines.push(result.value);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [dynamodb, sqs, ses] = engines as [RunningEngine, RunningEngine, RunningEngine];

    const table = await provisionTable(dynamodb.endpoint, tableName(localStage));
    const queues = await provisionQueues(sqs.endpoint);
    const bucket = await provisionBucket(sqs.endpoint, filesBucketName(localStage));
    const runtime = await startRuntime({
      tableName: table.tableName,
      queues,
      bucket,
      endpoints: { dynamodb: dynamodb.endpoint, sqs: sqs.endpoint, ses: ses.endpoint, s3: sqs.endpoint },
      port: options.apiPort ?? 0,
      schedules: options.schedules ?? true,
      log,
      ...(dataDir && { dataDir }),
    });
    return {
      apiUrl: runtime.url,
      env: runtime.env,
      endpoints: {
        dynamodb: dynamodb.endpoint,
        sqs: sqs.endpoint,
        s3: sqs.endpoint,
        ses: ses.endpoint,
        eventbridge: runtime.endpoints.eventbridge,
        pinpoint: runtime.endpoints.pinpoint,
      },
      bucket,
      runtime,
      async stop() {
        try {
          await runtime.stop();
        } finally {
          await stopEngines();
        }
      },
    };
  } catch (error) {
    await stopEngines();
    throw error;
  }
}
