import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { createConversions, type EntityItem } from 'electrodb';
import { listTopics } from '../consent/topics.ts';
import { survivorOf } from '../customers/service.ts';
import { documentClient } from '../platform/aws.ts';
import { tableNameFromEnv } from '../platform/config.ts';
import { withClientCursor } from '../platform/cursor.ts';
import {
  NotFoundError,
  PreconditionFailedError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { scoringSettings } from '../scoring/settings-store.ts';
import type { Segment } from '../store/entities/segment.ts';
import { store } from '../store/service.ts';
import { tableDefinition } from '../store/table.ts';
import { compile } from './compile.ts';
import { checkSegmentReferences } from './cycles.ts';
import { applyEvaluations, readMembership } from './membership.ts';
import type { Rule, SegmentDefinition } from './rule.ts';
import type { SegmentCreateInput, SegmentPatchInput, StaticMemberRef } from './schema.ts';
import { loadSubject, needsOf, type SubjectContext } from './subjects.ts';
import type { CompiledRule } from './types.ts';

export type SegmentItem = EntityItem<Segment>;

/** Size points kept on a segment. */
export const SIZE_HISTORY = 100;
const DEFAULT_FRESHNESS_MINUTES = 60;
/** Members a shard is sized for: the shard count is expectedSize / this, within the bounds below. */
const MEMBERS_PER_SHARD = 10_000;
const MIN_SHARDS = 4;
const MAX_SHARDS = 256;

export function shardsFor(expectedSize: number | undefined): number {
  if (expectedSize === undefined) return 16;
  return Math.min(MAX_SHARDS, Math.max(MIN_SHARDS, Math.ceil(expectedSize / MEMBERS_PER_SHARD)));
}

export async function readSegment(segmentId: string, consistent = false): Promise<SegmentItem | undefined> {
  return (await store().entities.segment.get({ segmentId }).go({ consistent })).data ?? undefined;
}

export async function requireSegment(segmentId: string): Promise<SegmentItem> {
  const segment = await readSegment(segmentId, true);
  if (!segment) throw new NotFoundError(`Segment ${segmentId} does not exist`);
  return segment;
}

/** Every segment (they are few: one query of the listing index). */
export async function allSegments(): Promise<SegmentItem[]> {
  return (await store().entities.segment.query.all({}).go({ pages: 'all' })).data;
}

function definitionOf(s: SegmentItem): SegmentDefinition {
  return s.kind === 'dynamic' ? { kind: 'dynamic', rule: s.rule as Rule } : { kind: 'static' };
}

async function checkReferences(segmentId: string, rule: Rule): Promise<void> {
  const others = new Map((await allSegments()).map((s) => [s.segmentId, s]));
  checkSegmentReferences(segmentId, rule, (id) => {
    const s = others.get(id);
    return s ? definitionOf(s) : undefined;
  });
}

/** Compile options of this stage: topic defaults for consent rules. */
async function compileOptions() {
  const topics = await listTopics();
  return { topicDefaults: Object.fromEntries(topics.map((t) => [t.topic, t.defaultStatus])) };
}

const compiled = new Map<string, CompiledRule>();

/** A segment's rule compiled once per version (and process). */
export async function compiledRule(segment: SegmentItem): Promise<CompiledRule> {
  const key = `${segment.segmentId}@${segment.version}`;
  let rule = compiled.get(key);
  if (!rule) {
    rule = compile(segment.rule as Rule, await compileOptions());
    compiled.set(key, rule);
  }
  return rule;
}

export async function compileDraft(rule: Rule): Promise<CompiledRule> {
  return compile(rule, await compileOptions());
}

export async function subjectContext(now: number): Promise<SubjectContext> {
  const settings = await scoringSettings();
  return { now, currency: settings.currency.base, windowDays: settings.aggregates.windowDays };
}

const { partitionKey, sortKey } = tableDefinition;

/** Current size: the sum of the shard counters (read together, eventually consistent). */
export async function segmentSize(segment: Pick<SegmentItem, 'segmentId' | 'shards'>): Promise<number> {
  const toKeys = createConversions(store().entities.segmentShardCount).byAccessPattern.byShard.fromComposite
    .toKeys;
  const keys = Array.from({ length: segment.shards }, (_, shard) => {
    const k = toKeys({ segmentId: segment.segmentId, shard }) as Record<string, string>;
    return { [partitionKey]: k[partitionKey], [sortKey]: k[sortKey] };
  });
  let size = 0;
  for (let i = 0; i < keys.length; i += 100) {
    let request:
      | Record<string, { Keys: Record<string, unknown>[]; ProjectionExpression: string }>
      | undefined = {
      [tableNameFromEnv()]: { Keys: keys.slice(i, i + 100), ProjectionExpression: '#c' },
    };
    while (request && Object.keys(request).length > 0) {
      const table: string = tableNameFromEnv();
      const result = await documentClient().send(
        new BatchGetCommand({
          RequestItems: Object.fromEntries(
            Object.entries(request).map(([t, r]) => [
              t,
              { ...r, ExpressionAttributeNames: { '#c': 'count' } },
            ]),
          ),
        }),
      );
      for (const item of result.Responses?.[table] ?? []) size += Number(item.count ?? 0);
      request = result.UnprocessedKeys as typeof request;
    }
  }
  return size;
}

export function etagOf(segment: SegmentItem): string {
  return `"${segment.version}"`;
}

export async function segmentView(segment: SegmentItem) {
  return {
    id: segment.segmentId,
    name: segment.name,
    ...(segment.description !== undefined && { description: segment.description }),
    kind: segment.kind,
    ...(segment.kind === 'dynamic' && { rule: segment.rule as Rule }),
    status: segment.status,
    freshnessMinutes: segment.freshnessMinutes,
    shards: segment.shards,
    size: await segmentSize(segment),
    sizeHistory: (segment.sizeHistory as { at: string; size: number }[]).slice(-SIZE_HISTORY),
    version: segment.version,
    createdAt: segment.createdAt,
    updatedAt: segment.updatedAt,
  };
}
export type SegmentView = Awaited<ReturnType<typeof segmentView>>;

/** The customers an uploaded list names, in order; a reference no customer answers to is a 422. */
async function resolveMembers(refs: readonly StaticMemberRef[]): Promise<string[]> {
  const errors: { path: string; message: string }[] = [];
  const ids = await Promise.all(
    refs.map(async (ref, i) => {
      let id: string | undefined;
      if (ref.id !== undefined) {
        const target = await survivorOf(ref.id);
        const profile = await store().entities.customer.get({ customerId: target }).go();
        id = profile.data ? target : undefined;
      } else {
        const kind = ref.email !== undefined ? 'email' : 'externalId';
        const value = ref.email !== undefined ? ref.email.trim().toLowerCase() : (ref.externalId as string);
        const identity = await store().entities.identity.get({ kind, value }).go();
        id = identity.data?.customerId;
      }
      if (!id) errors.push({ path: `members[${i}]`, message: 'names no customer' });
      return id;
    }),
  );
  if (errors.length > 0) throw new UnprocessableError(errors);
  return [...new Set(ids as string[])];
}

export async function createSegment(input: SegmentCreateInput) {
  const segmentId = newId();
  const kind = input.kind ?? 'dynamic';
  if (kind === 'dynamic' && input.rule === undefined) {
    throw ValidationError.field('rule', 'is required for a dynamic segment');
  }
  if (kind === 'static' && input.rule !== undefined) {
    throw ValidationError.field('rule', 'is not allowed for a static segment (its members are a list)');
  }
  if (kind === 'dynamic' && input.members !== undefined) {
    throw ValidationError.field('members', 'apply to static segments only');
  }
  if (input.rule) await checkReferences(segmentId, input.rule);
  const members = kind === 'static' ? await resolveMembers(input.members ?? []) : [];
  const now = new Date().toISOString();
  const created = await store()
    .entities.segment.create({
      segmentId,
      name: input.name,
      ...(input.description !== undefined && { description: input.description }),
      kind,
      ...(input.rule !== undefined && { rule: input.rule }),
      status: 'active',
      freshnessMinutes: input.freshnessMinutes ?? DEFAULT_FRESHNESS_MINUTES,
      shards: shardsFor(input.expectedSize ?? (kind === 'static' ? members.length : undefined)),
      sizeHistory: [],
      version: 1,
      createdAt: now,
      updatedAt: now,
    })
    .go();
  const segment = created.data as SegmentItem;
  if (members.length > 0) {
    const evaluatedAt = Date.now();
    await applyEvaluations(
      members.map((customerId) => ({
        segment,
        evaluation: { segmentId, customerId, member: true, evaluatedAt, reason: 'static' },
      })),
    );
  }
  return segment;
}

function requireMatch(segment: SegmentItem, version: number): void {
  if (version !== segment.version) {
    throw new PreconditionFailedError(`The segment has changed (now ${etagOf(segment)}); read it again`);
  }
}

/** Updates a segment under If-Match; returns the new item and whether its membership must be recomputed. */
export async function patchSegment(segmentId: string, input: SegmentPatchInput, version: number) {
  const before = await requireSegment(segmentId);
  requireMatch(before, version);
  if (before.status === 'archived') {
    throw ValidationError.field('status', 'the segment is archived; archived segments do not change');
  }
  if (input.rule !== undefined) {
    if (before.kind === 'static') throw ValidationError.field('rule', 'is not allowed for a static segment');
    await checkReferences(segmentId, input.rule);
  }
  const set = {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.description !== undefined && { description: input.description }),
    ...(input.rule !== undefined && { rule: input.rule }),
    ...(input.freshnessMinutes !== undefined && { freshnessMinutes: input.freshnessMinutes }),
    version: before.version + 1,
    updatedAt: new Date().toISOString(),
  };
  try {
    const result = await store()
      .entities.segment.patch({ segmentId })
      .set(set)
      .where((attr, op) => op.eq(attr.version, before.version))
      .go({ response: 'all_new' });
    const reevaluate = input.rule !== undefined && JSON.stringify(input.rule) !== JSON.stringify(before.rule);
    return { segment: result.data as SegmentItem, reevaluate };
  } catch (error) {
    if ((error as { cause?: { name?: string } }).cause?.name === 'ConditionalCheckFailedException') {
      throw new PreconditionFailedError('The segment changed while it was being updated; read it again');
    }
    throw error;
  }
}

