import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { redriveStaleMerges } from '../../shared/customers/merge.ts';
import { log } from '../../shared/platform/log.ts';

export const handler = middy<ScheduledEvent, { requeued: number }, Error, Context>().handler(async () => {
  const requeued = await redriveStaleMerges();
  if (requeued > 0) log.warn('re-queued unfinished merges', { requeued });
  return { requeued };
});
