import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { startRunIfDue } from '../../shared/scoring/runs.ts';

export const handler = middy<ScheduledEvent, void, Error, Context>().handler(async (event) => {
  await startRunIfDue(new Date(event.time));
});