/** Archives a segment: no longer evaluated; a recomputation takes its members out. */
export async function archiveSegment(segmentId: string): Promise<{ segment: SegmentItem; changed: boolean }> {
  const before = await requireSegment(segmentId);
  if (before.status === 'archived') return { segment: before, changed: false };
  const result = await store()
    .entities.segment.patch({ segmentId })
    .set({ status: 'archived', version: before.version + 1, updatedAt: new Date().toISOString() })
    .go({ response: 'all_new' });
  return { segment: result.data as SegmentItem, changed: true };
}

export async function listSegments(options: { limit: number; cursor?: string; status?: string }) {
  const page = await withClientCursor(options.cursor, () =>
    store()
      .entities.segment.query.all({})
      .where((attr, op) =>
        options.status ? op.eq(attr.status, options.status as 'active' | 'archived') : '',
      )
      .go({ limit: options.limit, ...(options.cursor && { cursor: options.cursor }) }),
  );
  return {
    segments: await Promise.all(page.data.map(segmentView)),
    ...(page.cursor && { next: page.cursor }),
  };
}

interface MembersCursor {
  shard: number;
  after?: string;
}

function decodeMembersCursor(cursor: string | undefined, shards: number): MembersCursor {
  if (cursor === undefined) return { shard: 0 };
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as MembersCursor;
    if (
      Number.isInteger(c.shard) &&
      c.shard >= 0 &&
      c.shard < shards &&
      (c.after === undefined || typeof c.after === 'string')
    )
      return c;
  } catch {
    // Falls through to the 400 below.
  }
  throw ValidationError.field('query.cursor', 'is not a cursor from this listing');
}

