import { randomUUID } from 'node:crypto';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';

useStackEnv();
const { applyStreamRecords, readAggregate } = await import('../../shared/scoring/aggregate-store.ts');
const { computedFrom } = await import('../../shared/scoring/profile.ts');
const { ulid } = await import('ulid');

const unique = () => randomUUID().slice(0, 8);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();

type Image = Record<string, unknown>;
const purchase = (
  customerId: string,
  type: 'order' | 'refund',
  id: string,
  amount: number,
  days: number,
  orderId = id,
): Image => ({
  __edb_e__: 'event',
  __edb_v__: '1',
  eventId: `${type}:${id}`,
  customerId,
  type,
  orderId,
  occurredAt: daysAgo(days),
  amount,
  currency: 'CNY',
});

let sequence = 0;
function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', before?: Image, after?: Image): DynamoDBRecord {
  sequence++;
  return {
    eventName,
    dynamodb: {
      SequenceNumber: String(sequence),
      ...(before && { OldImage: marshall(before) as never }),
      ...(after && { NewImage: marshall(after) as never }),
    },
  };
}

async function figures(customerId: string) {
  const aggregate = await readAggregate(customerId);
  return aggregate && computedFrom(aggregate.state as never, { currency: 'CNY', windowDays: [30] });
}

describe('purchase aggregates from the stream', () => {
  it('counts each order once however often and in whatever order the records come', async () => {
    // Prepare
    const customerId = ulid();
    const o1 = purchase(customerId, 'order', `a-${unique()}`, 100, 40);
    const o2 = purchase(customerId, 'order', `b-${unique()}`, 60, 3);
    const r1 = purchase(customerId, 'refund', `r-${unique()}`, 25, 1, String(o1.orderId));
    // Act: the refund first, then a redelivered batch repeating everything.
    await applyStreamRecords([record('INSERT', undefined, r1), record('INSERT', undefined, o2)]);
    await applyStreamRecords([
      record('INSERT', undefined, o2),
      record('INSERT', undefined, o1),
      record('INSERT', undefined, r1),
    ]);
    await applyStreamRecords([record('INSERT', undefined, o1)]);
    // Assess
    expect(await figures(customerId)).toMatchObject({ orders: 2, revenue: 135, purchaseDays: 2 });
    expect((await readAggregate(customerId))?.version).toBe(2);
  });

  it('moves an order from a merged customer’s aggregate to the survivor’s', async () => {
    // Prepare
    const loser = ulid();
    const survivor = ulid();
    const order = purchase(loser, 'order', `m-${unique()}`, 80, 5);
    const own = purchase(survivor, 'order', `s-${unique()}`, 20, 2);
    await applyStreamRecords([record('INSERT', undefined, order), record('INSERT', undefined, own)]);
    // Act: the merge rewrites the order's customerId in place.
    const moved = { ...order, customerId: survivor };
    await applyStreamRecords([record('MODIFY', order, moved)]);
    await applyStreamRecords([record('MODIFY', order, moved)]);
    // Assess
    expect(await readAggregate(loser)).toBeUndefined();
    expect(await figures(survivor)).toMatchObject({ orders: 2, revenue: 100 });
  });

  it('takes an erased order back out', async () => {
    // Prepare
    const customerId = ulid();
    const keep = purchase(customerId, 'order', `k-${unique()}`, 10, 5);
    const gone = purchase(customerId, 'order', `g-${unique()}`, 90, 4);
    await applyStreamRecords([record('INSERT', undefined, keep), record('INSERT', undefined, gone)]);
    // Act: the stored `keep` is not in the table (the timeline has nothing), so only REMOVEs of both empty it.
    await applyStreamRecords([record('REMOVE', gone), record('REMOVE', keep)]);
    // Assess
    expect(await readAggregate(customerId)).toBeUndefined();
  });
});
