import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { startDueRuns } from '../../shared/campaigns/service.ts';

export const handler = middy<ScheduledEvent, void, Error, Context>().handler(async (event) => {
  await startDueRuns(new Date(event.time));
});
