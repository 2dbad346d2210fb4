import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { applyStreamRecords } from '../../shared/scoring/aggregate-store.ts';

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse, Error, Context>().handler(
  async (event) => {
    const failedFrom = await applyStreamRecords(event.Records);
    if (failedFrom === undefined) return { batchItemFailures: [] };
    // Streams retry from the earliest failed record; the fold makes the records after it safe to repeat.
    const sequenceNumber = event.Records[failedFrom]?.dynamodb?.SequenceNumber ?? '';
    return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
  },
);
