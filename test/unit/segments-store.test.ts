import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { busEventsFromStream } from '../../shared/events/changes.ts';
import { compile } from '../../shared/segments/compile.ts';
import { decide, type Plan } from '../../shared/segments/recompute.ts';
import type { Rule } from '../../shared/segments/rule.ts';
import type { SegmentItem } from '../../shared/segments/service.ts';
import { shardsFor } from '../../shared/segments/service.ts';
import type { Subject } from '../../shared/segments/subject.ts';

const membership = (member: boolean, extra: Record<string, unknown> = {}) => ({
  __edb_e__: 'segmentMembership',
  __edb_v__: '1',
  pk: 'CUST#C1',
  sk: 'SEG#S1',
  customerId: 'C1',
  segmentId: 'S1',
  member,
  shard: 3,
  evaluatedAt: 1,
  ...extra,
});

function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', before?: object, after?: object): DynamoDBRecord {
  return {
    eventName,
    dynamodb: {
      ...(before && { OldImage: marshall(before) as never }),
      ...(after && { NewImage: marshall(after) as never }),
      ApproximateCreationDateTime: 1_700_000_000,
    },
  };
}

describe('segment membership on the stream', () => {
  it('publishes segment.entered and segment.exited on flips only', () => {
    // Prepare
    const records = [
      record(
        'INSERT',
        undefined,
        membership(true, { enteredAt: '2026-01-01T00:00:00.000Z', reason: 'rule' }),
      ),
      record('MODIFY', membership(true), membership(true, { evaluatedAt: 2 })),
      record(
        'MODIFY',
        membership(true),
        membership(false, { exitedAt: '2026-01-02T00:00:00.000Z', reason: 'recompute' }),
      ),
      record('INSERT', undefined, membership(false)),
      record('REMOVE', membership(false), undefined),
    ];
    // Act
    const { events, source } = busEventsFromStream(records);
    // Assess
    expect(events).toEqual([
      {
        detailType: 'segment.entered',
        detail: { segmentId: 'S1', customerId: 'C1', at: '2026-01-01T00:00:00.000Z', reason: 'rule' },
      },
      {
        detailType: 'segment.exited',
        detail: { segmentId: 'S1', customerId: 'C1', at: '2026-01-02T00:00:00.000Z', reason: 'recompute' },
      },
    ]);
    expect(source).toEqual([0, 2]);
  });
});

function segment(
  segmentId: string,
  rule: Rule | undefined,
  status: 'active' | 'archived' = 'active',
): SegmentItem {
  return {
    segmentId,
    name: segmentId,
    kind: rule ? 'dynamic' : 'static',
    ...(rule && { rule }),
    status,
    freshnessMinutes: 60,
    shards: 4,
    sizeHistory: [],
    version: 1,
    createdAt: '',
    updatedAt: '',
  } as SegmentItem;
}

function plan(segments: SegmentItem[]): Plan {
  return {
    ordered: segments,
    byId: new Map(segments.map((s) => [s.segmentId, s])),
    rules: new Map(
      segments
        .filter((s) => s.rule && s.status === 'active')
        .map((s) => [s.segmentId, compile(s.rule as Rule)]),
    ),
  };
}

const subject = (tags: string[]): Subject => ({ id: 'C1', profile: { tags } });

describe('what a recomputation decides for one customer', () => {
  it('enters and exits by the rules, reading segments decided earlier in the same pass', () => {
    // Prepare: VIP; "VIP in segment A" depends on A; B no longer matches; a static segment is left alone.
    const p = plan([
      segment('A', { tags: { any: ['vip'] } }),
      segment('B', { tags: { any: ['student'] } }),
      segment('D', { segment: { id: 'A' } }),
      segment('S', undefined),
    ]);
    const states = new Map([
      ['B', { member: true, evaluatedAt: 1 }],
      ['S', { member: true, evaluatedAt: 1 }],
    ]);
    // Act
    const decisions = decide('C1', subject(['vip']), states, p, {}, 100);
    // Assess
    expect(decisions.map((d) => [d.evaluation.segmentId, d.evaluation.member])).toEqual([
      ['A', true],
      ['B', false],
      ['D', true],
    ]);
    expect(decisions.every((d) => d.evaluation.evaluatedAt === 100)).toBe(true);
  });

  it('takes a customer who is gone out of everything, and ends memberships of archived or deleted segments', () => {
    // Prepare
    const p = plan([
      segment('A', { tags: { any: ['vip'] } }),
      segment('X', { tags: { any: ['vip'] } }, 'archived'),
    ]);
    const states = new Map([
      ['A', { member: true, evaluatedAt: 1 }],
      ['X', { member: true, evaluatedAt: 1 }],
      ['GONE', { member: true, evaluatedAt: 1, shard: 2 }],
    ]);
    // Act
    const gone = decide('C1', undefined, states, p, {}, 100);
    const present = decide('C1', subject(['vip']), states, p, {}, 100);
    const scoped = decide('C1', subject(['vip']), states, p, { segmentId: 'A' }, 100);
    // Assess
    expect(gone.map((d) => [d.evaluation.segmentId, d.evaluation.reason])).toEqual([
      ['A', 'gone'],
      ['X', 'gone'],
      ['GONE', 'deleted'],
    ]);
    expect(present.map((d) => [d.evaluation.segmentId, d.evaluation.reason])).toEqual([
      ['X', 'archived'],
      ['GONE', 'deleted'],
    ]);
    expect(scoped.map((d) => d.evaluation.segmentId)).toEqual(['X']);
  });
});

describe('write shards', () => {
  it('sizes a segment from its expected members, within bounds', () => {
    // Act and assess
    expect(shardsFor(undefined)).toBe(16);
    expect(shardsFor(0)).toBe(4);
    expect(shardsFor(250_000)).toBe(25);
    expect(shardsFor(100_000_000)).toBe(256);
  });
});
