import { type BlockKind, blockingKeys, MAX_BLOCK } from './blocking.ts';
import { type DedupeProfile, type Features, featuresOf } from './features.ts';
import { pairIdOf } from './pair.ts';
import type { Reason } from './reasons.ts';
import { DEFAULT_MIN_SCORE, scorePair } from './score.ts';

/**
 * Duplicate detection over a set of profiles in one process: the blocking and scoring the scan
 * workers run, put together without the table in between. Blocks are found by sorting (blocking-key
 * hash, customer) entries, as the workers find them by reading block partitions in key order.
 */
export interface Candidate {
  pairId: string;
  /** The lower customer id of the two. */
  a: string;
  b: string;
  score: number;
  reasons: Reason[];
}

export interface DetectionStats {
  customers: number;
  blockingKeys: number;
  /** Blocks with two or more customers. */
  blocks: number;
  blocksSkipped: number;
  blocksSkippedByKind: Partial<Record<BlockKind, number>>;
  /** Pairs inside skipped blocks, not compared there (they may still meet in another block). */
  pairsSkipped: number;
  /** Distinct pairs scored: each unordered pair once, in the first block that holds both. */
  pairsCompared: number;
  candidates: number;
}

export interface DetectionOptions {
  minScore?: number;
  maxBlock?: number;
}

const KIND_CODES: Record<BlockKind, number> = { e: 0, l: 1, p: 2, c: 3, b: 4, x: 5 };
const KINDS = Object.keys(KIND_CODES) as BlockKind[];

/** A 40-bit hash of a blocking key: its kind in the top 3 bits, 37 bits of two FNV-1a variants below. */
export function keyNumber(kind: BlockKind, key: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return KIND_CODES[kind] * 2 ** 37 + (h1 >>> 0) * 32 + ((h2 >>> 0) & 31);
}

const INDEX_BITS = 24n;
const INDEX_MASK = (1n << INDEX_BITS) - 1n;

export function detectDuplicates(
  profiles: readonly DedupeProfile[],
  options: DetectionOptions = {},
): { candidates: Candidate[]; stats: DetectionStats } {
  const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
  const maxBlock = options.maxBlock ?? MAX_BLOCK;
  if (profiles.length >= 2 ** Number(INDEX_BITS)) throw new Error('Too many profiles for one detection run');

  const features: Features[] = new Array(profiles.length);
  const keyStart = new Uint32Array(profiles.length + 1);
  const keyList: number[] = [];
  for (let i = 0; i < profiles.length; i++) {
    const f = featuresOf(profiles[i] as DedupeProfile);
    features[i] = f;
    keyStart[i] = keyList.length;
    for (const { kind, key } of blockingKeys(f)) keyList.push(keyNumber(kind, key));
  }
  keyStart[profiles.length] = keyList.length;

  const entries = new BigUint64Array(keyList.length);
  for (let i = 0; i < profiles.length; i++) {
    for (let k = keyStart[i] as number; k < (keyStart[i + 1] as number); k++) {
      entries[k] = (BigInt(keyList[k] as number) << INDEX_BITS) | BigInt(i);
    }
  }
  entries.sort();

  const stats: DetectionStats = {
    customers: profiles.length,
    blockingKeys: keyList.length,
    blocks: 0,
    blocksSkipped: 0,
    blocksSkippedByKind: {},
    pairsSkipped: 0,
    pairsCompared: 0,
    candidates: 0,
  };

  // First pass: block sizes, so a pair is scored in the first block both share that is not skipped.
  const runs: { start: number; end: number; key: number }[] = [];
  const skipped = new Set<number>();
  for (let start = 0; start < entries.length; ) {
    const key = Number((entries[start] as bigint) >> INDEX_BITS);
    let end = start + 1;
    while (end < entries.length && Number((entries[end] as bigint) >> INDEX_BITS) === key) end++;
    const size = end - start;
    if (size >= 2) {
      stats.blocks++;
      if (size > maxBlock) {
        skipped.add(key);
        stats.blocksSkipped++;
        const kind = KINDS[Math.floor(key / 2 ** 37)] as BlockKind;
        stats.blocksSkippedByKind[kind] = (stats.blocksSkippedByKind[kind] ?? 0) + 1;
        stats.pairsSkipped += (size * (size - 1)) / 2;
      } else runs.push({ start, end, key });
    }
    start = end;
  }

  const firstSharedKey = (x: number, y: number): number => {
    let first = Number.POSITIVE_INFINITY;
    for (let i = keyStart[x] as number; i < (keyStart[x + 1] as number); i++) {
      const k = keyList[i] as number;
      if (k >= first || skipped.has(k)) continue;
      for (let j = keyStart[y] as number; j < (keyStart[y + 1] as number); j++) {
        if (keyList[j] === k) {
          first = k;
          break;
        }
      }
    }
    return first;
  };

  const candidates: Candidate[] = [];
  const members: number[] = [];
  for (const run of runs) {
    members.length = 0;
    for (let e = run.start; e < run.end; e++) members.push(Number((entries[e] as bigint) & INDEX_MASK));
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        const x = members[i] as number;
        const y = members[j] as number;
        if (x === y || firstSharedKey(x, y) !== run.key) continue;
        const fx = features[x] as Features;
        const fy = features[y] as Features;
        const [lo, hi] = fx.customerId < fy.customerId ? [fx, fy] : [fy, fx];
        stats.pairsCompared++;
        const { score, reasons } = scorePair(lo, hi);
        if (score >= minScore) {
          candidates.push({
            pairId: pairIdOf(lo.customerId, hi.customerId),
            a: lo.customerId,
            b: hi.customerId,
            score,
            reasons,
          });
        }
      }
    }
  }
  candidates.sort((p, q) => q.score - p.score || (p.pairId < q.pairId ? -1 : p.pairId > q.pairId ? 1 : 0));
  stats.candidates = candidates.length;
  return { candidates, stats };
}
