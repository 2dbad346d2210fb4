import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DependencyIndex, type IndexedSegment } from '../../shared/segments/dependency-index.ts';
import { changesFromStream } from '../../shared/segments/touched.ts';
import { earliest, mergeDue } from '../../shared/segments/transitions.ts';
import type { CompiledRule, Dependencies } from '../../shared/segments/types.ts';

let sequence = 0;
function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', before?: object, after?: object): DynamoDBRecord {
  sequence++;
  return {
    eventName,
    dynamodb: {
      SequenceNumber: String(sequence),
      ...(before && { OldImage: marshall(before, { removeUndefinedValues: true }) as never }),
      ...(after && { NewImage: marshall(after, { removeUndefinedValues: true }) as never }),
    },
  };
}

const profile = {
  __edb_e__: 'customer',
  customerId: 'C1',
  email: 'a@b.cn',
  address: { country: 'CN', province: '广东', city: '广州' },
  attributes: { vip: true, teaPreference: 'green' },
  tags: ['a'],
  version: 1,
  updatedAt: 't1',
  gsi1sk: 'x',
};

function segment(id: string, deps: Partial<Dependencies>): IndexedSegment {
  const dependencies: Dependencies = {
    fields: [],
    eventTypes: [],
    eventDays: null,
    consents: [],
    location: false,
    segments: [],
    timeDependent: false,
    ...deps,
  };
  const rule = { dependencies } as unknown as CompiledRule;
  return { segmentId: id, version: 1, shards: 4, freshnessMinutes: 60, rule };
}

describe('changesFromStream', () => {
  it('names the profile fields a change touched, nested ones by their dotted name', () => {
    // Prepare
    const after = {
      ...profile,
      address: { ...profile.address, city: '深圳' },
      attributes: { vip: true, teaPreference: 'oolong' },
      version: 2,
      gsi1sk: 'y',
    };
    // Act
    const { customers } = changesFromStream([record('MODIFY', profile, after)]);
    // Assess
    const touched = customers.get('C1')?.touched;
    expect([...(touched?.fields ?? [])].sort()).toEqual(['address.city', 'attributes.teaPreference']);
    expect(touched?.all).toBe(false);
  });

  it('groups several changes to one customer into one entry with every record index', () => {
    // Prepare
    const event = (id: string, type: string) => ({
      __edb_e__: 'event',
      eventId: id,
      customerId: 'C1',
      type,
      occurredAt: '2026-11-01T00:00:00Z',
    });
    const consent = {
      __edb_e__: 'consent',
      customerId: 'C1',
      channel: 'sms',
      topic: '*',
      status: 'opted_in',
    };
    const membership = { __edb_e__: 'segmentMembership', customerId: 'C1', segmentId: 'S9', member: false };
    const aggregate = {
      __edb_e__: 'customerAggregate',
      customerId: 'C1',
      state: { n: 1 },
      scores: { abc: 'B' },
    };
    // Act
    const { customers, segmentsChanged } = changesFromStream([
      record('INSERT', undefined, event('e1', 'page_view')),
      record('INSERT', undefined, { __edb_e__: 'event', eventId: 'x', customerId: 'C2', type: 'order' }),
      record('INSERT', undefined, event('e2', 'order')),
      record('MODIFY', { ...consent, status: 'opted_out' }, consent),
      record('MODIFY', membership, { ...membership, member: true }),
      record('MODIFY', aggregate, { ...aggregate, state: { n: 2 }, scores: { abc: 'A' } }),
      record('INSERT', undefined, { __edb_e__: 'segment', segmentId: 'S1' }),
    ]);
    // Assess
    const c1 = customers.get('C1');
    expect(c1?.records).toEqual([0, 2, 3, 4, 5]);
    expect([...(c1?.touched.eventTypes ?? [])].sort()).toEqual(['order', 'page_view']);
    expect([...(c1?.touched.consentChannels ?? [])]).toEqual(['sms']);
    expect([...(c1?.touched.segments ?? [])]).toEqual(['S9']);
    expect([...(c1?.touched.fields ?? [])].sort()).toEqual(['computed', 'scores.abc']);
    expect(customers.get('C2')?.records).toEqual([1]);
    expect(segmentsChanged).toBe(true);
  });

  it('ignores membership stamps, unchanged consents and event rewrites that keep the owner', () => {
    // Prepare
    const membership = { __edb_e__: 'segmentMembership', customerId: 'C1', segmentId: 'S9', member: true };
    const consent = {
      __edb_e__: 'consent',
      customerId: 'C1',
      channel: 'sms',
      topic: '*',
      status: 'opted_in',
    };
    const event = { __edb_e__: 'event', eventId: 'e', customerId: 'C1', type: 'order', occurredAt: 't' };
    // Act
    const { customers } = changesFromStream([
      record('MODIFY', membership, { ...membership, evaluatedAt: 5 }),
      record('MODIFY', consent, { ...consent, updatedAt: 'later' }),
      record('MODIFY', event, { ...event, receivedAt: 'again' }),
    ]);
    // Assess
    const t = customers.get('C1')?.touched;
    expect([t?.segments.size, t?.consentChannels.size, t?.eventTypes.size]).toEqual([0, 0, 0]);
  });

  it('marks a new customer for every segment and an erased or merged one as gone', () => {
    // Act
    const { customers } = changesFromStream([
      record('INSERT', undefined, { ...profile, customerId: 'NEW' }),
      record('REMOVE', { ...profile, customerId: 'ER' }),
      record('INSERT', undefined, { __edb_e__: 'erasure', customerId: 'ER', status: 'erasing' }),
      record('REMOVE', { ...profile, customerId: 'MG' }),
      record('INSERT', undefined, { __edb_e__: 'mergedCustomer', customerId: 'MG', survivorId: 'NEW' }),
    ]);
    // Assess
    expect(customers.get('NEW')?.touched.all).toBe(true);
    expect(customers.get('ER')?.touched.gone).toBe('erased');
    expect(customers.get('MG')?.touched.gone).toBe('merged');
  });

  it('counts a moved event for both the merged customer and the survivor', () => {
    const event = { __edb_e__: 'event', eventId: 'e', customerId: 'OLD', type: 'order', occurredAt: 't' };
    const { customers } = changesFromStream([record('MODIFY', event, { ...event, customerId: 'SURV' })]);
    expect([...(customers.get('OLD')?.touched.eventTypes ?? [])]).toEqual(['order']);
    expect([...(customers.get('SURV')?.touched.eventTypes ?? [])]).toEqual(['order']);
  });
});

