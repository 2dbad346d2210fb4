import { randomUUID } from 'node:crypto';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, inject, it } from 'vitest';
import type { Subject } from '../../shared/segments/subject.ts';
import type { CompiledRule } from '../../shared/segments/types.ts';
import { call } from '../support/api.ts';
import { useStackEnv } from '../support/stack-env.ts';
import { streamSettled } from '../support/streams.ts';
import { waitFor } from '../support/wait.ts';

useStackEnv();
const { store } = await import('../../shared/store/service.ts');
const { readMembership } = await import('../../shared/segments/membership.ts');
const { createSegment } = await import('../../shared/segments/service.ts');
const { forgetDependencyIndex, sweepMinute } = await import('../../shared/segments/live.ts');
const { dueIn, minuteOf, readSchedule, reschedule, scheduleSubjects } = await import(
  '../../shared/segments/transitions.ts'
);
const { countingTransactions } = await import('../support/dynamo-calls.ts');
const { handler } = await import('../../functions/stream/segment-evaluator.ts');
const { ulid } = await import('ulid');

const unique = () => randomUUID().replaceAll('-', '').slice(0, 10);
const DAY = 86_400_000;

interface BusEntry {
  'detail-type': string;
  detail: { segmentId: string; customerId: string; reason?: string };
}

/** The segment events the local bus received for one customer in one segment. */
async function busEvents(segmentId: string, customerId: string): Promise<BusEntry[]> {
  const response = await fetch(`${inject('apiUrl')}/_local/bus?limit=50000`);
  const { events } = (await response.json()) as { events: BusEntry[] };
  return events.filter(
    (e) =>
      e['detail-type'].startsWith('segment.') &&
      e.detail.segmentId === segmentId &&
      e.detail.customerId === customerId,
  );
}

async function postEvent(customerId: string, type: string, occurredAt: number) {
  const answer = await call('POST', '/v1/events', {
    body: {
      events: [
        {
          id: `live-${unique()}`,
          type,
          customer: { id: customerId },
          occurredAt: new Date(occurredAt).toISOString(),
        },
      ],
    },
  });
  expect(answer.status).toBe(200);
}

async function newCustomer(email: string): Promise<string> {
  const answer = await call('POST', '/v1/customers', { body: { email, timeZone: 'UTC' } });
  expect(answer.status).toBe(201);
  return answer.body.id as string;
}

describe('segments kept current from the table stream', () => {
  it('enters on an event, exits by the sweep when the window passes it, and exits on erasure', async () => {
    // Prepare: a segment of customers with a probe event in the last 30 days, filled by its recomputation.
    const tag = unique();
    const type = `probe_${tag}`;
    const created = await call('POST', '/v1/segments', {
      body: { name: `live ${tag}`, rule: { event: { type, within: { days: 30 }, atLeast: 1 } } },
    });
    expect(created.status).toBe(201);
    const segmentId = created.body.id as string;
    const fading = await newCustomer(`fading-${tag}@example.com`);
    const erased = await newCustomer(`erased-${tag}@example.com`);

    // Act 1: an event on the oldest day the window holds (UTC, the customer's zone), and a fresh one.
    const today = Math.floor(Date.now() / DAY) * DAY;
    await postEvent(fading, type, today - 29 * DAY + 3_600_000);
    await postEvent(erased, type, Date.now() - DAY);
    // Assess 1: both enter, and the bus says so.
    for (const customerId of [fading, erased]) {
      await waitFor(
        async () =>
          (await busEvents(segmentId, customerId)).find((e) => e['detail-type'] === 'segment.entered'),
        `segment.entered for ${customerId}`,
      );
    }
    expect((await readMembership(fading, segmentId))?.member).toBe(true);
    // The sweep below runs at tomorrow's time; an evaluation still queued on the stream (the customer's
    // creation or event, behind other tests' changes) would run at today's and put the customer back.
    await streamSettled('segmentEvaluator');

    // Act 2: the clock reaches the time the schedule names, and the sweep runs then.
    const schedule = await waitFor(async () => {
      const s = await readSchedule(fading);
      return (s?.due as Record<string, { at: number }> | undefined)?.[segmentId] ? s : undefined;
    }, 'the transition schedule of the fading customer');
    const at = (schedule.due as Record<string, { at: number }>)[segmentId]?.at as number;
    expect(at).toBeGreaterThan(Date.now());
    expect(at).toBeLessThanOrEqual(Date.now() + DAY);
    const early = await sweepMinute(schedule.dueMinute as number, at - 1);
    const swept = await sweepMinute(schedule.dueMinute as number, at);
    // Assess 2: not before its time; then out, with the exit on the bus.
    expect(early.customers).toBe(0);
    expect(swept).toMatchObject({ exited: 1, failed: 0 });
    expect((await readMembership(fading, segmentId))?.member).toBe(false);
    const exit = await waitFor(
      async () => (await busEvents(segmentId, fading)).find((e) => e['detail-type'] === 'segment.exited'),
      'segment.exited for the fading customer',
    );
    expect(exit.detail.reason).toBe('time');
    expect((await readSchedule(fading))?.due).toEqual({});

    // Act 3: erasure.
    expect((await call('DELETE', `/v1/customers/${erased}`)).status).toBeLessThan(300);
    // Assess 3
    const erasedExit = await waitFor(
      async () => (await busEvents(segmentId, erased)).find((e) => e['detail-type'] === 'segment.exited'),
      'segment.exited for the erased customer',
    );
    expect(erasedExit.detail.reason).toBe('erased');
    const events = await busEvents(segmentId, erased);
    expect(events.map((e) => e['detail-type'])).toEqual(['segment.entered', 'segment.exited']);
  });

  it('reports the first record it could not evaluate, evaluates the others, and repeats nothing when redelivered', async () => {
    // Prepare
    const tag = unique();
    const segment = await createSegment({ name: `batch ${tag}`, rule: { tags: { any: [tag] } } });
    forgetDependencyIndex();
    const now = new Date().toISOString();
    const ids = [ulid(), ulid()];
    for (const customerId of ids) {
      await store()
        .entities.customer.create({
          customerId,
          tags: [tag],
          owner: '',
          version: 1,
          createdAt: now,
          updatedAt: now,
          shard: 0,
        })
        .go();
    }
    const image = (customerId: string) =>
      marshall({ __edb_e__: 'customer', customerId, tags: [tag], owner: '', version: 1 }) as never;
    const record = (seq: string, customerId: string): DynamoDBRecord => ({
      eventName: 'INSERT',
      dynamodb: { SequenceNumber: seq, NewImage: image(customerId) },
    });
    // A key longer than DynamoDB allows (2048 bytes): every read of this customer fails.
    const broken = `BROKEN${'X'.repeat(2100)}`;
    const batch = [record('101', ids[0] as string), record('102', broken), record('103', ids[1] as string)];
    const invoke = (records: DynamoDBRecord[]) =>
      handler({ Records: records } as DynamoDBStreamEvent, {} as Context);

    // Act
    const first = await invoke(batch);
    const again = await invoke(batch.slice(1));
    // Assess
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: '102' }] });
    expect(again).toEqual({ batchItemFailures: [{ itemIdentifier: '102' }] });
    for (const customerId of ids) {
      expect((await readMembership(customerId, segment.segmentId))?.member).toBe(true);
      const stints = await store()
        .entities.segmentHistory.query.byCustomer({ customerId })
        .go({ consistent: true });
      expect(stints.data.filter((h) => h.segmentId === segment.segmentId)).toHaveLength(1);
    }
  });
});

