import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { localCredentials, localRegion, sleep } from './aws-constants.ts';
import type { LambdaHost } from './lambda.ts';
import type { Logger } from './log.ts';

/**
 * The SQS event source mapping: long-polls a queue, hands batches to the function as SQS events and,
 * with ReportBatchItemFailures, deletes only the messages the function did not list as failed. A failed
 * message returns after the visibility timeout; after maxReceiveCount receives the queue's redrive
 * policy (enforced by fauxqs) moves it to the dead-letter queue.
 *
 * `concurrency` pollers run side by side, each one batch at a time, as Lambda runs up to the mapping's
 * maximum concurrency of invocations: a received message is invisible to the other pollers until its
 * visibility timeout ends, exactly as between Lambda's.
 */

/** Short long-polls keep shutdown quick; SQS allows up to 20 s. */
const waitTimeSeconds = 2;

export interface QueuePollerOptions {
  host: LambdaHost;
  functionName: string;
  queueUrl: string;
  queueArn: string;
  batchSize: number;
  /** Batches in flight at once (the manifest's `queueConcurrency`); 1 unless given. */
  concurrency?: number;
  sqsEndpoint: string;
  log: Logger;
}

export interface Poller {
  stop(): Promise<void>;
}

export function startQueuePoller(options: QueuePollerOptions): Poller {
  const { host, functionName, queueUrl, queueArn, log } = options;
  const client = new SQSClient({
    endpoint: options.sqsEndpoint,
    region: localRegion,
    credentials: localCredentials,
  });
  const stopping = new AbortController();

  async function pollOnce(): Promise<void> {
    const { Messages } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        // Lambda reads up to 10 per call; larger batch sizes only matter with a batching window.
        MaxNumberOfMessages: Math.min(Math.max(options.batchSize, 1), 10),
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: stopping.signal },
    );
    if (!Messages || Messages.length === 0) return;
    const event: SQSEvent = { Records: Messages.map((m) => sqsRecord(m, queueArn)) };
    const done = await invokeForFailures(event);
    if (done.length === 0) return;
    const byId = new Map(Messages.map((m) => [m.MessageId, m]));
    const entries = done.flatMap((id, i) => {
      const receiptHandle = byId.get(id)?.ReceiptHandle;
      return receiptHandle ? [{ Id: String(i), ReceiptHandle: receiptHandle }] : [];
    });
    for (let i = 0; i < entries.length; i += 10) {
      await client.send(
        new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries.slice(i, i + 10) }),
      );
    }
  }

  /** Runs the function; returns the message ids to delete (none when it threw or answered nonsense). */
  async function invokeForFailures(event: SQSEvent): Promise<string[]> {
    const ids = event.Records.map((r) => r.messageId);
    let result: unknown;
    try {
      result = await host.invoke(functionName, event);
    } catch (error) {
      log.error(`${functionName} failed on a batch of ${ids.length}; the messages will be retried`, error);
      return [];
    }
    const failures = batchItemFailures(result, ids);
    if (failures === 'invalid') {
      log.error(`${functionName} returned batchItemFailures that name no message of the batch; retrying all`);
      return [];
    }
    if (failures.size > 0)
      log.info(`${functionName}: ${failures.size} of ${ids.length} messages failed and will return`);
    return ids.filter((id) => !failures.has(id));
  }

  const poll = async () => {
    let consecutiveErrors = 0;
    while (!stopping.signal.aborted) {
      try {
        await pollOnce();
        consecutiveErrors = 0;
      } catch (error) {
        if (stopping.signal.aborted) break;
        consecutiveErrors++;
        // A line when an outage starts and now and then while it lasts, not one per second.
        if (consecutiveErrors % 30 === 1)
          log.error(`Polling ${queueArn} for ${functionName} failed; retrying`, error);
        await sleep(Math.min(1_000 * consecutiveErrors, 5_000), stopping.signal);
      }
    }
  };
  const loops = Array.from({ length: Math.max(1, options.concurrency ?? 1) }, poll);

  return {
    async stop() {
      stopping.abort();
      await Promise.all(loops);
      client.destroy();
    },
  };
}

/**
 * Reads a ReportBatchItemFailures response. Like Lambda: no response or an empty list means all
 * succeeded; an identifier that is empty or not in the batch makes the whole batch fail.
 */
export function batchItemFailures(result: unknown, identifiers: string[]): Set<string> | 'invalid' {
  const failures = (result as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return 'invalid';
  const known = new Set(identifiers);
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !known.has(id)) return 'invalid';
    failed.add(id);
  }
  return failed;
}

function sqsRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = (message.Attributes ?? {}) as unknown as SQSRecordAttributes;
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = lambdaMessageAttribute(value);
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes && { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: localRegion,
  };
}

/** Lambda writes message attributes in lower camel case, binary values in base64. */
function lambdaMessageAttribute(value: MessageAttributeValue): SQSMessageAttributes[string] {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  return {
    ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
    ...(value.BinaryValue !== undefined && { binaryValue: base64(value.BinaryValue) }),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map(base64),
    dataType: value.DataType as SQSMessageAttributes[string]['dataType'],
  };
}
