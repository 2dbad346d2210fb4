import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { log } from '../../shared/platform/log.ts';
import { sweepTransitions } from '../../shared/segments/live.ts';

type Totals = Awaited<ReturnType<typeof sweepTransitions>>;

export const handler = middy<ScheduledEvent, Totals, Error, Context>().handler(async (_event, context) => {
  // Leaves a margin of the function's time for the cursor write and the minute in progress.
  const budgetMs = Math.max(5_000, (context.getRemainingTimeInMillis?.() ?? 60_000) - 15_000);
  const totals = await sweepTransitions(Date.now(), budgetMs);
  if (totals.failed > 0) log.warn('segment transitions left for the next sweep', { ...totals });
  else if (totals.customers > 0) log.info('segment transitions swept', { ...totals });
  return totals;
});
