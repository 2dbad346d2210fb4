import type { Rule } from './rule.ts';
import type { Subject } from './subject.ts';
import type { CompileOptions } from './types.ts';

/**
 * The naive reference evaluator: the rule language read straight off the tree, plainly and slowly, with
 * no code shared with compile.ts. The property test holds the compiled evaluator to it.
 */
export function evaluateReference(
  rule: Rule,
  subject: Subject,
  now: number,
  options: CompileOptions = {},
): boolean {
  void rule;
  void subject;
  void now;
  void options;
  throw new Error('segments: reference evaluator not yet implemented');
}