describe('DependencyIndex', () => {
  const index = new DependencyIndex([
    segment('CITY', { fields: ['address.city'] }),
    segment('ORDERS', { fields: ['computed.orders'], eventTypes: ['order'] }),
    segment('SMS', { consents: ['sms:promotions'] }),
    segment('ABC', { fields: ['scores.abc'] }),
    // Listed before the segment it reads: the order must still put it after.
    segment('VIP_SMS', { segments: ['SMS', 'STATIC'] }),
    segment('TOP', { segments: ['VIP_SMS'], fields: ['tags'] }),
    { segmentId: 'STATIC', version: 1, shards: 4, freshnessMinutes: 60 },
  ]);
  const touched = (t: Partial<Parameters<DependencyIndex['affectedBy']>[0]>) => ({
    all: false,
    fields: new Set<string>(),
    eventTypes: new Set<string>(),
    consentChannels: new Set<string>(),
    segments: new Set<string>(),
    ...t,
  });

  it('matches a change only to the segments that read it', () => {
    expect([...index.affectedBy(touched({ fields: new Set(['address.city']) }))]).toEqual(['CITY']);
    expect([...index.affectedBy(touched({ fields: new Set(['address']) }))]).toEqual(['CITY']);
    expect([...index.affectedBy(touched({ fields: new Set(['computed']) }))]).toEqual(['ORDERS']);
    expect([...index.affectedBy(touched({ fields: new Set(['scores.rfm.fm']) }))]).toEqual([]);
    expect([...index.affectedBy(touched({ eventTypes: new Set(['page_view']) }))]).toEqual([]);
    expect([...index.affectedBy(touched({ consentChannels: new Set(['sms']) }))]).toEqual(['SMS']);
    expect([...index.affectedBy(touched({ segments: new Set(['STATIC']) }))]).toEqual(['VIP_SMS']);
  });

  it('adds the segments that read a segment, in dependency order, and leaves static ones out', () => {
    expect(index.withDependents(['SMS'])).toEqual(['SMS', 'VIP_SMS', 'TOP']);
    expect(index.withDependents(['TOP', 'SMS'])).toEqual(['SMS', 'VIP_SMS', 'TOP']);
    expect(index.withDependents(['STATIC'])).toEqual([]);
    expect(index.affectedBy(touched({ all: true })).size).toBe(6);
  });
});

describe('mergeDue', () => {
  it('keeps the entry of the newer evaluation', () => {
    // Prepare
    const current = { S1: { at: 1000, evaluatedAt: 50 }, S2: { at: 3000, evaluatedAt: 50 } };
    // Act
    const older = mergeDue(current, new Map([['S1', 9000]]), 40);
    const newer = mergeDue(
      current,
      new Map<string, number | null>([
        ['S1', 2000],
        ['S2', null],
      ]),
      60,
    );
    // Assess
    expect(older).toBeUndefined();
    expect(newer).toEqual({ S1: { at: 2000, evaluatedAt: 60 } });
    expect(earliest(newer ?? {})).toBe(2000);
    expect(earliest({})).toBeUndefined();
  });
});
