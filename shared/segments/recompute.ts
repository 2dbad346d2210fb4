import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createConversions } from 'electrodb';
import pMap from 'p-map';
import type { SegmentMessage } from '../../events/schemas/index.ts';
import { envNames } from '../../functions/env-names.ts';
import { documentClient } from '../platform/aws.ts';
import { backoff } from '../platform/backoff.ts';
import { queueUrl, tableNameFromEnv } from '../platform/config.ts';
import { NotFoundError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { log } from '../platform/log.ts';
import { sqsClient } from '../platform/sqs.ts';
import { workThroughSteps } from '../platform/steps.ts';
import { store } from '../store/service.ts';
import { tableDefinition } from '../store/table.ts';
import { referencedSegments } from './cycles.ts';
import {
  type Applied,
  applyEvaluations,
  counterKey,
  type Evaluation,
  leaveAllSegments,
  type MembershipState,
  type SegmentShape,
  segmentsOf,
} from './membership.ts';
import type { Rule } from './rule.ts';
import { scanCustomers } from './scan.ts';
import {
  allSegments,
  compiledRule,
  requireSegment,
  type SegmentItem,
  SIZE_HISTORY,
  segmentSize,
  subjectContext,
} from './service.ts';
import type { Subject } from './subject.ts';
import { type CustomerItems, loadSubject, needsOf, subjectsOf } from './subjects.ts';
import { scheduleSubjects } from './transitions.ts';
import type { CompiledRule } from './types.ts';

/**
 * Full recomputation as a pipeline over the `segments` queue, a page of work per message:
 *
 *   plan -> one `page` message per parallel-scan segment of the table
 *   page -> (several in one message, for up to PAGES_BUDGET_MS, the next read while the last is written)
 *           reads a page of whole customer partitions (profile, aggregate, consents and the customer's
 *           membership states sit together, so the scan alone says who is in what now), evaluates every
 *           active dynamic segment (or the run's one segment) for each customer, and hands every
 *           difference to the membership writer. Customers whose profile is gone (erased, merged away)
 *           leave every segment; memberships of archived or deleted segments are ended. Because the
 *           states live in the customers' partitions, every member is visited by the scan: no member
 *           can hide from the run.
 *
 * Each page ends in one transaction: its done marker (attribute_not_exists) and its counts added to the
 * run, so a redelivered page finds the marker and only hands the work on. The run's evaluations carry
 * the time the page was read; the writer applies them only over older states and only where they
 * change something, so a run racing the incremental path never undoes a newer evaluation.
 */

export const DEFAULT_SCAN_SEGMENTS = 4;
const PAGE_ITEMS = 1000;
/**
 * Items read for one step (a few scan pages): a step ends in a transaction on the run item, which the
 * scan segments share, so fewer and larger steps keep those from queueing behind each other.
 */
const STEP_ITEMS = 5000;
const RETENTION_SECONDS = 90 * 86_400;
const WRITE_CONCURRENCY = 16;
/** How long one message works through pages before handing the rest on (the worker's timeout is 120 s). */
const PAGES_BUDGET_MS = 30_000;
/** Shards (of all the run's segments) counted at once when a run finishes. */
const RECOUNT_CONCURRENCY = 8;

type Run = NonNullable<Awaited<ReturnType<typeof readRun>>>;

async function readRun(runId: string) {
  return (await store().entities.segmentRun.get({ runId }).go({ consistent: true })).data;
}

async function send(messages: SegmentMessage[]): Promise<void> {
  const url = queueUrl(envNames.queueUrl('segments'));
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages
      .slice(i, i + 10)
      .map((m, j) => ({ Id: String(j), MessageBody: JSON.stringify(m) }));
    const result = await sqsClient().send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    if (result.Failed?.length) throw new Error(`SQS refused ${result.Failed.length} segment messages`);
  }
}

export function runView(run: Run) {
  return {
    id: run.runId,
    status: run.status,
    trigger: run.trigger,
    ...(run.segmentId && { segmentId: run.segmentId }),
    startedAt: run.startedAt,
    ...(run.finishedAt && { finishedAt: run.finishedAt }),
    progress: {
      scanSegments: run.scanSegments,
      scannedSegments: run.scannedSegments,
      customersScanned: run.customersScanned,
    },
    entered: (run.entered as Record<string, number>) ?? {},
    exited: (run.exited as Record<string, number>) ?? {},
    ...(run.error && { error: run.error }),
  };
}
export type RunView = ReturnType<typeof runView>;

