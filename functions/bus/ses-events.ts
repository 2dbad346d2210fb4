import middy from '@middy/core';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { sesEventDetail } from '../../events/schemas/index.ts';
import { log } from '../../shared/platform/log.ts';
import { applySesEvent } from '../../shared/results/ses.ts';

/**
 * SES delivery events from the configuration set, forwarded to Cohort's bus. A record that is not an SES
 * event record is logged and dropped (retrying cannot fix it); a failure to write throws, so EventBridge
 * and Lambda retry, and the dead-letter queue keeps what still fails.
 */
export const handler = middy<EventBridgeEvent<string, unknown>, void, Error, Context>().handler(
  async (event) => {
    const parsed = sesEventDetail.safeParse(event.detail);
    if (!parsed.success) {
      log.warn('not an SES event record; dropped', {
        detailType: event['detail-type'],
        issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      });
      return;
    }
    await applySesEvent(parsed.data);
  },
);
