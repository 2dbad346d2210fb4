import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { redriveStaleErasures } from '../../shared/customers/erasure.ts';
import { log } from '../../shared/platform/log.ts';

export const handler = middy<ScheduledEvent, { requeued: number }, Error, Context>().handler(async () => {
  const requeued = await redriveStaleErasures();
  if (requeued > 0) log.warn('re-queued unfinished erasures', { requeued });
  return { requeued };
});