export async function startRun(
  trigger: 'api' | 'schedule',
  options: { segmentId?: string; scanSegments?: number } = {},
): Promise<RunView> {
  if (options.segmentId) await requireSegment(options.segmentId);
  const now = new Date();
  const run = await store()
    .entities.segmentRun.create({
      runId: newId(),
      trigger,
      ...(options.segmentId && { segmentId: options.segmentId }),
      status: 'running',
      scanSegments: options.scanSegments ?? DEFAULT_SCAN_SEGMENTS,
      scannedSegments: 0,
      customersScanned: 0,
      entered: {},
      exited: {},
      startedAt: now.toISOString(),
      expiresAt: Math.floor(now.getTime() / 1000) + RETENTION_SECONDS,
    })
    .go();
  await send([{ kind: 'plan', runId: run.data.runId }]);
  return runView(run.data as Run);
}

export async function getRun(runId: string): Promise<RunView> {
  const run = await readRun(runId);
  if (!run) throw new NotFoundError(`Segment recomputation ${runId} does not exist`);
  return runView(run);
}

/** One message's work. Safe to repeat. */
export async function runStep(message: SegmentMessage): Promise<void> {
  const run = await readRun(message.runId);
  if (!run) {
    log.warn('segment message for a run that no longer exists', { runId: message.runId });
    return;
  }
  if (run.status !== 'running') return;
  if (message.kind === 'plan') {
    await send(
      Array.from({ length: run.scanSegments }, (_, segment) => ({
        kind: 'page' as const,
        runId: run.runId,
        segment,
        page: 0,
      })),
    );
    return;
  }
  await page(run, message);
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** The segments a run decides, in an order where a segment comes after those its rule refers to. */
export async function runPlan(run: Pick<Run, 'segmentId'>) {
  const all = await allSegments();
  const byId = new Map(all.map((s) => [s.segmentId, s]));
  const chosen = run.segmentId ? all.filter((s) => s.segmentId === run.segmentId) : all;
  const ordered: SegmentItem[] = [];
  const placed = new Set<string>();
  const place = (s: SegmentItem, depth: number) => {
    if (placed.has(s.segmentId) || depth > all.length) return;
    if (s.kind === 'dynamic') {
      for (const id of referencedSegments(s.rule as Rule).keys()) {
        const dep = byId.get(id);
        if (dep && chosen.includes(dep)) place(dep, depth + 1);
      }
    }
    placed.add(s.segmentId);
    ordered.push(s);
  };
  for (const s of chosen) place(s, 0);
  const rules = new Map<string, CompiledRule>();
  for (const s of ordered)
    if (s.kind === 'dynamic' && s.status === 'active') rules.set(s.segmentId, await compiledRule(s));
  return { ordered, byId, rules };
}

export type Plan = Awaited<ReturnType<typeof runPlan>>;

interface Decision {
  segment: SegmentShape;
  evaluation: Evaluation;
  known: MembershipState | null;
}

/**
 * What should change for one customer. Pure: evaluates each decided segment (dependencies first, each
 * later rule seeing the earlier results), and compares with the states as read.
 */
export function decide(
  customerId: string,
  subject: Subject | undefined,
  memberships: ReadonlyMap<string, MembershipState>,
  plan: Plan,
  scope: { segmentId?: string },
  evaluatedAt: number,
): Decision[] {
  const decisions: Decision[] = [];
  const current = new Set([...memberships].filter(([, m]) => m.member).map(([id]) => id));
  const now = evaluatedAt;
  if (subject) subject.segments = current;
  for (const s of plan.ordered) {
    const rule = plan.rules.get(s.segmentId);
    const known = memberships.get(s.segmentId) ?? null;
    let member: boolean;
    let reason = 'recompute';
    if (!subject) {
      member = false;
      reason = 'gone';
    } else if (s.status === 'archived') {
      member = false;
      reason = 'archived';
    } else if (rule) member = rule.evaluate(subject, now);
    // Static: the list decides; the run only takes out customers who are gone.
    else member = known?.member ?? false;
    if (member) current.add(s.segmentId);
    else current.delete(s.segmentId);
    if ((known?.member ?? false) !== member) {
      decisions.push({
        segment: s,
        evaluation: { segmentId: s.segmentId, customerId, member, evaluatedAt, reason },
        known,
      });
    }
  }
  // Memberships of segments that no longer exist end in a run over all segments.
  if (!scope.segmentId) {
    for (const [segmentId, m] of memberships) {
      if (!m.member || plan.byId.has(segmentId)) continue;
      decisions.push({
        segment: { segmentId, shards: 1 },
        evaluation: { segmentId, customerId, member: false, evaluatedAt, reason: 'deleted' },
        known: m,
      });
    }
  }
  return decisions;
}

type PageMessage = Extract<SegmentMessage, { kind: 'page' }>;

/** A step's scan, with the time taken before it read anything (its evaluations carry that time). */
type ScannedPage = Awaited<ReturnType<typeof scanCustomers>> & { evaluatedAt: number };

/** Reads scan pages from the message's start key until a step's worth of items (or the end). */
async function scanPage(run: Run, message: PageMessage): Promise<ScannedPage> {
  const evaluatedAt = Date.now();
  const customers: CustomerItems[] = [];
  let scanned = 0;
  let start = message.startKey;
  let next: string;
  do {
    const page = await scanCustomers(message.segment, run.scanSegments, start, PAGE_ITEMS);
    customers.push(...page.customers);
    scanned += page.scanned;
    next = page.next;
    start = next;
  } while (next && scanned < STEP_ITEMS);
  return { evaluatedAt, customers, next, scanned };
}

const stepOf = (message: PageMessage) => `${pad(message.segment, 4)}#${pad(message.page, 6)}`;

/**
 * A scan segment's steps, through workThroughSteps: up to PAGES_BUDGET_MS per message (a queue hop per
 * step would cost more than the step), the next step read while this one's writes go out, each step
 * recorded as it completes so a redelivered message skips those done.
 */
async function page(run: Run, first: PageMessage): Promise<void> {
  const plan = await runPlan(run);
  const needs = needsOf([...plan.rules.values()].map((r) => r.dependencies));
  await workThroughSteps(first, {
    budgetMs: PAGES_BUDGET_MS,
    done: async (message) =>
      (
        await store()
          .entities.segmentRunStep.get({ runId: run.runId, step: stepOf(message) })
          .go({ consistent: true })
      ).data?.next,
    read: (message) => scanPage(run, message),
    record: (message, scanned) => evaluatePage(run, plan, needs, stepOf(message), scanned),
    handOn: (message, next) => handOn(run, message, next),
  });
}

/** Evaluates one scanned page and records its step; returns where the scan goes on ('' when done). */
async function evaluatePage(
  run: Run,
  plan: Plan,
  needs: ReturnType<typeof needsOf>,
  step: string,
  scanned: ScannedPage,
): Promise<string> {
  const { customers, next, evaluatedAt } = scanned;
  const subjects = await subjectsOf(customers, needs, await subjectContext(evaluatedAt));
  const decisions = customers.flatMap((c, i) =>
    decide(c.customerId, subjects[i], c.memberships, plan, run, evaluatedAt),
  );
  const applied = await applyEvaluations(decisions, { concurrency: WRITE_CONCURRENCY });
  // Time-based conditions of the customers just read: when each may next change (live.ts sweeps them).
  await scheduleSubjects(
    customers.map((c, i) => ({ customerId: c.customerId, subject: subjects[i], schedule: c.schedule })),
    plan.rules,
    evaluatedAt,
  );
  const entered: Record<string, number> = {};
  const exited: Record<string, number> = {};
  applied.forEach((a: Applied, i) => {
    const id = decisions[i]?.segment.segmentId as string;
    if (a === 'entered') entered[id] = (entered[id] ?? 0) + 1;
    if (a === 'exited') exited[id] = (exited[id] ?? 0) + 1;
  });
  const created = await completeStep(run, step, next, customers.length, next ? 0 : 1, entered, exited);
  if (created) return next;
  // Another delivery recorded the step first: go on from where it said.
  return (
    (await store().entities.segmentRunStep.get({ runId: run.runId, step }).go({ consistent: true })).data
      ?.next ?? next
  );
}

const { partitionKey, sortKey } = tableDefinition;

function keysOf(entity: 'segmentRun' | 'segmentRunStep', composite: Record<string, string>) {
  const conversions = createConversions(store().entities[entity] as never) as unknown as {
    byAccessPattern: Record<
      string,
      { fromComposite: { toKeys: (c: Record<string, string>) => Record<string, string> } }
    >;
  };
  const pattern = entity === 'segmentRun' ? 'byId' : 'byStep';
  const k = conversions.byAccessPattern[pattern]?.fromComposite.toKeys(composite) ?? {};
  return { [partitionKey]: String(k[partitionKey]), [sortKey]: String(k[sortKey]) };
}

/** Records a page done and adds its counts to the run, in one transaction; false if already recorded. */
async function completeStep(
  run: Run,
  step: string,
  next: string,
  customers: number,
  finishedSegments: number,
  entered: Record<string, number>,
  exited: Record<string, number>,
): Promise<boolean> {
  const names: Record<string, string> = { '#scanned': 'customersScanned', '#segments': 'scannedSegments' };
  const values: Record<string, unknown> = {
    ':customers': customers,
    ':segments': finishedSegments,
  };
  const sets: string[] = [];
  let n = 0;
  for (const [map, counts] of [
    ['#entered', entered],
    ['#exited', exited],
  ] as const) {
    for (const [segmentId, count] of Object.entries(counts)) {
      names[map] = map === '#entered' ? 'entered' : 'exited';
      values[':zero'] = 0;
      names[`#s${n}`] = segmentId;
      values[`:n${n}`] = count;
      sets.push(`${map}.#s${n} = if_not_exists(${map}.#s${n}, :zero) + :n${n}`);
      n++;
    }
  }
  const stepItem = store()
    .entities.segmentRunStep.create({ runId: run.runId, step, next, expiresAt: run.expiresAt })
    .params() as {
    Item: Record<string, unknown>;
    ConditionExpression: string;
    ExpressionAttributeNames: Record<string, string>;
  };
  for (let attempt = 0; attempt < 12; attempt++) {
    await backoff(attempt, { capMs: 2_000 });
    try {
      await documentClient().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tableNameFromEnv(),
                Item: stepItem.Item,
                ConditionExpression: stepItem.ConditionExpression,
                ExpressionAttributeNames: stepItem.ExpressionAttributeNames,
              },
            },
            {
              Update: {
                TableName: tableNameFromEnv(),
                Key: keysOf('segmentRun', { runId: run.runId }),
                UpdateExpression: `ADD #scanned :customers, #segments :segments${sets.length ? ` SET ${sets.join(', ')}` : ''}`,
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
      if (reasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      if ((error as { name?: string }).name !== 'TransactionCanceledException') throw error;
    }
  }
  throw new Error(`Could not record step ${step} of segment run ${run.runId}`);
}

async function handOn(run: Run, message: PageMessage, next: string) {
  if (next) {
    await send([{ ...message, page: message.page + 1, startKey: next }]);
    return;
  }
  const now = await readRun(run.runId);
  if (now?.status !== 'running' || now.scannedSegments < now.scanSegments) return;
  await finish(now);
}

/**
 * Completes the run once: the delivery that claims it (conditional on nobody having) recounts the shards
 * and adds a size point to each segment it decided, then marks the run completed, so a client that sees
 * `completed` also sees the sizes.
 */
async function finish(run: Run): Promise<void> {
  try {
    await store()
      .entities.segmentRun.patch({ runId: run.runId })
      .set({ finishing: true })
      .where((attr, op) => `${op.eq(attr.status, 'running')} AND ${op.notExists(attr.finishing)}`)
      .go();
  } catch (error) {
    if ((error as { cause?: { name?: string } }).cause?.name === 'ConditionalCheckFailedException') return;
    throw error;
  }
  const at = new Date().toISOString();
  const { ordered } = await runPlan(run);
  await pMap(
    ordered,
    async (s) => {
      await recountShards(s);
      await addSizePoint(s.segmentId, at);
    },
    { concurrency: 4 },
  );
  await store()
    .entities.segmentRun.patch({ runId: run.runId })
    .set({ status: 'completed', finishedAt: new Date().toISOString() })
    .go();
  log.info('segment run completed', { runId: run.runId, customers: run.customersScanned });
}

/** Appends `{ at, size }` to a segment's size history (the last SIZE_HISTORY points kept). */
export async function addSizePoint(segmentId: string, at: string): Promise<void> {
  const segment = await requireSegment(segmentId);
  const size = await segmentSize(segment);
  const history = [...(segment.sizeHistory as { at: string; size: number }[]), { at, size }].slice(
    -SIZE_HISTORY,
  );
  await store().entities.segment.patch({ segmentId }).set({ sizeHistory: history }).go();
}

/**
 * Re-evaluates one customer against every segment now, through the writer (stamping unchanged results,
 * as the incremental path does). Used after a merge; a customer that is gone leaves every segment.
 */
export async function recomputeCustomer(customerId: string): Promise<{ entered: number; exited: number }> {
  const plan = await runPlan({});
  const evaluatedAt = Date.now();
  const needs = needsOf([...plan.rules.values()].map((r) => r.dependencies));
  const { items, subject } = await loadSubject(customerId, needs, await subjectContext(evaluatedAt));
  const decisions = decide(customerId, subject, items.memberships, plan, {}, evaluatedAt);
  const applied = await applyEvaluations(decisions, { stamp: true });
  await scheduleSubjects([{ customerId, subject, schedule: items.schedule }], plan.rules, evaluatedAt);
  return {
    entered: applied.filter((a) => a === 'entered').length,
    exited: applied.filter((a) => a === 'exited').length,
  };
}

/**
 * After a merge: the survivor takes the merged customers' places in static segments (a list named
 * them), the merged customers leave every segment, and the survivor is re-evaluated against the rules.
 */
export async function mergeMemberships(mergedIds: readonly string[], survivorId: string): Promise<void> {
  const segments = new Map((await allSegments()).map((s) => [s.segmentId, s]));
  const evaluatedAt = Date.now();
  for (const loserId of mergedIds) {
    const statics = (await segmentsOf(loserId)).filter(
      (m) =>
        m.member &&
        segments.get(m.segmentId)?.kind === 'static' &&
        segments.get(m.segmentId)?.status === 'active',
    );
    await applyEvaluations(
      statics.map((m) => ({
        segment: segments.get(m.segmentId) as SegmentItem,
        evaluation: {
          segmentId: m.segmentId,
          customerId: survivorId,
          member: true,
          evaluatedAt,
          reason: 'merged',
        },
      })),
    );
    await leaveAllSegments(loserId, 'merged');
  }
  await recomputeCustomer(survivorId);
}

/**
 * Sets each shard counter of a segment to the members its shard of the index holds, repairing counts
 * that drifted (a crash between a flip and its counter, items changed behind the writer's back). A
 * counter that moves while its shard is counted is left for the next run (the update is conditional on
 * the value read before counting), so a concurrent flip is never lost.
 */
export async function recountShards(segment: Pick<SegmentItem, 'segmentId' | 'shards'>): Promise<number> {
  let repaired = 0;
  const table = tableNameFromEnv();
  const recount = async (shard: number) => {
    const counter = await store()
      .entities.segmentShardCount.get({ segmentId: segment.segmentId, shard })
      .go({ consistent: true });
    const seen = counter.data?.count;
    const index = createConversions(
      store().entities.segmentMembership,
    ).byAccessPattern.members.fromComposite.toKeys({
      segmentId: segment.segmentId,
      shard,
    }) as Record<string, string>;
    let members = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documentClient().send(
        new QueryCommand({
          TableName: table,
          IndexName: 'gsi1',
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'gsi1pk' },
          ExpressionAttributeValues: { ':pk': index.gsi1pk },
          Select: 'COUNT',
          ...(start && { ExclusiveStartKey: start }),
        }),
      );
      members += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    if ((seen ?? 0) === members) return;
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: table,
          Key: counterKey(segment.segmentId, shard),
          UpdateExpression:
            'SET #count = :members, #segmentId = :segmentId, #shard = :shard, #e = :e, #v = :v',
          ConditionExpression: seen === undefined ? 'attribute_not_exists(#count)' : '#count = :seen',
          ExpressionAttributeNames: {
            '#count': 'count',
            '#segmentId': 'segmentId',
            '#shard': 'shard',
            '#e': '__edb_e__',
            '#v': '__edb_v__',
          },
          ExpressionAttributeValues: {
            ':members': members,
            ':segmentId': segment.segmentId,
            ':shard': shard,
            ':e': 'segmentShardCount',
            ':v': '1',
            ...(seen !== undefined && { ':seen': seen }),
          },
        }),
      );
      repaired++;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    }
  };
  await pMap(
    Array.from({ length: segment.shards }, (_, shard) => shard),
    recount,
    { concurrency: RECOUNT_CONCURRENCY },
  );
  return repaired;
}
