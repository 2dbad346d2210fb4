import { join } from 'node:path';
import { functions as manifestFunctions, queueConcurrency } from '../../functions/manifest.ts';
import { localBusName } from './aws-constants.ts';
import { createCheckpointStore } from './checkpoints.ts';
import { createEventBus, type LocalEventBus } from './event-bus.ts';
import {
  applyFunctionEnvironment,
  functionEnvironment,
  localLinkSecret,
  localPinpointAppId,
} from './function-env.ts';
import { createHttpApi } from './http-api.ts';
import { createLambdaHost, type FunctionTable, type LambdaHost } from './lambda.ts';
import { createLogger, type Logger } from './log.ts';
import { repositoryRoot } from './paths.ts';
import { createPinpointRecorder, type PinpointRecorder } from './pinpoint.ts';
import type { ProvisionedQueue } from './provision.ts';
import { type Poller, startQueuePoller } from './queue-poller.ts';
import { type LocalScheduler, startScheduler } from './scheduler.ts';
import { eventBridgePath, pinpointPath, startServer } from './server.ts';
import { type StreamPoller, startStreamPoller } from './stream-poller.ts';

/**
 * The local Lambda runtime, driven by a function table (the manifest, or test fixtures of the same
 * shape): API Gateway in front of the http functions, the EventBridge and Pinpoint stand-ins, queue and
 * stream pollers, and the scheduler. Handlers run in this process (under tsx, so `.ts` entries load).
 */

export interface RuntimeOptions {
  /** Defaults to the manifest's functions. */
  functions?: FunctionTable;
  /** Entries are resolved against this folder; defaults to the repository root. */
  root?: string;
  tableName: string;
  /** Every queue a queue-triggered function reads, by manifest name. */
  queues: Record<string, ProvisionedQueue>;
  endpoints: { dynamodb: string; sqs: string; ses: string; s3?: string };
  /** The files bucket, when one was provisioned. */
  bucket?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Run schedules on timers; POST /_local/schedules/<name> works either way. Default true. */
  schedules?: boolean;
  /** Where stream checkpoints are kept; omitted means in memory. */
  dataDir?: string;
  /** Copy the functions' environment into process.env (default true). */
  applyEnv?: boolean;
  log?: Logger;
  /** Stream batches retried before they are skipped (Lambda's MaximumRetryAttempts). Default 3. */
  streamRetryAttempts?: number;
}

export interface LocalRuntime {
  url: string;
  port: number;
  /** The environment given to the functions. */
  env: Record<string, string>;
  endpoints: { eventbridge: string; pinpoint: string };
  host: LambdaHost;
  bus: LocalEventBus;
  pinpoint: PinpointRecorder;
  scheduler: LocalScheduler;
  stop(): Promise<void>;
}

export async function startRuntime(options: RuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? createLogger();
  const functions = options.functions ?? manifestFunctions;
  const host = createLambdaHost({ functions, root: options.root ?? repositoryRoot });
  const missing = host.missingEntries();
  if (missing.length > 0) log.warn(`Not written yet (requests to them fail): ${missing.join(', ')}`);

  const bus = createEventBus({ host, busName: localBusName, log });
  const pinpoint = createPinpointRecorder({ applicationId: localPinpointAppId });
  const scheduler = startScheduler({ host, timers: options.schedules ?? true, log });
  const api = createHttpApi({ host, log });
  const startedAt = new Date().toISOString();
  const streamPollers = new Map<string, StreamPoller>();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolveReady) => {
    markReady = resolveReady;
  });
  const server = await startServer(
    {
      api,
      bus,
      pinpoint,
      scheduler,
      log,
      ready,
      health: () => ({
        status: 'ok',
        startedAt,
        functions: Object.keys(functions).length,
        notWrittenYet: missing,
      }),
      streams: () =>
        [...streamPollers].map(([functionName, p]) => ({ functionName, caughtUpAt: p.caughtUpAt() })),
    },
    options.port ?? 0,
  );

  const pollers: Poller[] = [];
  const stopAll = async () => {
    await scheduler.stop();
    await Promise.allSettled(pollers.map((p) => p.stop()));
    await server.close();
    await bus.stop();
  };

  try {
    const endpoints = {
      eventbridge: `${server.url}${eventBridgePath}`,
      pinpoint: `${server.url}${pinpointPath}`,
    };
    const queueUrls = Object.fromEntries(Object.entries(options.queues).map(([name, q]) => [name, q.url]));
    const env = functionEnvironment({
      tableName: options.tableName,
      endpoints: { ...options.endpoints, ...endpoints },
      queueUrls,
      ...(options.bucket && { bucket: options.bucket }),
      linkSecret: localLinkSecret(options.dataDir),
      publicBaseUrl: server.url,
    });
    if (options.applyEnv ?? true) applyFunctionEnvironment(env);
    markReady();

    for (const { name, trigger } of host.byTrigger('queue')) {
      const queue = options.queues[trigger.queue];
      if (!queue) throw new Error(`${name} reads queue ${trigger.queue}, which was not provisioned`);
      pollers.push(
        startQueuePoller({
          host,
          functionName: name,
          queueUrl: queue.url,
          queueArn: queue.arn,
          batchSize: trigger.batchSize,
          concurrency: queueConcurrency(trigger),
          sqsEndpoint: options.endpoints.sqs,
          log,
        }),
      );
    }
    const checkpoints = createCheckpointStore(
      options.dataDir ? join(options.dataDir, 'stream-checkpoints.json') : undefined,
    );
    for (const { name, trigger } of host.byTrigger('stream')) {
      const poller = await startStreamPoller({
        host,
        functionName: name,
        batchSize: trigger.batchSize,
        startingPosition: trigger.startingPosition,
        tableName: options.tableName,
        dynamodbEndpoint: options.endpoints.dynamodb,
        checkpoints,
        log,
        ...(options.streamRetryAttempts !== undefined && { retryAttempts: options.streamRetryAttempts }),
      });
      pollers.push(poller);
      streamPollers.set(name, poller);
    }
    return {
      url: server.url,
      port: server.port,
      env,
      endpoints,
      host,
      bus,
      pinpoint,
      scheduler,
      stop: stopAll,
    };
  } catch (error) {
    markReady();
    await stopAll();
    throw error;
  }
}
