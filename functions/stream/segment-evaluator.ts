import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { applySegmentStream } from '../../shared/segments/live.ts';

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse, Error, Context>().handler(
  async (event) => {
    const failedFrom = await applySegmentStream(event.Records);
    if (failedFrom === undefined) return { batchItemFailures: [] };
    // Streams retry from the earliest failed record; re-evaluating the customers after it is harmless.
    const sequenceNumber = event.Records[failedFrom]?.dynamodb?.SequenceNumber ?? '';
    return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
  },
);
