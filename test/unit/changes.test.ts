import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { busDetailSchemas } from '../../events/schemas/index.ts';
import { busEventsFromStream } from '../../shared/events/changes.ts';

function record(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  oldImage?: object,
  newImage?: object,
): DynamoDBRecord {
  return {
    eventName,
    dynamodb: {
      ApproximateCreationDateTime: 1_790_000_000,
      SequenceNumber: '1',
      ...(oldImage && { OldImage: marshall(oldImage, { removeUndefinedValues: true }) as never }),
      ...(newImage && { NewImage: marshall(newImage, { removeUndefinedValues: true }) as never }),
    },
  };
}

const customer = {
  __edb_e__: 'customer',
  customerId: 'C1',
  email: 'a@b.cn',
  version: 1,
  updatedAt: 't1',
  gsi1sk: 'x',
};

describe('busEventsFromStream', () => {
  it('publishes changed profile fields by name, ignoring bookkeeping', () => {
    // Prepare
    const after = { ...customer, name: '陈杰', version: 2, updatedAt: 't2', gsi1sk: 'y' };
    // Act
    const { events, source } = busEventsFromStream([record('MODIFY', customer, after)]);
    // Assess
    expect(events).toEqual([
      {
        detailType: 'customer.changed',
        detail: { customerId: 'C1', change: 'updated', fields: ['name'], version: 2, at: expect.any(String) },
      },
    ]);
    expect(source).toEqual([0]);
  });

  it('skips writes that changed nothing and replays of stored events', () => {
    const event = {
      __edb_e__: 'event',
      eventId: 'e1',
      customerId: 'C1',
      type: 'order',
      occurredAt: 't',
      amount: 5,
    };
    const { events } = busEventsFromStream([
      record('MODIFY', customer, { ...customer, version: 2 }),
      record('MODIFY', event, event),
    ]);
    expect(events).toEqual([]);
  });

  it('publishes new events, erasures and removals with their record index', () => {
    const { events, source } = busEventsFromStream([
      record('INSERT', undefined, { __edb_e__: 'audit', customerId: 'C1' }),
      record('INSERT', undefined, {
        __edb_e__: 'event',
        eventId: 'e1',
        customerId: 'C1',
        type: 'order',
        occurredAt: 't',
        amount: 5,
        currency: 'CNY',
        orderId: 'o1',
      }),
      record('INSERT', undefined, { __edb_e__: 'erasure', customerId: 'C1', status: 'erasing' }),
      record('REMOVE', customer, undefined),
    ]);
    expect(events.map((e) => e.detailType)).toEqual([
      'event.ingested',
      'customer.erased',
      'customer.changed',
    ]);
    // Every detail honours its published contract.
    for (const e of events) expect(() => busDetailSchemas[e.detailType].parse(e.detail)).not.toThrow();
    expect(events[0]?.detail).toMatchObject({ eventId: 'e1', amount: 5, currency: 'CNY', orderId: 'o1' });
    expect(source).toEqual([1, 2, 3]);
  });

  it('publishes customer.merged once per merge, with the survivor and the merged ids', () => {
    // Prepare
    const job = {
      __edb_e__: 'merge',
      mergeId: 'M1',
      survivorId: 'C1',
      mergedIds: ['C2', 'C3'],
      status: 'moving',
    };
    // Act
    const { events } = busEventsFromStream([
      record('INSERT', undefined, job),
      record('MODIFY', job, { ...job, status: 'merged' }),
    ]);
    // Assess
    expect(events).toEqual([
      {
        detailType: 'customer.merged',
        detail: { mergeId: 'M1', survivorId: 'C1', mergedIds: ['C2', 'C3'], at: expect.any(String) },
      },
    ]);
    expect(busDetailSchemas['customer.merged'].safeParse(events[0]?.detail).success).toBe(true);
  });
});
