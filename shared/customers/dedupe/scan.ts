import { createHash } from 'node:crypto';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createConversions } from 'electrodb';
import type { DedupeMessage } from '../../../events/schemas/index.ts';
import { envNames } from '../../../functions/env-names.ts';
import { documentClient } from '../../platform/aws.ts';
import { queueUrl, tableNameFromEnv } from '../../platform/config.ts';
import { NotFoundError } from '../../platform/errors.ts';
import { newId, shardOf } from '../../platform/ids.ts';
import { log } from '../../platform/log.ts';
import { sqsClient } from '../../platform/sqs.ts';
import { batchGet, batchPut, type Key } from '../../store/batch-io.ts';
import { countOnce } from '../../store/markers.ts';
import { store } from '../../store/service.ts';
import { tableDefinition } from '../../store/table.ts';
import { blockingKeys, MAX_BLOCK } from './blocking.ts';
import { type DedupeProfile, type Features, featuresOf } from './features.ts';
import { pairIdOf } from './pair.ts';
import { scorePair } from './score.ts';

/**
 * A duplicate-detection scan as a pipeline over the `dedupe` queue, a page of work per message:
 *
 *   plan     -> one `segment` message per parallel-scan segment of the table
 *   segment  -> reads a page of customer profiles, writes their block entries, hands on the next page;
 *               the last segment to finish enqueues one `score` message per block shard
 *   score    -> reads a page of one shard's blocks, scores the pairs in each, writes candidate pairs;
 *               the last shard to finish counts the candidates and marks the scan done
 *
 * Every page ends in one transaction: its done marker (attribute_not_exists) and its counts added to
 * the scan. A redelivered page finds its marker and only hands the work on, so counters stay exact and
 * block entries and pairs (deterministic keys) are never written twice.
 */

/** Block write shards per scan. */
export const BLOCK_SHARDS = 32;
/** Items a segment page evaluates (profiles and everything else in the table). */
const SEGMENT_PAGE_ITEMS = 1000;
/** Block entries a score page reads before it stops at the next block boundary. */
const SCORE_PAGE_ENTRIES = 4000;
/** Scans, their pairs, markers and block entries are dropped by TTL after this. */
const RETENTION_SECONDS = 14 * 86_400;
/** Attributes of a profile that detection reads; `emails` and `phones` where profiles keep them. */
export const PROFILE_ATTRIBUTES = [
  'customerId',
  'externalId',
  'email',
  'emails',
  'phone',
  'phones',
  'name',
  'givenName',
  'familyName',
  'birthday',
  'address',
] as const;

const { partitionKey, sortKey } = tableDefinition;
type Scan = NonNullable<Awaited<ReturnType<typeof readScan>>>;

export interface ScanView {
  id: string;
  status: 'blocking' | 'scoring' | 'done';
  minScore: number;
  createdAt: string;
  completedAt?: string;
  progress: {
    segments: { done: number; total: number };
    shards: { done: number; total: number };
    customersRead: number;
    blockingKeys: number;
    blocks: number;
    blocksSkipped: number;
    comparisons: number;
    candidates?: number;
  };
}

export function toScanView(scan: Scan): ScanView {
  return {
    id: scan.scanId,
    status: scan.status,
    minScore: scan.minScore,
    createdAt: scan.createdAt,
    ...(scan.completedAt && { completedAt: scan.completedAt }),
    progress: {
      segments: { done: scan.segmentsDone, total: scan.segments },
      shards: { done: scan.shardsDone, total: scan.shards },
      customersRead: scan.customersRead,
      blockingKeys: scan.blockingKeys,
      blocks: scan.blocks,
      blocksSkipped: scan.blocksSkipped,
      comparisons: scan.comparisons,
      ...(scan.candidates !== undefined && { candidates: scan.candidates }),
    },
  };
}

async function readScan(scanId: string) {
  return (await store().entities.dedupeScan.get({ scanId }).go({ consistent: true })).data;
}

export async function getScan(scanId: string): Promise<ScanView> {
  const scan = await readScan(scanId);
  if (!scan) throw new NotFoundError(`Scan ${scanId} does not exist (or has expired)`);
  return toScanView(scan);
}

export async function startScan(
  input: { minScore: number; segments: number },
  actor: { keyId: string },
): Promise<ScanView> {
  const now = new Date();
  const scan = {
    scanId: newId(),
    status: 'blocking' as const,
    minScore: input.minScore,
    segments: input.segments,
    shards: BLOCK_SHARDS,
    segmentsDone: 0,
    shardsDone: 0,
    customersRead: 0,
    blockingKeys: 0,
    blocks: 0,
    blocksSkipped: 0,
    comparisons: 0,
    requestedBy: actor.keyId,
    createdAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + RETENTION_SECONDS,
  };
  await store().entities.dedupeScan.create(scan).go();
  await send([{ kind: 'plan', scanId: scan.scanId }]);
  return toScanView(scan);
}

