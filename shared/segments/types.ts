import type { Rule } from './rule.ts';
import type { Subject } from './subject.ts';

export interface CompileOptions {
  /** Zone for customers without one of their own (the stage default); IANA name. Default UTC. */
  defaultTimeZone?: string;
  /**
   * Default status of each consent topic (shared/consent topics' `defaultStatus`), used when a customer
   * has no record for the topic or its channel. A topic missing here has no default.
   */
  topicDefaults?: Readonly<Record<string, 'opted_in' | 'opted_out'>>;
}

/** What a rule reads, so the store loads only that and re-evaluates only on changes to it. */
export interface Dependencies {
  /** Profile, computed and score fields by dotted name (`address.province`, `computed.orders`, `scores.abc`, `attributes.vip`, `tags`, `birthday`). */
  fields: string[];
  /** Event types the rule counts, sums or dates. */
  eventTypes: string[];
  /**
   * How many days of events the rule looks back (the widest window, plus a day for time zones), or
   * null when it needs all of them (no window, or first/last time of an event).
   */
  eventDays: number | null;
  /** Consent keys `channel:topic` (`sms:*` for the channel) the rule resolves. */
  consents: string[];
  /** Whether the rule needs the customer's location (`near`). */
  location: boolean;
  /** Segments whose membership the rule reads. */
  segments: string[];
  /**
   * True when the result can change with the clock alone (relative dates, anniversaries, event
   * windows): such rules need a sweep, driven by `nextTransitionAt`.
   */
  timeDependent: boolean;
}

/** One node of an explanation: the node, its result, and for a leaf that failed, why. */
export interface Explanation {
  /** Where the node sits in the rule, `rule.and[2]`. */
  path: string;
  kind: string;
  result: boolean;
  /** What the node asks, in words: "orders in the last 90 days at least 2". */
  condition: string;
  /** For a leaf: what the customer has, e.g. "orders in the last 90 days: 1, needs at least 2". */
  reason?: string;
  children?: Explanation[];
}

export interface CompiledRule {
  readonly rule: Rule;
  readonly dependencies: Dependencies;
  /** Whether the subject matches at `now` (epoch ms). */
  evaluate(subject: Subject, now: number): boolean;
  /** The same answer as `evaluate`, with each node's result and the reason of each failed leaf. */
  explain(subject: Subject, now: number): Explanation;
  /**
   * The earliest instant after `now` at which the result may change with no change to the subject's
   * data (a window moves past an event, a birthday comes near), or null if it never will. Conservative:
   * it may name an instant when nothing changes, never one after a change.
   */
  nextTransitionAt(subject: Subject, now: number): number | null;
}
