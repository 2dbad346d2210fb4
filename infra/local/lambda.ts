import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionSpec, Trigger } from '../../functions/manifest.ts';
import { localAccountId, localRegion, sleep } from './aws-constants.ts';

/**
 * Runs the manifest's functions in this process, as Lambda would run them: the entry's `handler` export,
 * loaded on first use, called with the event and a Lambda-shaped context, cut off at the function's timeout.
 */

/** A manifest-shaped function table: the real manifest, or test fixtures with the same shape. */
export type FunctionTable = Readonly<Record<string, FunctionSpec>>;

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

export const defaultTimeoutSeconds = 10;
export const defaultMemoryMb = 512;

export class LambdaTimeoutError extends Error {
  constructor(functionName: string, seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds (${functionName})`);
    this.name = 'LambdaTimeoutError';
  }
}

export interface LambdaHost {
  readonly functions: FunctionTable;
  invoke(name: string, event: unknown): Promise<unknown>;
  /** Functions whose trigger is of the given kind, with the trigger narrowed. */
  byTrigger<K extends Trigger['kind']>(
    kind: K,
  ): { name: string; spec: FunctionSpec; trigger: Extract<Trigger, { kind: K }> }[];
  /** Entry files that do not exist (yet): reported at start so a typo is not found at the first request. */
  missingEntries(): string[];
}

export function physicalFunctionName(name: string): string {
  return `cohort-local-${name}`;
}

export function createLambdaHost(options: { functions: FunctionTable; root: string }): LambdaHost {
  const { functions, root } = options;
  const loaded = new Map<string, Promise<Handler>>();

  function load(name: string, spec: FunctionSpec): Promise<Handler> {
    let handler = loaded.get(name);
    if (!handler) {
      handler = importHandler(root, spec.entry);
      loaded.set(name, handler);
      // A failed import is not cached: the file may be written while the stack runs.
      handler.catch(() => loaded.delete(name));
    }
    return handler;
  }

  return {
    functions,
    async invoke(name, event) {
      const spec = functions[name];
      if (!spec) throw new Error(`No function named ${name}`);
      const handler = await load(name, spec);
      const timeoutSeconds = spec.timeoutSeconds ?? defaultTimeoutSeconds;
      const deadline = Date.now() + timeoutSeconds * 1000;
      const context = lambdaContext(name, spec, deadline);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LambdaTimeoutError(name, timeoutSeconds)), timeoutSeconds * 1000);
      });
      try {
        return await Promise.race([handler(event, context), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    byTrigger(kind) {
      return Object.entries(functions)
        .filter(([, spec]) => spec.trigger.kind === kind)
        .map(([name, spec]) => ({
          name,
          spec,
          trigger: spec.trigger as Extract<Trigger, { kind: typeof kind }>,
        }));
    },
    missingEntries() {
      return Object.values(functions)
        .map((spec) => spec.entry)
        .filter((entry) => !existsSync(resolve(root, entry)));
    },
  };
}

async function importHandler(root: string, entry: string): Promise<Handler> {
  const module = (await import(pathToFileURL(resolve(root, entry)).href)) as { handler?: unknown };
  if (typeof module.handler !== 'function') throw new Error(`${entry} does not export a handler function`);
  return module.handler as Handler;
}

function lambdaContext(name: string, spec: FunctionSpec, deadline: number): Context {
  const functionName = physicalFunctionName(name);
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (method: string) => () => {
    throw new Error(`context.${method} is not supported: return or throw from the async handler`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${localRegion}:${localAccountId}:function:${functionName}`,
    memoryLimitInMB: String(spec.memoryMb ?? defaultMemoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

/**
 * Asynchronous invocation (EventBridge targets, schedules): Lambda retries a failed event twice. Locally
 * the waits are seconds, not minutes, so a developer sees the outcome.
 */
export function invokeAsync(
  host: LambdaHost,
  name: string,
  event: unknown,
  options: {
    retryDelaysMs?: number[];
    onFinalError: (error: unknown, attempts: number) => void;
    signal?: AbortSignal;
  },
): Promise<void> {
  const delays = options.retryDelaysMs ?? [500, 2_000];
  return (async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        await host.invoke(name, event);
        return;
      } catch (error) {
        const delay = delays[attempt];
        if (delay === undefined || options.signal?.aborted) {
          options.onFinalError(error, attempt + 1);
          return;
        }
        await sleep(delay, options.signal);
      }
    }
  })();
}
