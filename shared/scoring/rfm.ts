import { type Digest, digestOf, emptyDigest, mergeDigests, quantile } from './sketch.ts';

/**
 * RFM scores in two passes over the customer base. The first pass builds one quantile digest per
 * dimension (per scan segment, merged); the cut points between score bins come from the merged
 * digests; the second pass scores each customer against them. Recency is "days since the last
 * purchase", so lower is better and scores run the other way.
 */

export interface RfmInput {
  /** Days since the last purchase; null for a customer who has not bought. */
  recencyDays: number | null;
  /** Purchase occasions. */
  frequency: number;
  /** Net revenue. */
  monetary: number;
}

export interface RfmPopulation {
  recency: Digest;
  frequency: Digest;
  monetary: Digest;
}

export interface RfmCutPoints {
  bins: number;
  recency: number[];
  frequency: number[];
  monetary: number[];
}

export interface RfmScore {
  /** 1..bins, or 0 for a customer with no purchase (no rank to give). */
  recency: number;
  frequency: number;
  monetary: number;
  /** Combined frequency-and-monetary score used by the segment map. */
  fm: number;
  segment: string;
}

export interface SegmentRule {
  name: string;
  recency: readonly [number, number];
  fm: readonly [number, number];
}

/** The customer that has never bought: its segment name, so "no scores" still reads as something. */
export const NO_PURCHASE_SEGMENT = 'Prospects';

/**
 * The usual 11-segment R x FM map (the grid popularized by Putler and the RFM literature), for 5 bins;
 * first match wins. With another bin count the settings must carry their own map, and validation checks
 * it covers every cell.
 */
export const DEFAULT_SEGMENTS: readonly SegmentRule[] = [
  { name: 'Champions', recency: [5, 5], fm: [4, 5] },
  { name: 'Loyal', recency: [3, 4], fm: [4, 5] },
  { name: 'Potential Loyalists', recency: [4, 5], fm: [2, 3] },
  { name: 'New Customers', recency: [5, 5], fm: [1, 1] },
  { name: 'Promising', recency: [4, 4], fm: [1, 1] },
  { name: 'Need Attention', recency: [3, 3], fm: [3, 3] },
  { name: 'About To Sleep', recency: [3, 3], fm: [1, 2] },
  { name: 'At Risk', recency: [1, 2], fm: [3, 4] },
  { name: "Can't Lose Them", recency: [1, 2], fm: [5, 5] },
  { name: 'Hibernating', recency: [2, 2], fm: [1, 2] },
  { name: 'Lost', recency: [1, 1], fm: [1, 2] },
];

export function emptyRfmPopulation(compression?: number): RfmPopulation {
  return {
    recency: emptyDigest(compression),
    frequency: emptyDigest(compression),
    monetary: emptyDigest(compression),
  };
}

/** First pass over one segment: only buyers have a rank, so prospects stay out of the quantiles. */
export function rfmPopulationOf(customers: Iterable<RfmInput>, compression?: number): RfmPopulation {
  const recency: number[] = [];
  const frequency: number[] = [];
  const monetary: number[] = [];
  for (const c of customers) {
    if (c.recencyDays === null || c.frequency <= 0) continue;
    recency.push(c.recencyDays);
    frequency.push(c.frequency);
    monetary.push(c.monetary);
  }
  return {
    recency: digestOf(recency, compression),
    frequency: digestOf(frequency, compression),
    monetary: digestOf(monetary, compression),
  };
}

export function mergeRfmPopulations(parts: readonly RfmPopulation[], compression?: number): RfmPopulation {
  return {
    recency: mergeDigests(
      parts.map((p) => p.recency),
      compression,
    ),
    frequency: mergeDigests(
      parts.map((p) => p.frequency),
      compression,
    ),
    monetary: mergeDigests(
      parts.map((p) => p.monetary),
      compression,
    ),
  };
}

/** The bins - 1 cut points of each dimension, at the 1/bins, 2/bins, ... quantiles. */
export function rfmCutPoints(population: RfmPopulation, bins: number): RfmCutPoints {
  const cuts = (d: Digest) => Array.from({ length: bins - 1 }, (_, i) => quantile(d, (i + 1) / bins));
  return {
    bins,
    recency: cuts(population.recency),
    frequency: cuts(population.frequency),
    monetary: cuts(population.monetary),
  };
}

/**
 * Higher is better: 1 + the number of cut points strictly below the value. Ties at a cut point go to
 * the lower bin, so when most customers bought once (cut points all 1) they share score 1 and anyone
 * who bought twice rises above them, which is what an operator expects.
 */
function scoreHigh(value: number, cuts: readonly number[]): number {
  let score = 1;
  for (const c of cuts) if (value > c) score++;
  return score;
}

/** Lower is better (recency): 1 + the number of cut points strictly above the value. */
function scoreLow(value: number, cuts: readonly number[]): number {
  let score = 1;
  for (const c of cuts) if (value < c) score++;
  return score;
}

export function scoreRfm(
  customer: RfmInput,
  cuts: RfmCutPoints,
  segments: readonly SegmentRule[] = DEFAULT_SEGMENTS,
): RfmScore {
  if (customer.recencyDays === null || customer.frequency <= 0) {
    return { recency: 0, frequency: 0, monetary: 0, fm: 0, segment: NO_PURCHASE_SEGMENT };
  }
  const recency = scoreLow(customer.recencyDays, cuts.recency);
  const frequency = scoreHigh(customer.frequency, cuts.frequency);
  const monetary = scoreHigh(customer.monetary, cuts.monetary);
  // Rounded half up, so F and M of 4 and 5 count as 5: a big spender is not pulled down a band.
  const fm = Math.floor((frequency + monetary + 1) / 2);
  return { recency, frequency, monetary, fm, segment: segmentOf(recency, fm, segments) };
}

export function segmentOf(recency: number, fm: number, segments: readonly SegmentRule[]): string {
  const rule = segments.find(
    (s) => recency >= s.recency[0] && recency <= s.recency[1] && fm >= s.fm[0] && fm <= s.fm[1],
  );
  // Validated settings cover every cell; this only guards a map edited around validation.
  return rule?.name ?? 'Unclassified';
}

/** Cells (recency, fm) of a bins x bins grid that no rule covers, for settings validation. */
export function uncoveredCells(segments: readonly SegmentRule[], bins: number): [number, number][] {
  const missing: [number, number][] = [];
  for (let r = 1; r <= bins; r++) {
    for (let fm = 1; fm <= bins; fm++) {
      if (segmentOf(r, fm, segments) === 'Unclassified') missing.push([r, fm]);
    }
  }
  return missing;
}
