import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';

/**
 * What a table change means for segment rules: which customer, and which of the things rules read
 * (fields, event types, consents, other segments' membership) it touched. Pure: the incremental
 * evaluator matches it against the dependency index to pick the segments to re-evaluate.
 */

export interface Touched {
  /** A new customer: every active segment may now hold them. */
  all: boolean;
  /** Erased, merged away or deleted: the customer leaves every segment. */
  gone?: 'erased' | 'merged' | 'removed';
  /** Dotted field names as rules name them (`address.city`, `attributes.vip`, `scores.abc`, `computed`). */
  fields: Set<string>;
  eventTypes: Set<string>;
  /** Consent channels whose records changed (a channel record decides every topic of it). */
  consentChannels: Set<string>;
  /** Segments the customer entered or left. */
  segments: Set<string>;
}

export interface CustomerChange {
  customerId: string;
  /** Indexes of the stream records behind it, for partial batch failures. */
  records: number[];
  touched: Touched;
}

export interface StreamChanges {
  customers: Map<string, CustomerChange>;
  /** A segment was created, edited or archived: the dependency index must be rebuilt. */
  segmentsChanged: boolean;
}

type Image = Record<string, unknown>;

/** Profile attributes that are bookkeeping, never read by a rule. */
const IGNORED = new Set(['version', 'shard', 'externalIdAliases', '__edb_e__', '__edb_v__']);
/** Profile attributes whose parts rules name one by one. */
const NESTED = new Set(['address', 'attributes']);

function image(raw: unknown): Image | undefined {
  return raw ? unmarshall(raw as Record<string, AttributeValue>) : undefined;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Leaf paths under `prefix` whose values differ (objects compared key by key, anything else whole). */
export function changedPaths(prefix: string, before: unknown, after: unknown, out: Set<string>): void {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      changedPaths(`${prefix}.${key}`, before[key], after[key], out);
    }
    return;
  }
  if (isObject(before) || isObject(after)) {
    // One side is a map and the other is not (or is gone): every leaf of the map changed.
    const map = (isObject(before) ? before : after) as Record<string, unknown>;
    out.add(prefix);
    for (const key of Object.keys(map)) changedPaths(`${prefix}.${key}`, map[key], undefined, out);
    return;
  }
  if (!same(before, after)) out.add(prefix);
}

function profileFields(before: Image, after: Image, out: Set<string>) {
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (IGNORED.has(name) || /^(pk|sk|gsi\d+(pk|sk))$/.test(name)) continue;
    if (NESTED.has(name)) changedPaths(name, before[name], after[name], out);
    else if (!same(before[name], after[name])) out.add(name);
  }
}

function emptyTouched(): Touched {
  return {
    all: false,
    fields: new Set(),
    eventTypes: new Set(),
    consentChannels: new Set(),
    segments: new Set(),
  };
}

/** Groups a batch of stream records by customer, with what each customer's records touched. */
export function changesFromStream(records: readonly DynamoDBRecord[]): StreamChanges {
  const customers = new Map<string, CustomerChange>();
  let segmentsChanged = false;
  const touch = (customerId: unknown, index: number): Touched | undefined => {
    if (typeof customerId !== 'string' || customerId === '') return undefined;
    let change = customers.get(customerId);
    if (!change) {
      change = { customerId, records: [], touched: emptyTouched() };
      customers.set(customerId, change);
    }
    if (!change.records.includes(index)) change.records.push(index);
    return change.touched;
  };
  records.forEach((record, index) => {
    // Most records are of entities rules never read: look at the raw entity name before unmarshalling.
    const rawOld = record.dynamodb?.OldImage as Record<string, { S?: string }> | undefined;
    const rawNew = record.dynamodb?.NewImage as Record<string, { S?: string }> | undefined;
    const entity = (rawNew ?? rawOld)?.__edb_e__?.S;
    if (!entity || !RELEVANT.has(entity)) return;
    const before = image(rawOld);
    const after = image(rawNew);
    const either = (after ?? before) as Image;
    switch (entity) {
      case 'customer': {
        const t = touch(either.customerId, index);
        if (!t) return;
        if (record.eventName === 'INSERT') t.all = true;
        else if (record.eventName === 'REMOVE') t.gone ??= 'removed';
        else profileFields(before ?? {}, after ?? {}, t.fields);
        return;
      }
      case 'customerAggregate': {
        const t = touch(either.customerId, index);
        if (!t) return;
        if (!same(before?.state, after?.state)) t.fields.add('computed');
        changedPaths('scores', before?.scores, after?.scores, t.fields);
        return;
      }
      case 'consent': {
        const t = touch(either.customerId, index);
        const moved = before && after && before.customerId !== after.customerId;
        if (moved) touch(before.customerId, index)?.consentChannels.add(String(before.channel));
        if (t && (moved || before?.status !== after?.status)) t.consentChannels.add(String(either.channel));
        return;
      }
      case 'event': {
        // New, removed (erasure, retention) or moved to a merge survivor: the owners' counts change.
        if (record.eventName === 'MODIFY' && before?.customerId === after?.customerId) return;
        for (const side of [before, after]) {
          if (side) touch(side.customerId, index)?.eventTypes.add(String(side.type));
        }
        return;
      }
      case 'segmentMembership': {
        if ((before?.member === true) === (after?.member === true)) return;
        touch(either.customerId, index)?.segments.add(String(either.segmentId));
        return;
      }
      case 'erasure': {
        const t = record.eventName === 'INSERT' ? touch(either.customerId, index) : undefined;
        if (t) t.gone = 'erased';
        return;
      }
      case 'mergedCustomer': {
        const t = record.eventName === 'INSERT' ? touch(either.customerId, index) : undefined;
        if (t && t.gone !== 'erased') t.gone = 'merged';
        return;
      }
      case 'segment':
        segmentsChanged = true;
        return;
    }
  });
  return { customers, segmentsChanged };
}

const RELEVANT = new Set([
  'customer',
  'customerAggregate',
  'consent',
  'event',
  'segmentMembership',
  'erasure',
  'mergedCustomer',
  'segment',
]);
