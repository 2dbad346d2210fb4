/** Segment rules, the pure part: language, compiler, reference evaluator. No I/O here. */
export { compile } from './compile.ts';
export { checkSegmentReferences, referencedSegments } from './cycles.ts';
export { evaluateReference } from './reference.ts';
export * from './rule.ts';
export type * from './subject.ts';
export type * from './types.ts';
