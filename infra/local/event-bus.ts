import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { BUS_SOURCE } from '../../shared/events/bus.ts';
import { awsTime, localAccountId, localRegion } from './aws-constants.ts';
import { invokeAsync, type LambdaHost } from './lambda.ts';
import type { Logger } from './log.ts';

/**
 * The local EventBridge: answers the SDK's PutEvents (AWS JSON 1.1) like AWS, keeps the events in a
 * ring buffer for GET /_local/bus, and delivers each event on the app's bus to the functions whose
 * rule (trigger.kind 'bus') names its source (Cohort's own unless the trigger says otherwise) and detail
 * type, asynchronously and with Lambda's retries.
 */

export type BusEvent = EventBridgeEvent<string, unknown>;

/** An event as recorded: the shape the targets receive, plus where and when it arrived. */
export type RecordedBusEvent = BusEvent & { eventBusName: string; receivedAt: string };

export interface AwsJsonAnswer {
  statusCode: number;
  body: unknown;
  errorType?: string;
}

const maxEntries = 10;
const maxEntryBytes = 256 * 1024;
const defaultCapacity = 50_000;

interface PutEventsEntry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  Resources?: unknown;
  Time?: unknown;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface LocalEventBus {
  /** Answers one AWS JSON 1.1 request; `target` is the X-Amz-Target header. */
  handle(target: string | undefined, body: string): AwsJsonAnswer;
  /**
   * Puts an event of an AWS service (source `aws.*`, which PutEvents refuses as AWS does) on the app's
   * bus, as the forwarding rule of infra/constructs/messaging.ts does with SES events in AWS. Answers
   * the event as recorded, or a reason when it is not an event.
   */
  inject(event: unknown): { event: RecordedBusEvent } | { error: string };
  events(filter?: { detailType?: string; since?: Date; limit?: number }): RecordedBusEvent[];
  /** Resolves when every delivery started so far has finished (tests, shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function createEventBus(options: {
  host: LambdaHost;
  busName: string;
  log: Logger;
  capacity?: number;
  retryDelaysMs?: number[];
}): LocalEventBus {
  const { host, busName, log } = options;
  const capacity = options.capacity ?? defaultCapacity;
  const recorded: RecordedBusEvent[] = [];
  const inFlight = new Set<Promise<void>>();
  const stopping = new AbortController();
  const busArn = `arn:aws:events:${localRegion}:${localAccountId}:event-bus/${busName}`;
  const rules = host.byTrigger('bus');

  function resolveBus(name: unknown): string | undefined {
    if (name === undefined || name === null || name === '' || name === 'default') return 'default';
    if (name === busName || name === busArn) return busName;
    return undefined;
  }

  function putEntry(entry: PutEventsEntry): EntryResult {
    const invalid = (parameter: string, reason: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${parameter} is not valid. Reason: ${reason}`,
    });
    if (typeof entry.Source !== 'string' || entry.Source === '')
      return invalid('Source', 'Source is a required argument.');
    if (typeof entry.DetailType !== 'string' || entry.DetailType === '') {
      return invalid('DetailType', 'DetailType is a required argument.');
    }
    if (typeof entry.Detail !== 'string' || entry.Detail === '')
      return invalid('Detail', 'Detail is a required argument.');
    if (Buffer.byteLength(JSON.stringify(entry)) > maxEntryBytes) {
      return invalid('Entries', 'Total size of the entries in the request is over the limit.');
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return invalid('Detail', 'Detail is malformed.');
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return invalid('Detail', 'Detail must be a JSON object.');
    }
    if (entry.Source.startsWith('aws.')) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    }
    const eventBusName = resolveBus(entry.EventBusName);
    if (!eventBusName) {
      return {
        ErrorCode: 'ResourceNotFoundException',
        ErrorMessage: `Event bus ${String(entry.EventBusName)} does not exist.`,
      };
    }
    const now = new Date();
    const event: RecordedBusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: localAccountId,
      time: awsTime(eventTime(entry.Time) ?? now),
      region: localRegion,
      resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
      detail,
      eventBusName,
      receivedAt: now.toISOString(),
    };
    record(event);
    if (eventBusName === busName) deliver(event);
    return { EventId: event.id };
  }

  function record(event: RecordedBusEvent) {
    recorded.push(event);
    if (recorded.length > capacity) recorded.splice(0, recorded.length - capacity);
  }

  function deliver(recordedEvent: RecordedBusEvent) {
    const { eventBusName: _bus, receivedAt: _received, ...event } = recordedEvent;
    for (const rule of rules) {
      if ((rule.trigger.source ?? BUS_SOURCE) !== event.source) continue;
      if (!(rule.trigger.detailTypes as readonly string[]).includes(event['detail-type'])) continue;
      const delivery = invokeAsync(host, rule.name, event, {
        signal: stopping.signal,
        ...(options.retryDelaysMs && { retryDelaysMs: options.retryDelaysMs }),
        onFinalError: (error, attempts) =>
          log.error(
            `${rule.name} failed on ${event['detail-type']} ${event.id} after ${attempts} attempts`,
            error,
          ),
      });
      inFlight.add(delivery);
      delivery.finally(() => inFlight.delete(delivery));
    }
  }

  return {
    handle(target, body) {
      if (target !== 'AWSEvents.PutEvents') {
        return awsError(
          400,
          'UnknownOperationException',
          `The local event bus supports PutEvents only, not ${target ?? '(none)'}`,
        );
      }
      let request: { Entries?: unknown };
      try {
        request = JSON.parse(body) as { Entries?: unknown };
      } catch {
        return awsError(400, 'SerializationException', 'The request body is not valid JSON');
      }
      const entries = request.Entries;
      if (!Array.isArray(entries) || entries.length < 1 || entries.length > maxEntries) {
        return awsError(
          400,
          'ValidationException',
          `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${maxEntries} and greater than or equal to 1`,
        );
      }
      const results = entries.map((entry) =>
        typeof entry === 'object' && entry !== null
          ? putEntry(entry as PutEventsEntry)
          : { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Entries is not valid.' },
      );
      const failed = results.filter((r) => 'ErrorCode' in r).length;
      return { statusCode: 200, body: { FailedEntryCount: failed, Entries: results } };
    },
    inject(input) {
      const error = injectionProblem(input);
      if (error) return { error };
      const e = input as Record<string, unknown> & { source: string; 'detail-type': string };
      const now = new Date();
      const event: RecordedBusEvent = {
        version: '0',
        id: typeof e.id === 'string' && e.id !== '' ? e.id : randomUUID(),
        'detail-type': e['detail-type'],
        source: e.source,
        account: localAccountId,
        time: awsTime(eventTime(e.time) ?? now),
        region: localRegion,
        resources: Array.isArray(e.resources) ? e.resources.map(String) : [],
        detail: e.detail,
        eventBusName: busName,
        receivedAt: now.toISOString(),
      };
      record(event);
      deliver(event);
      return { event };
    },
    events(filter = {}) {
      let events = recorded.filter(
        (e) =>
          (!filter.detailType || e['detail-type'] === filter.detailType) &&
          (!filter.since || Date.parse(e.receivedAt) >= filter.since.getTime()),
      );
      if (filter.limit !== undefined) events = events.slice(-filter.limit);
      return events;
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async stop() {
      stopping.abort();
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** Why an event cannot be injected (see LocalEventBus.inject), or undefined when it can. */
export function injectionProblem(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'must be an object';
  const e = input as Record<string, unknown>;
  if (typeof e.source !== 'string' || !e.source.startsWith('aws.')) return 'source must be aws.*';
  if (typeof e['detail-type'] !== 'string' || e['detail-type'] === '') return 'detail-type is required';
  if (typeof e.detail !== 'object' || e.detail === null || Array.isArray(e.detail)) {
    return 'detail must be a JSON object';
  }
  return undefined;
}

/** The SDK sends `Time` as epoch seconds; other clients may send an ISO string. */
function eventTime(value: unknown): Date | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000);
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value);
  return undefined;
}

export function awsError(statusCode: number, type: string, message: string): AwsJsonAnswer {
  return { statusCode, errorType: type, body: { __type: type, message } };
}
