import middy from '@middy/core';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { eventIngestedDetail } from '../../events/schemas/index.ts';
import { log } from '../../shared/platform/log.ts';
import { attributeOrder } from '../../shared/results/conversions.ts';

/** event.ingested: orders are credited to the last message the customer opened or clicked in its window. */
export const handler = middy<EventBridgeEvent<string, unknown>, void, Error, Context>().handler(
  async (event) => {
    const parsed = eventIngestedDetail.safeParse(event.detail);
    if (!parsed.success) {
      log.warn('malformed event.ingested; dropped', {
        issues: parsed.error.issues.map((i) => i.path.join('.')),
      });
      return;
    }
    await attributeOrder(parsed.data);
  },
);
