import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type {
  CustomerChangedDetail,
  CustomerMergedDetail,
  EventIngestedDetail,
} from '../../events/schemas/index.ts';
import type { BusEvent } from './bus.ts';

/** Attributes that are bookkeeping, not profile data: they never count as a change. */
const BOOKKEEPING = new Set(['version', 'updatedAt', 'createdAt', 'shard', '__edb_e__', '__edb_v__']);

type Image = Record<string, unknown>;

function image(raw: Record<string, unknown> | undefined): Image | undefined {
  return raw ? unmarshall(raw as Record<string, AttributeValue>) : undefined;
}

function changedFields(before: Image, after: Image): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names]
    .filter((n) => !BOOKKEEPING.has(n) && !/^(pk|sk|gsi\d+(pk|sk))$/.test(n))
    .filter((n) => JSON.stringify(before[n]) !== JSON.stringify(after[n]))
    .sort();
}

/**
 * Turns table stream records into bus events. Pure: returns, for each bus event, the index of the
 * record it came from, so a failed put can be reported against that record.
 */
export function busEventsFromStream(records: DynamoDBRecord[]): { events: BusEvent[]; source: number[] } {
  const events: BusEvent[] = [];
  const source: number[] = [];
  records.forEach((record, index) => {
    const before = image(record.dynamodb?.OldImage as Record<string, unknown> | undefined);
    const after = image(record.dynamodb?.NewImage as Record<string, unknown> | undefined);
    const entity = (after ?? before)?.__edb_e__;
    const at = new Date(
      (record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000,
    ).toISOString();
    if (entity === 'customer') {
      const customerId = String((after ?? before)?.customerId);
      let detail: CustomerChangedDetail | undefined;
      if (record.eventName === 'INSERT' && after) {
        detail = {
          customerId,
          change: 'created',
          fields: changedFields({}, after),
          version: Number(after.version),
          at,
        };
      } else if (record.eventName === 'MODIFY' && before && after) {
        const fields = changedFields(before, after);
        if (fields.length > 0)
          detail = { customerId, change: 'updated', fields, version: Number(after.version), at };
      } else if (record.eventName === 'REMOVE') {
        detail = { customerId, change: 'removed', fields: [], at };
      }
      if (detail) {
        events.push({ detailType: 'customer.changed', detail: { ...detail } });
        source.push(index);
      }
    } else if (entity === 'erasure' && record.eventName === 'INSERT' && after) {
      events.push({ detailType: 'customer.erased', detail: { customerId: String(after.customerId), at } });
      source.push(index);
    } else if (entity === 'merge' && record.eventName === 'INSERT' && after) {
      // Once per merge, when it happens; the profile writes of the same transaction publish
      // customer.changed (the survivor updated, the merged profiles removed) beside it.
      const detail: CustomerMergedDetail = {
        mergeId: String(after.mergeId),
        survivorId: String(after.survivorId),
        mergedIds: (after.mergedIds as unknown[]).map(String),
        at,
      };
      events.push({ detailType: 'customer.merged', detail: { ...detail } });
      source.push(index);
    } else if (entity === 'segmentMembership') {
      // Only flips: a re-evaluation that keeps the state (a newer evaluatedAt) is not news.
      const was = before?.member === true;
      const is = after?.member === true;
      if (was !== is) {
        const item = (after ?? before) as Image;
        const flipAt = is ? after?.enteredAt : after?.exitedAt;
        events.push({
          detailType: is ? 'segment.entered' : 'segment.exited',
          detail: {
            segmentId: String(item.segmentId),
            customerId: String(item.customerId),
            at: typeof flipAt === 'string' ? flipAt : at,
            ...(typeof after?.reason === 'string' && { reason: after.reason }),
          },
        });
        source.push(index);
      }
    } else if (entity === 'event' && record.eventName === 'INSERT' && after) {
      const detail: EventIngestedDetail = {
        eventId: String(after.eventId),
        customerId: String(after.customerId),
        type: String(after.type),
        occurredAt: String(after.occurredAt),
        ...(typeof after.orderId === 'string' && { orderId: after.orderId }),
        ...(typeof after.amount === 'number' && { amount: after.amount }),
        ...(typeof after.currency === 'string' && { currency: after.currency }),
      };
      events.push({ detailType: 'event.ingested', detail: { ...detail } });
      source.push(index);
    }
  });
  return { events, source };
}