async function send(messages: DedupeMessage[]): Promise<void> {
  const url = queueUrl(envNames.queueUrl('dedupe'));
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages
      .slice(i, i + 10)
      .map((m, j) => ({ Id: String(j), MessageBody: JSON.stringify(m) }));
    const result = await sqsClient().send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    if (result.Failed?.length) throw new Error(`SQS refused ${result.Failed.length} dedupe messages`);
  }
}

/** One message's work. Safe to repeat. */
export async function runStep(message: DedupeMessage): Promise<void> {
  const scan = await readScan(message.scanId);
  if (!scan) {
    log.warn('dedupe message for a scan that no longer exists', { scanId: message.scanId });
    return;
  }
  if (message.kind === 'plan') {
    await send(
      Array.from({ length: scan.segments }, (_, segment) => ({
        kind: 'segment' as const,
        scanId: scan.scanId,
        segment,
        page: 0,
      })),
    );
    return;
  }
  if (message.kind === 'segment') await segmentPage(scan, message);
  else await scorePage(scan, message);
}

function builders() {
  const s = store().entities;
  const tableKey = (keys: Record<string, string | number>): Key => ({
    [partitionKey]: String(keys[partitionKey]),
    [sortKey]: String(keys[sortKey]),
  });
  const customer = createConversions(s.customer).byAccessPattern.byId.fromComposite;
  const dismissal = createConversions(s.dedupeDismissal).byAccessPattern.byPair.fromComposite;
  const entryKeys = createConversions(s.dedupeBlockEntry).fromComposite;
  const pairKeys = createConversions(s.dedupePair).fromComposite;
  const identifiers = (entity: { schema: { model: { entity: string; version: string } } }) => ({
    __edb_e__: entity.schema.model.entity,
    __edb_v__: entity.schema.model.version,
  });
  return {
    customer: (customerId: string) => tableKey(customer.toKeys({ customerId })),
    /** The key prefix shared by every profile item, for recognising them in a table scan. */
    profileKey: tableKey(customer.toKeys({ customerId: '' })),
    dismissal: (pairId: string) => tableKey(dismissal.toKeys({ pairId })),
    blockPartition: (scanId: string, shard: number) =>
      String(
        createConversions(s.dedupeBlockEntry).byAccessPattern.byBlock.fromComposite.toKeys({
          scanId,
          shard,
          block: '',
          customerId: '',
        })[partitionKey],
      ),
    entryItem: (item: {
      scanId: string;
      shard: number;
      block: string;
      customerId: string;
      expiresAt: number;
    }) => ({
      ...item,
      ...entryKeys.toKeys(item),
      ...identifiers(s.dedupeBlockEntry),
    }),
    pairItem: (item: Record<string, unknown> & { scanId: string; pairId: string; rank: string }) => ({
      ...item,
      ...pairKeys.toKeys(item),
      ...identifiers(s.dedupePair),
    }),
  };
}
let built: ReturnType<typeof builders> | undefined;
const build = () => {
  built ??= builders();
  return built;
};

/** Block name as stored: the key's kind and 20 characters of its SHA-1, never the value itself. */
export function blockName(kind: string, key: string): string {
  return `${kind}.${createHash('sha1').update(key).digest('base64url').slice(0, 20)}`;
}

/**
 * Creates a page's done marker and adds its counts to the scan, in one transaction. False when the
 * marker existed (the page was done before). Transactions on the one scan item can collide; those are
 * retried here with back-off.
 */
async function completeStep(
  scanId: string,
  step: string,
  next: string,
  counts: Partial<
    Record<
      | 'segmentsDone'
      | 'shardsDone'
      | 'customersRead'
      | 'blockingKeys'
      | 'blocks'
      | 'blocksSkipped'
      | 'comparisons',
      number
    >
  >,
  expiresAt: number,
): Promise<boolean> {
  return countOnce(`dedupe step ${step} of scan ${scanId}`, ({ dedupeStep, dedupeScan }) => [
    dedupeStep.create({ scanId, step, next, expiresAt }).commit(),
    dedupeScan.patch({ scanId }).add(counts).commit(),
  ]);
}

