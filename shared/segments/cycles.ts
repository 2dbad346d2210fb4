import { ValidationError } from '../platform/errors.ts';
import type { Rule, SegmentDefinition } from './rule.ts';

/** Segment ids a rule refers to, each with the path of its first mention. */
export function referencedSegments(
  rule: Rule,
  path = 'rule',
  out = new Map<string, string>(),
): Map<string, string> {
  if ('and' in rule) {
    for (const [i, r] of rule.and.entries()) referencedSegments(r, `${path}.and[${i}]`, out);
  } else if ('or' in rule) {
    for (const [i, r] of rule.or.entries()) referencedSegments(r, `${path}.or[${i}]`, out);
  } else if ('not' in rule) referencedSegments(rule.not, `${path}.not`, out);
  else if ('segment' in rule && !out.has(rule.segment.id)) out.set(rule.segment.id, `${path}.segment.id`);
  return out;
}

/**
 * Rejects a rule for segment `segmentId` that refers to a segment that does not exist, or that leads
 * back to `segmentId` through other segments' rules. `resolve` gives another segment's definition
 * (undefined when there is none); static segments refer to nothing.
 */
export function checkSegmentReferences(
  segmentId: string,
  rule: Rule,
  resolve: (id: string) => SegmentDefinition | undefined,
  location = 'rule',
): void {
  for (const [id, path] of referencedSegments(rule, location)) {
    if (id === segmentId) throw ValidationError.field(path, 'refers to the segment itself');
    const seen = new Set<string>([segmentId]);
    const chain: string[] = [];
    const cycle = walk(id);
    if (cycle === 'missing')
      throw ValidationError.field(path, `refers to segment ${id}, which does not exist`);
    if (cycle) {
      throw ValidationError.field(path, `makes a cycle: ${[segmentId, ...chain, segmentId].join(' -> ')}`);
    }

    function walk(current: string): boolean | 'missing' {
      const definition = resolve(current);
      if (!definition) return chain.length === 0 ? 'missing' : false;
      chain.push(current);
      if (definition.kind === 'dynamic') {
        for (const next of referencedSegments(definition.rule).keys()) {
          if (next === segmentId) return true;
          if (seen.has(next)) continue;
          seen.add(next);
          if (walk(next) === true) return true;
        }
      }
      chain.pop();
      return false;
    }
  }
}
