import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { publish } from '../../shared/events/bus.ts';
import { busEventsFromStream } from '../../shared/events/changes.ts';

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse, Error, Context>().handler(
  async (event) => {
    const { events, source } = busEventsFromStream(event.Records);
    const failed = await publish(events);
    if (failed.length === 0) return { batchItemFailures: [] };
    // Streams retry from the earliest failed record, so report that one (records after it come again).
    const first = Math.min(...failed.map((i) => source[i] ?? 0));
    const sequenceNumber = event.Records[first]?.dynamodb?.SequenceNumber ?? '';
    return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
  },
);