async function stepDone(scanId: string, step: string) {
  return (await store().entities.dedupeStep.get({ scanId, step }).go({ consistent: true })).data;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

async function segmentPage(scan: Scan, message: Extract<DedupeMessage, { kind: 'segment' }>): Promise<void> {
  const step = `seg#${pad(message.segment, 4)}#${pad(message.page, 6)}`;
  const done = await stepDone(scan.scanId, step);
  if (done) return handOnSegment(scan, message, done.next);
  const b = build();
  const page = await documentClient().send(
    new ScanCommand({
      TableName: tableNameFromEnv(),
      Segment: message.segment,
      TotalSegments: scan.segments,
      Limit: SEGMENT_PAGE_ITEMS,
      ...(message.startKey && { ExclusiveStartKey: JSON.parse(message.startKey) as Record<string, unknown> }),
      FilterExpression: '#sk = :sk AND begins_with(#pk, :pk)',
      ProjectionExpression: PROFILE_ATTRIBUTES.map((_, i) => `#a${i}`).join(', '),
      ExpressionAttributeNames: {
        '#pk': partitionKey,
        '#sk': sortKey,
        ...Object.fromEntries(PROFILE_ATTRIBUTES.map((a, i) => [`#a${i}`, a])),
      },
      ExpressionAttributeValues: { ':pk': b.profileKey[partitionKey], ':sk': b.profileKey[sortKey] },
    }),
  );
  const entries = [];
  const profiles = (page.Items ?? []) as DedupeProfile[];
  for (const profile of profiles) {
    for (const { kind, key } of blockingKeys(featuresOf(profile))) {
      const block = blockName(kind, key);
      entries.push(
        b.entryItem({
          scanId: scan.scanId,
          shard: shardOf(block, scan.shards),
          block,
          customerId: profile.customerId,
          expiresAt: scan.expiresAt,
        }),
      );
    }
  }
  await batchPut(documentClient(), tableNameFromEnv(), entries);
  const next = page.LastEvaluatedKey ? JSON.stringify(page.LastEvaluatedKey) : '';
  const created = await completeStep(
    scan.scanId,
    step,
    next,
    { customersRead: profiles.length, blockingKeys: entries.length, segmentsDone: next ? 0 : 1 },
    scan.expiresAt,
  );
  const recorded = created ? next : ((await stepDone(scan.scanId, step))?.next ?? next);
  await handOnSegment(scan, message, recorded);
}

async function handOnSegment(scan: Scan, message: Extract<DedupeMessage, { kind: 'segment' }>, next: string) {
  if (next) {
    await send([
      {
        kind: 'segment',
        scanId: scan.scanId,
        segment: message.segment,
        page: message.page + 1,
        startKey: next,
      },
    ]);
    return;
  }
  const now = await readScan(scan.scanId);
  if (now?.status !== 'blocking' || now.segmentsDone < now.segments) return;
  // Every segment is in: score. Two segments finishing at once may both get here; pages are idempotent.
  await send(
    Array.from({ length: now.shards }, (_, shard) => ({
      kind: 'score' as const,
      scanId: now.scanId,
      shard,
      page: 0,
    })),
  );
  await store()
    .entities.dedupeScan.patch({ scanId: now.scanId })
    .set({ status: 'scoring' })
    .where((attr, op) => op.eq(attr.status, 'blocking'))
    .go()
    .catch((error: { cause?: { name?: string } }) => {
      if (error.cause?.name !== 'ConditionalCheckFailedException') throw error;
    });
}

interface Block {
  name: string;
  members: string[];
}

/** Reads whole blocks of one shard from `after` on, stopping at the first block boundary past the page size. */
async function readBlocks(scan: Scan, shard: number, after: string | undefined) {
  const blocks: Block[] = [];
  let entries = 0;
  let exclusiveStartKey: Record<string, unknown> | undefined;
  let current: Block | undefined;
  let last = after ?? '';
  for (;;) {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: tableNameFromEnv(),
        KeyConditionExpression: after ? '#pk = :pk AND #sk > :after' : '#pk = :pk',
        ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
        ExpressionAttributeValues: {
          ':pk': build().blockPartition(scan.scanId, shard),
          ...(after && { ':after': after }),
        },
        ProjectionExpression: '#sk',
        ...(exclusiveStartKey && { ExclusiveStartKey: exclusiveStartKey }),
      }),
    );
    for (const item of page.Items ?? []) {
      const sk = String(item[sortKey]);
      const cut = sk.lastIndexOf('#');
      const name = sk.slice(0, cut);
      if (current?.name !== name) {
        if (current && entries >= SCORE_PAGE_ENTRIES) return { blocks, next: last };
        current = { name, members: [] };
        blocks.push(current);
      }
      // An oversized block is only counted: its members are not kept.
      if (current.members.length <= MAX_BLOCK) current.members.push(sk.slice(cut + 1));
      else current.members.length = MAX_BLOCK + 1;
      entries++;
      last = sk;
    }
    exclusiveStartKey = page.LastEvaluatedKey;
    if (!exclusiveStartKey) return { blocks, next: '' };
  }
}

