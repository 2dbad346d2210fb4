import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { startRun } from '../../shared/segments/recompute.ts';

export const handler = middy<ScheduledEvent, void, Error, Context>().handler(async () => {
  await startRun('schedule');
});