describe('transition schedules of a recomputation page', () => {
  /** A time-dependent rule whose outcome next changes at `at`, whoever the customer. */
  const changesAt = (at: number) =>
    ({ dependencies: { timeDependent: true }, nextTransitionAt: () => at }) as unknown as CompiledRule;

  it('writes the new schedules of a page together, each with its due item', async () => {
    // Prepare: 30 customers read with no schedule yet.
    const segmentId = `seg-${unique()}`;
    const at = Date.now() + 3 * DAY;
    const customers = Array.from({ length: 30 }, () => ulid());
    const evaluatedAt = Date.now();
    // Act
    const { transactions } = await countingTransactions(() =>
      scheduleSubjects(
        customers.map((customerId) => ({ customerId, subject: {} as Subject, schedule: null })),
        new Map([[segmentId, changesAt(at)]]),
        evaluatedAt,
      ),
    );
    // Assess: 30 schedules and 30 due items fit in one transaction of 100 items at most.
    expect(transactions).toBe(1);
    for (const customerId of customers) {
      expect((await readSchedule(customerId))?.due).toEqual({ [segmentId]: { at, evaluatedAt } });
    }
    const due = (await dueIn(minuteOf(at))).map((d) => d.customerId);
    expect(customers.filter((c) => !due.includes(c))).toEqual([]);
  });

  it('writes each schedule alone when another evaluation wrote one of them first, keeping the newer', async () => {
    // Prepare: 10 customers read with no schedule; meanwhile a newer evaluation scheduled one of them.
    const segmentId = `seg-${unique()}`;
    const at = Date.now() + 3 * DAY;
    const newerAt = Date.now() + 5 * DAY;
    const customers = Array.from({ length: 10 }, () => ulid());
    const raced = customers[4] as string;
    const evaluatedAt = Date.now();
    await reschedule(raced, new Map([[segmentId, newerAt]]), evaluatedAt + 1000);
    // Act
    await scheduleSubjects(
      customers.map((customerId) => ({ customerId, subject: {} as Subject, schedule: null })),
      new Map([[segmentId, changesAt(at)]]),
      evaluatedAt,
    );
    // Assess
    expect((await readSchedule(raced))?.due).toEqual({
      [segmentId]: { at: newerAt, evaluatedAt: evaluatedAt + 1000 },
    });
    for (const customerId of customers.filter((c) => c !== raced)) {
      expect((await readSchedule(customerId))?.due).toEqual({ [segmentId]: { at, evaluatedAt } });
    }
  });
});
