import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { awsTime, localAccountId, localRegion } from './aws-constants.ts';
import { invokeAsync, type LambdaHost, physicalFunctionName } from './lambda.ts';
import type { Logger } from './log.ts';
import { parseSchedule, type Schedule } from './schedule.ts';

/**
 * Fires the manifest's schedules (trigger.kind 'schedule') with EventBridge's Scheduled Event, on timers
 * (when enabled) and on demand through POST /_local/schedules/<functionName>.
 */

/** setTimeout cannot wait longer than this; longer waits re-arm. */
const maxTimerMs = 2_147_483_647;

export interface LocalScheduler {
  /** Fires one function now and waits for it; undefined when it has no schedule. */
  fire(functionName: string): Promise<{ event: ScheduledEvent; error?: unknown } | undefined>;
  stop(): Promise<void>;
}

export function scheduledEvent(functionName: string, time: Date = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: localAccountId,
    time: awsTime(time),
    region: localRegion,
    resources: [`arn:aws:events:${localRegion}:${localAccountId}:rule/${physicalFunctionName(functionName)}`],
    detail: {},
  };
}

export function startScheduler(options: { host: LambdaHost; timers: boolean; log: Logger }): LocalScheduler {
  const { host, log } = options;
  const stopping = new AbortController();
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  const scheduled = host.byTrigger('schedule').map(({ name, trigger }) => ({
    name,
    // Parsed up front, so a bad expression stops the start-up with its name rather than failing later.
    schedule: parseSchedule(trigger.expression),
  }));

  function arm(name: string, schedule: Schedule, after: Date) {
    const next = schedule.next(after);
    if (!next || stopping.signal.aborted) return;
    const wait = next.getTime() - Date.now();
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (next.getTime() > Date.now()) {
          arm(name, schedule, after);
          return;
        }
        log.info(`schedule ${schedule.expression} fires ${name}`);
        const run = invokeAsync(host, name, scheduledEvent(name, next), {
          signal: stopping.signal,
          onFinalError: (error, attempts) =>
            log.error(`${name} failed on its schedule after ${attempts} attempts`, error),
        });
        inFlight.add(run);
        run.finally(() => inFlight.delete(run));
        arm(name, schedule, next);
      },
      Math.min(Math.max(wait, 0), maxTimerMs),
    );
    timer.unref();
    timers.add(timer);
  }

  if (options.timers) {
    const now = new Date();
    for (const { name, schedule } of scheduled) arm(name, schedule, now);
  }

  return {
    async fire(functionName) {
      if (!scheduled.some((s) => s.name === functionName)) return undefined;
      const event = scheduledEvent(functionName);
      try {
        await host.invoke(functionName, event);
        return { event };
      } catch (error) {
        log.error(`${functionName} failed when fired by hand`, error);
        return { event, error };
      }
    },
    async stop() {
      stopping.abort();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}
