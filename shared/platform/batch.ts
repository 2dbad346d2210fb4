import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { log } from './log.ts';
import type * as z from './zod.ts';

/**
 * An SQS handler that processes records one by one and reports only the failed ones
 * (ReportBatchItemFailures), so one poison message does not send its batch back to the queue.
 */
export function sqsBatch<S extends z.ZodMiniType>(
  schema: S,
  fn: (message: z.output<S>, record: SQSRecord, context: Context) => Promise<void>,
) {
  return middy<SQSEvent, SQSBatchResponse, Error, Context>().handler(async (event, context) => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        const message = schema.parse(JSON.parse(record.body));
        await fn(message, record, context);
      } catch (error) {
        log.error('message failed', { messageId: record.messageId, error });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  });
}
