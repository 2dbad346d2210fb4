import type { Rule } from './rule.ts';
import type { CompiledRule, CompileOptions } from './types.ts';

/** Compiles a validated rule (see parseRule) into closures built once. */
export function compile(rule: Rule, options: CompileOptions = {}): CompiledRule {
  void rule;
  void options;
  throw new Error('segments: compile not yet implemented');
}