async function scorePage(scan: Scan, message: Extract<DedupeMessage, { kind: 'score' }>): Promise<void> {
  const step = `score#${pad(message.shard, 4)}#${pad(message.page, 6)}`;
  const done = await stepDone(scan.scanId, step);
  if (done) return handOnScore(scan, message, done.next);
  const b = build();
  const { blocks, next } = await readBlocks(scan, message.shard, message.after);
  const scored = blocks.filter((block) => block.members.length >= 2 && block.members.length <= MAX_BLOCK);
  const ids = [...new Set(scored.flatMap((block) => block.members))];
  const items = await batchGet(documentClient(), tableNameFromEnv(), ids.map(b.customer), PROFILE_ATTRIBUTES);
  const features = new Map<string, Features>(
    items.map((item) => [String(item.customerId), featuresOf(item as unknown as DedupeProfile)]),
  );
  let comparisons = 0;
  const found = new Map<string, { a: string; b: string; score: number; reasons: unknown }>();
  for (const block of scored) {
    const members = block.members.filter((id) => features.has(id));
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        const x = members[i] as string;
        const y = members[j] as string;
        const pairId = pairIdOf(x, y);
        if (found.has(pairId)) continue;
        const [lo, hi] = x < y ? [x, y] : [y, x];
        comparisons++;
        const result = scorePair(features.get(lo) as Features, features.get(hi) as Features);
        if (result.score >= scan.minScore) found.set(pairId, { a: lo, b: hi, ...result });
      }
    }
  }
  const dismissed = new Set(
    (
      await batchGet(documentClient(), tableNameFromEnv(), [...found.keys()].map(b.dismissal), ['pairId'])
    ).map((d) => String(d.pairId)),
  );
  const foundAt = new Date().toISOString();
  const pairs = [...found]
    .filter(([pairId]) => !dismissed.has(pairId))
    .map(([pairId, pair]) =>
      b.pairItem({
        scanId: scan.scanId,
        pairId,
        ...pair,
        rank: rankOf(pair.score),
        foundAt,
        expiresAt: scan.expiresAt,
      }),
    );
  await batchPut(documentClient(), tableNameFromEnv(), pairs);
  const created = await completeStep(
    scan.scanId,
    step,
    next,
    {
      blocks: blocks.filter((block) => block.members.length >= 2).length,
      blocksSkipped:
        blocks.length - scored.length - blocks.filter((block) => block.members.length < 2).length,
      comparisons,
      shardsDone: next ? 0 : 1,
    },
    scan.expiresAt,
  );
  const recorded = created ? next : ((await stepDone(scan.scanId, step))?.next ?? next);
  await handOnScore(scan, message, recorded);
}

/** Ascending rank is descending score: 1.0 -> 0000, 0.5 -> 0500. */
export function rankOf(score: number): string {
  return pad(1000 - Math.round(score * 1000), 4);
}

async function handOnScore(scan: Scan, message: Extract<DedupeMessage, { kind: 'score' }>, next: string) {
  if (next) {
    await send([
      { kind: 'score', scanId: scan.scanId, shard: message.shard, page: message.page + 1, after: next },
    ]);
    return;
  }
  const now = await readScan(scan.scanId);
  if (now?.status !== 'scoring' || now.shardsDone < now.shards) return;
  const candidates = await countPairs(now.scanId);
  await store()
    .entities.dedupeScan.patch({ scanId: now.scanId })
    .set({ status: 'done', candidates, completedAt: new Date().toISOString() })
    .where((attr, op) => op.eq(attr.status, 'scoring'))
    .go()
    .catch((error: { cause?: { name?: string } }) => {
      if (error.cause?.name !== 'ConditionalCheckFailedException') throw error;
    });
  log.info('dedupe scan done', { scanId: now.scanId, candidates });
}

/** Pairs are one item each whichever blocks found them, so the count is exact. */
async function countPairs(scanId: string): Promise<number> {
  const pk = String(
    createConversions(store().entities.dedupePair).byAccessPattern.byPair.fromComposite.toKeys({
      scanId,
      pairId: '',
    })[partitionKey],
  );
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: tableNameFromEnv(),
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': partitionKey },
        ExpressionAttributeValues: { ':pk': pk },
        Select: 'COUNT',
        ...(start && { ExclusiveStartKey: start }),
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}