/**
 * Members of a segment, shard after shard (each shard in customer-id order), `limit` at a time. The
 * cursor names the shard and the last customer returned, so it stays valid while members come and go.
 */
export async function listMembers(segmentId: string, options: { limit: number; cursor?: string }) {
  const segment = await requireSegment(segmentId);
  let { shard, after } = decodeMembersCursor(options.cursor, segment.shards);
  const members: { customerId: string; enteredAt?: string }[] = [];
  while (shard < segment.shards && members.length < options.limit) {
    let query = store().entities.segmentMembership.query.members({ segmentId, shard });
    if (after !== undefined) query = query.gt({ customerId: after }) as unknown as typeof query;
    const page = await query.go({
      limit: options.limit - members.length,
      attributes: ['customerId', 'enteredAt'],
    });
    for (const m of page.data)
      members.push({ customerId: m.customerId, ...(m.enteredAt && { enteredAt: m.enteredAt }) });
    if (page.cursor && members.length >= options.limit) {
      after = members[members.length - 1]?.customerId;
      break;
    }
    if (page.cursor) {
      after = members[members.length - 1]?.customerId;
      continue;
    }
    shard++;
    after = undefined;
  }
  const more = shard < segment.shards;
  const next: MembersCursor | undefined = more ? { shard, ...(after !== undefined && { after }) } : undefined;
  return {
    members,
    ...(next && { next: Buffer.from(JSON.stringify(next)).toString('base64url') }),
  };
}

/** Is the customer in the segment, and, by the rule now, why or why not. */
export async function checkMember(segmentId: string, customerId: string) {
  const segment = await requireSegment(segmentId);
  const state = await readMembership(customerId, segmentId);
  const base = {
    segmentId,
    customerId,
    member: state?.member ?? false,
    ...(state?.enteredAt && { enteredAt: state.enteredAt }),
    ...(state && { evaluatedAt: new Date(state.evaluatedAt).toISOString() }),
  };
  if (segment.kind !== 'dynamic') return base;
  const rule = await compiledRule(segment);
  const now = Date.now();
  const { subject } = await loadSubject(customerId, needsOf([rule.dependencies]), await subjectContext(now));
  if (!subject) {
    const exists = await survivorOf(customerId);
    throw new NotFoundError(
      exists === customerId
        ? `Customer ${customerId} does not exist`
        : `Customer ${customerId} was merged into ${exists}`,
    );
  }
  const explanation = rule.explain(subject, now);
  return { ...base, matchesNow: explanation.result, explanation, failed: failedLeaves(explanation) };
}

/** The leaves that made the answer false, by path, for a one-line "which condition failed". */
function failedLeaves(
  node: import('./types.ts').Explanation,
): { path: string; condition: string; reason?: string }[] {
  if (node.result) return [];
  const inner = (node.children ?? []).flatMap(failedLeaves);
  // A `not` fails when its child holds: the `not` itself is the condition that failed.
  return inner.length > 0
    ? inner
    : [{ path: node.path, condition: node.condition, ...(node.reason && { reason: node.reason }) }];
}
