import { checkSegmentReferences } from './cycles.ts';
import type { Rule } from './rule.ts';
import { scanCustomers } from './scan.ts';
import { allSegments, compileDraft, subjectContext } from './service.ts';
import { needsOf, subjectsOf } from './subjects.ts';

/**
 * How many customers a draft rule matches now, and a sample of them, by evaluating it over the whole
 * customer base in this process: a parallel scan of the customers' partitions, `SCAN_SEGMENTS` lanes at
 * once. Nothing is written. The sample is the first matches the scan meets (scan order is the hash order
 * of customer ids, so it is spread over the base, not the oldest customers).
 */

const SCAN_SEGMENTS = 8;
const PAGE_ITEMS = 1000;

export async function previewRule(rule: Rule, sampleSize: number) {
  const started = performance.now();
  // Refers only to segments that exist; a draft has no id of its own, so no cycle can reach it.
  const segments = new Map((await allSegments()).map((s) => [s.segmentId, s]));
  checkSegmentReferences('draft', rule, (id) => {
    const s = segments.get(id);
    if (!s) return undefined;
    return s.kind === 'dynamic' ? { kind: 'dynamic', rule: s.rule as Rule } : { kind: 'static' };
  });
  const compiled = await compileDraft(rule);
  const now = Date.now();
  const context = await subjectContext(now);
  const needs = needsOf([compiled.dependencies]);
  let count = 0;
  let customers = 0;
  const sample: string[] = [];
  await Promise.all(
    Array.from({ length: SCAN_SEGMENTS }, async (_, segment) => {
      let start: string | undefined;
      do {
        const page = await scanCustomers(segment, SCAN_SEGMENTS, start, PAGE_ITEMS);
        const subjects = await subjectsOf(page.customers, needs, context);
        for (const subject of subjects) {
          if (!subject) continue;
          customers++;
          if (!compiled.evaluate(subject, now)) continue;
          count++;
          if (sample.length < sampleSize) sample.push(subject.id);
        }
        start = page.next || undefined;
      } while (start);
    }),
  );
  return {
    count,
    customers,
    sample: sample.map((id) => ({ id })),
    dependencies: compiled.dependencies,
    tookMs: Math.round(performance.now() - started),
  };
}
