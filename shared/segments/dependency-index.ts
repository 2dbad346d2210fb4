import type { Touched } from './touched.ts';
import type { CompiledRule } from './types.ts';

/**
 * Which active segments read what: built from the compiled rules of the active segments, so a change to
 * a customer is matched to the few segments it can affect. Pure; live.ts keeps one per process.
 */

export interface IndexedSegment {
  segmentId: string;
  version: number;
  shards: number;
  freshnessMinutes: number;
  /** Undefined for a static segment: its members are a list, no rule decides them. */
  rule?: CompiledRule;
}

export class DependencyIndex {
  readonly segments = new Map<string, IndexedSegment>();
  /** Dynamic segments in dependency order: a segment after every segment its rule reads. */
  readonly order: string[] = [];
  private readonly rank = new Map<string, number>();
  private readonly byField = new Map<string, Set<string>>();
  private readonly byEventType = new Map<string, Set<string>>();
  private readonly byChannel = new Map<string, Set<string>>();
  private readonly byLocation = new Set<string>();
  /** Segment id -> the dynamic segments whose rules read its membership. */
  private readonly dependents = new Map<string, Set<string>>();

  constructor(segments: readonly IndexedSegment[]) {
    const add = (map: Map<string, Set<string>>, key: string, id: string) => {
      const set = map.get(key) ?? new Set<string>();
      set.add(id);
      map.set(key, set);
    };
    for (const s of segments) this.segments.set(s.segmentId, s);
    for (const s of segments) {
      const d = s.rule?.dependencies;
      if (!d) continue;
      for (const f of d.fields) add(this.byField, f, s.segmentId);
      for (const t of d.eventTypes) add(this.byEventType, t, s.segmentId);
      for (const c of d.consents) add(this.byChannel, c.split(':')[0] as string, s.segmentId);
      if (d.location) this.byLocation.add(s.segmentId);
      for (const other of d.segments) add(this.dependents, other, s.segmentId);
    }
    const visiting = new Set<string>();
    const visit = (id: string) => {
      const s = this.segments.get(id);
      if (!s?.rule || this.rank.has(id) || visiting.has(id)) return;
      // Segment rules are checked for cycles when saved; `visiting` only keeps a corrupt store from looping.
      visiting.add(id);
      for (const other of s.rule.dependencies.segments) visit(other);
      visiting.delete(id);
      this.rank.set(id, this.order.length);
      this.order.push(id);
    };
    for (const s of segments) visit(s.segmentId);
  }

  get timeDependent(): IndexedSegment[] {
    return this.order
      .map((id) => this.segments.get(id) as IndexedSegment)
      .filter((s) => s.rule?.dependencies.timeDependent);
  }

  /** The dynamic segments a change may affect, before cascades. */
  affectedBy(touched: Touched): Set<string> {
    if (touched.all) return new Set(this.order);
    const out = new Set<string>();
    const addAll = (set: Iterable<string> | undefined) => {
      for (const id of set ?? []) out.add(id);
    };
    for (const field of touched.fields) {
      // `address` touches `address.city`; `computed` touches `computed.orders`; `scores.rfm.fm` touches
      // a rule on `scores.rfm.fm` only.
      for (const [name, ids] of this.byField) {
        if (name === field || name.startsWith(`${field}.`) || field.startsWith(`${name}.`)) addAll(ids);
      }
      if (field === 'address' || field.startsWith('address.')) addAll(this.byLocation);
    }
    for (const type of touched.eventTypes) addAll(this.byEventType.get(type));
    for (const channel of touched.consentChannels) addAll(this.byChannel.get(channel));
    for (const id of touched.segments) addAll(this.dependents.get(id));
    return out;
  }

  /**
   * The segments together with every segment that reads their membership, directly or through others,
   * in dependency order: evaluated in this order, a cascade settles in one pass over the customer.
   */
  withDependents(ids: Iterable<string>): string[] {
    const all = new Set<string>();
    const stack = [...ids];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (all.has(id) || !this.rank.has(id)) continue;
      all.add(id);
      stack.push(...(this.dependents.get(id) ?? []));
    }
    return [...all].sort((a, b) => (this.rank.get(a) ?? 0) - (this.rank.get(b) ?? 0));
  }
}
