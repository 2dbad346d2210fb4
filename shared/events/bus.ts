import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { BusDetailType } from '../../functions/manifest.ts';
import { config } from '../platform/config.ts';
import { eventBridgeClient } from '../platform/eventbridge.ts';

export const BUS_SOURCE = 'cohort';

export interface BusEvent {
  detailType: BusDetailType;
  detail: Record<string, unknown>;
}

/**
 * Puts events on the bus in batches of ten (the PutEvents limit). Returns the indexes of the events
 * EventBridge did not accept, so a stream handler can report exactly those records as failed.
 */
export async function publish(events: BusEvent[]): Promise<number[]> {
  const failed: number[] = [];
  const bus = config().EVENT_BUS_NAME;
  if (!bus) throw new Error('Invalid configuration: EVENT_BUS_NAME is not set');
  for (let start = 0; start < events.length; start += 10) {
    const chunk = events.slice(start, start + 10);
    const entries: PutEventsRequestEntry[] = chunk.map((e) => ({
      EventBusName: bus,
      Source: BUS_SOURCE,
      DetailType: e.detailType,
      Detail: JSON.stringify(e.detail),
    }));
    try {
      const result = await eventBridgeClient().send(new PutEventsCommand({ Entries: entries }));
      result.Entries?.forEach((entry, i) => {
        if (entry.ErrorCode) failed.push(start + i);
      });
    } catch {
      chunk.forEach((_, i) => {
        failed.push(start + i);
      });
    }
  }
  return failed;
}
