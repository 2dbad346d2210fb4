import { ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../shared/platform/aws.ts';

/**
 * The raw baseline of the scan-based pipelines: a parallel Scan with `segments` segments and 1,000-item
 * pages, nothing done per item but counting. Best of `passes` passes: the scan is short, so one pass is
 * at the mercy of whatever else the machine does. `counts` says which items count as rows (all of them
 * when absent). Import it inside a benchmark body (the document client reads the stack's endpoints).
 */
export async function fastestParallelScan(
  input: Omit<ScanCommandInput, 'Segment' | 'TotalSegments' | 'Limit' | 'ExclusiveStartKey'>,
  segments: number,
  counts: (item: Record<string, unknown>) => boolean = () => true,
  passes = 3,
): Promise<{ seconds: number; items: number; rows: number; rate: number }> {
  let best = { seconds: Number.POSITIVE_INFINITY, items: 0, rows: 0 };
  for (let pass = 0; pass < passes; pass++) {
    const started = performance.now();
    const perSegment = await Promise.all(
      Array.from({ length: segments }, async (_, segment) => {
        let items = 0;
        let rows = 0;
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await documentClient().send(
            new ScanCommand({
              ...input,
              Segment: segment,
              TotalSegments: segments,
              Limit: 1000,
              ...(startKey && { ExclusiveStartKey: startKey }),
            }),
          );
          for (const item of page.Items ?? []) if (counts(item)) rows++;
          items += page.Items?.length ?? 0;
          startKey = page.LastEvaluatedKey;
        } while (startKey);
        return { items, rows };
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    if (seconds < best.seconds) {
      best = {
        seconds,
        items: perSegment.reduce((n, s) => n + s.items, 0),
        rows: perSegment.reduce((n, s) => n + s.rows, 0),
      };
    }
  }
  return { ...best, rate: best.rows / best.seconds };
}
