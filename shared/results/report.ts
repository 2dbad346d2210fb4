import { NotFoundError } from '../platform/errors.ts';
import { store } from '../store/service.ts';
import { compareArms } from './significance.ts';

type Counts = Record<string, number>;

/** Rates and what they are over: sending rates over sent, engagement over delivered. */
const RATES: [name: string, metric: string, over: string][] = [
  ['deliveryRate', 'delivered', 'sent'],
  ['bounceRate', 'bounced', 'sent'],
  ['complaintRate', 'complained', 'delivered'],
  ['openRate', 'opened', 'delivered'],
  ['clickRate', 'clicked', 'delivered'],
  ['clickToOpenRate', 'clicked', 'opened'],
  ['conversionRate', 'converted', 'delivered'],
  ['unsubscribeRate', 'unsubscribed', 'delivered'],
  ['sendRate', 'sent', 'targeted'],
];

/** Metrics compared between variants. */
const TESTED: [metric: string, over: string][] = [
  ['opened', 'delivered'],
  ['clicked', 'delivered'],
  ['converted', 'delivered'],
];

export function ratesOf(counts: Counts): Record<string, number | null> {
  return Object.fromEntries(
    RATES.map(([name, metric, over]) => {
      const denominator = counts[over] ?? 0;
      return [name, denominator > 0 ? (counts[metric] ?? 0) / denominator : null];
    }),
  );
}

function addInto(target: Counts, metric: string, n: number) {
  // Revenue sums are decimals; rounding to a hundredth of a cent hides binary floating-point noise.
  target[metric] = Math.round(((target[metric] ?? 0) + n) * 10_000) / 10_000;
}

/**
 * The results of a source, summed over the counter shards: per (run, variant, tier, channel), per variant,
 * in total, with rates and a test of each engagement rate between the variants.
 */
export async function readResults(source: string, run?: string) {
  const items = (
    await store()
      .entities.resultCounter.query.bySource({ source, ...(run !== undefined && { run }) })
      .go({ pages: 'all' })
  ).data;
  if (items.length === 0)
    throw new NotFoundError(`No results recorded for ${source}${run ? ` run ${run}` : ''}`);
  const rows = new Map<
    string,
    { run: string; variant: string; tier: string; channel: string; counts: Counts }
  >();
  const variants = new Map<string, Counts>();
  const total: Counts = {};
  for (const item of items) {
    const key = [item.run, item.variant, item.tier, item.channel].join('\u0000');
    let row = rows.get(key);
    if (!row) {
      row = { run: item.run, variant: item.variant, tier: item.tier, channel: item.channel, counts: {} };
      rows.set(key, row);
    }
    const n = item.n ?? 0;
    addInto(row.counts, item.metric, n);
    const byVariant = variants.get(item.variant) ?? {};
    variants.set(item.variant, byVariant);
    addInto(byVariant, item.metric, n);
    addInto(total, item.metric, n);
  }
  const variantList = [...variants.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([variant, counts]) => ({ variant, counts, rates: ratesOf(counts) }));
  const significance =
    variantList.length < 2
      ? []
      : TESTED.flatMap(([metric, over]) => {
          const result = compareArms(
            variantList.map((v) => ({ trials: v.counts[over] ?? 0, successes: v.counts[metric] ?? 0 })),
          );
          return result ? [{ metric, over, ...result }] : [];
        });
  return {
    source,
    ...(run !== undefined && { run }),
    total: { counts: total, rates: ratesOf(total) },
    rows: [...rows.values()]
      .sort((a, b) =>
        `${a.run}${a.variant}${a.tier}${a.channel}`.localeCompare(
          `${b.run}${b.variant}${b.tier}${b.channel}`,
        ),
      )
      .map((r) => ({ ...r, rates: ratesOf(r.counts) })),
    variants: variantList,
    significance,
  };
}
