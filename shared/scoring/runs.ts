import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createConversions } from 'electrodb';
import pMap from 'p-map';
import type { ScoringMessage } from '../../events/schemas/index.ts';
import { envNames } from '../../functions/env-names.ts';
import { type BusEvent, publish } from '../events/bus.ts';
import { documentClient } from '../platform/aws.ts';
import { queueUrl, tableNameFromEnv } from '../platform/config.ts';
import { NotFoundError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { log } from '../platform/log.ts';
import { parseSchedule } from '../platform/schedule.ts';
import { sqsClient } from '../platform/sqs.ts';
import { workThroughSteps } from '../platform/steps.ts';
import { batchPut } from '../store/batch-io.ts';
import { isConditionFailure } from '../store/conditions.ts';
import { countOnce } from '../store/markers.ts';
import { store } from '../store/service.ts';
import { tableDefinition } from '../store/table.ts';
import { aggregateScanInput } from './aggregate-store.ts';
import type { PurchaseState } from './aggregates.ts';
import {
  type CustomerScores,
  DIMENSIONS,
  type Dimension,
  dimensionsOf,
  type FittedModel,
  measure,
  type Population,
  type PopulationPart,
  sameScores,
  scoreCustomer,
  settle,
} from './rescore.ts';
import type { ScoringSettings } from './settings.ts';
import { readScoringSettings } from './settings-store.ts';

/**
 * A rescoring run as a pipeline over the `scoring` queue, a page of work per message:
 *
 *   plan    -> one pass-1 `page` message per parallel-scan segment of the table
 *   page 1  -> reads a page of aggregates, stores its population part on its done marker
 *              (quantile digests, revenue, a bounded sample); the last segment to finish sends `settle`
 *   settle  -> merges the parts, fits BG/NBD and Gamma-Gamma on the sample, stores cut points and models
 *              on the run, sends one pass-2 `page` message per segment
 *   page 2  -> scores a page of customers; writes only changed scores, records tier changes, projects
 *              tier and lifecycle stage onto the profile, publishes changes on the bus; the last segment
 *              to finish writes the day's distribution snapshots and completes the run
 *
 * A `page` message works through steps (scan pages up to stepRows: 5,000 rows, or one page while scoring
 * changes most rows) for up to STEPS_BUDGET_MS before it hands the rest on. Every step ends in one transaction: its done marker
 * (attribute_not_exists) and its counts added to the run, as dedupe scans do
 * (shared/customers/dedupe/scan.ts). A redelivered step finds its marker and only hands the work on, so
 * counters stay exact. Score writes compare with what is stored, so a step cut short and redone writes
 * nothing twice; its bus events may repeat (at least once, same runId).
 */

export const DEFAULT_SEGMENTS = 4;
const PAGE_ITEMS = 1000;
/** Rows one step covers (a few scan pages): fewer, larger steps mean fewer transactions on the run item. */
const STEP_ROWS = 5000;
/** Above this share of changed rows, pass-2 steps shrink to one page (see stepRows). */
const SMALL_CHANGE_SHARE = 0.05;
/** How long one message works through steps before handing the rest on (the worker's timeout is 120 s). */
const STEPS_BUDGET_MS = 30_000;
const RETENTION_SECONDS = 90 * 86_400;
/** Sample kept per measuring page; the run keeps the FIT_SAMPLE smallest fingerprints of all pages. */
const PAGE_SAMPLE = 500;

type Run = NonNullable<Awaited<ReturnType<typeof readRun>>>;
const { partitionKey, sortKey } = tableDefinition;

async function readRun(runId: string) {
  return (await store().entities.scoringRun.get({ runId }).go({ consistent: true })).data;
}

async function send(messages: ScoringMessage[]): Promise<void> {
  const url = queueUrl(envNames.queueUrl('scoring'));
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages
      .slice(i, i + 10)
      .map((m, j) => ({ Id: String(j), MessageBody: JSON.stringify(m) }));
    const result = await sqsClient().send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    if (result.Failed?.length) throw new Error(`SQS refused ${result.Failed.length} scoring messages`);
  }
}

export function runView(run: Run) {
  return {
    id: run.runId,
    status: run.status,
    trigger: run.trigger,
    startedAt: run.startedAt,
    ...(run.finishedAt && { finishedAt: run.finishedAt }),
    progress: {
      segments: run.segments,
      measuredSegments: run.measuredSegments,
      scoredSegments: run.scoredSegments,
      customersMeasured: run.customersMeasured,
      customersScored: run.customersScored,
    },
    customersChanged: run.customersChanged,
    changes: (run.changes as Record<string, number> | undefined) ?? {},
    ...(run.model !== undefined && { model: run.model as FittedModel | null }),
    ...(run.error && { error: run.error }),
  };
}
export type RunView = ReturnType<typeof runView>;

export async function startRun(
  trigger: 'api' | 'schedule',
  options: { segments?: number } = {},
): Promise<RunView> {
  const runId = newId();
  const now = new Date();
  const run = await store()
    .entities.scoringRun.create({
      runId,
      trigger,
      status: 'measuring',
      segments: options.segments ?? DEFAULT_SEGMENTS,
      startedAt: now.toISOString(),
      measuredSegments: 0,
      scoredSegments: 0,
      customersMeasured: 0,
      customersScored: 0,
      customersChanged: 0,
      changes: {},
      expiresAt: Math.floor(now.getTime() / 1000) + RETENTION_SECONDS,
    })
    .go();
  await send([{ kind: 'plan', runId }]);
  return runView(run.data as Run);
}

export async function getRun(runId: string): Promise<RunView> {
  const run = await readRun(runId);
  if (!run) throw new NotFoundError(`Scoring run ${runId} does not exist`);
  return runView(run);
}

/**
 * Starts a run when the settings' schedule has come due since the last scheduled one. The marker's
 * conditional update makes two planners firing at once start one run.
 */
export async function startRunIfDue(now = new Date()): Promise<RunView | undefined> {
  const { settings } = await readScoringSettings();
  const marker = { [partitionKey]: 'SCORERUN#schedule', [sortKey]: 'LAST' };
  const table = tableNameFromEnv();
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: table, Key: marker, ConsistentRead: true }),
  );
  const last = typeof Item?.at === 'string' ? new Date(Item.at) : undefined;
  // The first check only records a starting point: a fresh stage does not rescore at deploy time.
  const due = last ? parseSchedule(settings.schedule.rescore, { anchor: last }).next(last) : undefined;
  if (last && (!due || due > now)) return undefined;
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table,
        Key: marker,
        UpdateExpression: 'SET #at = :now',
        ConditionExpression: 'attribute_not_exists(#at) OR #at = :last',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':now': now.toISOString(), ':last': last?.toISOString() ?? '' },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
  if (!last) return undefined;
  return startRun('schedule');
}

/** One message's work. Safe to repeat. */
export async function runStep(message: ScoringMessage): Promise<void> {
  const run = await readRun(message.runId);
  if (!run) {
    log.warn('scoring message for a run that no longer exists', { runId: message.runId });
    return;
  }
  if (run.status === 'failed' || run.status === 'completed') return;
  if (message.kind === 'plan') {
    await send(
      Array.from({ length: run.segments }, (_, segment) => ({
        kind: 'page' as const,
        runId: run.runId,
        pass: 1 as const,
        segment,
        page: 0,
      })),
    );
    return;
  }
  const { settings } = await readScoringSettings();
  if (message.kind === 'settle') await settleRun(run, settings);
  else await page(run, message, settings);
}

/**
 * Digests of empty sets hold infinities (min, max, an ABC cut-off nobody reaches); DynamoDB numbers
 * cannot, so populations and parts travel as JSON with the infinities spelled out.
 */
function encode(value: unknown): string {
  return JSON.stringify(value, (_, v) =>
    v === Number.POSITIVE_INFINITY ? 'Infinity' : v === Number.NEGATIVE_INFINITY ? '-Infinity' : v,
  );
}
function decode<T>(text: unknown): T {
  return JSON.parse(String(text), (_, v) =>
    v === 'Infinity' ? Number.POSITIVE_INFINITY : v === '-Infinity' ? Number.NEGATIVE_INFINITY : v,
  ) as T;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

async function stepDone(runId: string, step: string) {
  return (await store().entities.scoringStep.get({ runId, step }).go({ consistent: true })).data;
}

type Counts = Partial<
  Record<
    'measuredSegments' | 'scoredSegments' | 'customersMeasured' | 'customersScored' | 'customersChanged',
    number
  >
>;

async function completeStep(run: Run, step: string, next: string, part: unknown, counts: Counts) {
  return countOnce(`scoring step ${step} of run ${run.runId}`, ({ scoringStep, scoringRun }) => [
    scoringStep.create({ runId: run.runId, step, next, part, expiresAt: run.expiresAt }).commit(),
    scoringRun.patch({ runId: run.runId }).add(counts).commit(),
  ]);
}

interface AggregateRow {
  customerId: string;
  state: PurchaseState;
  scores?: CustomerScores;
}

async function scanPage(run: Run, segment: number, startKey?: string) {
  const result = await documentClient().send(
    new ScanCommand({
      ...aggregateScanInput(),
      Segment: segment,
      TotalSegments: run.segments,
      Limit: PAGE_ITEMS,
      ...(startKey && { ExclusiveStartKey: JSON.parse(startKey) as Record<string, unknown> }),
    }),
  );
  return {
    rows: (result.Items ?? []) as AggregateRow[],
    next: result.LastEvaluatedKey ? JSON.stringify(result.LastEvaluatedKey) : '',
  };
}

/** Scan pages from `startKey` until a step's worth of rows (or the end of the segment). */
async function scanStep(run: Run, segment: number, startKey: string | undefined, limit: number) {
  const rows: AggregateRow[] = [];
  let next = startKey ?? '';
  do {
    const page = await scanPage(run, segment, next || undefined);
    rows.push(...page.rows);
    next = page.next;
  } while (next && rows.length < limit);
  return { rows, next };
}

type PageMessage = Extract<ScoringMessage, { kind: 'page' }>;

/**
 * A segment's steps, through workThroughSteps: up to STEPS_BUDGET_MS per message (a queue hop per step
 * would cost more than the step), the next step read while this one is written, each step recorded as
 * it completes so a redelivered message skips those done.
 */
async function page(run: Run, first: PageMessage, settings: ScoringSettings): Promise<void> {
  if (first.pass === 2 && run.status !== 'scoring') {
    const done = await stepDone(run.runId, stepOf(first));
    if (done) await handOn(run, first, done.next);
    return;
  }
  // Share of the last scored step's rows whose scores changed; unknown (1) until a step has been scored.
  let changedShare = 1;
  await workThroughSteps(first, {
    budgetMs: STEPS_BUDGET_MS,
    done: async (message) => (await stepDone(run.runId, stepOf(message)))?.next,
    read: (message) => scanStep(run, message.segment, message.startKey, stepRows(message.pass, changedShare)),
    record: async (message, scanned) => {
      const { next, changed } = await recordStep(run, message, stepOf(message), scanned, settings);
      changedShare = scanned.rows.length > 0 ? changed / scanned.rows.length : 0;
      return next;
    },
    handOn: (message, next) => handOn(run, message, next),
  });
}

const stepOf = (message: PageMessage) => `${message.pass}#${pad(message.segment, 4)}#${pad(message.page, 6)}`;

/**
 * Rows the next step reads. Measuring writes nothing per row, so its steps are large. A scored row
 * that changes costs about five writes (two score updates, tier history, events), so a pass-2 step is
 * one page until the last step showed that few rows change (a daily run), then a full step: 5,000
 * changed rows were about 25,000 writes, more than a worker's timeout on DynamoDB Local, and the
 * steps budget is only checked between steps.
 */
export function stepRows(pass: 1 | 2, changedShare: number): number {
  if (pass === 1) return STEP_ROWS;
  return changedShare > SMALL_CHANGE_SHARE ? PAGE_ITEMS : STEP_ROWS;
}

/** Measures or scores one step's rows and records the step; returns where the scan goes on. */
async function recordStep(
  run: Run,
  message: PageMessage,
  step: string,
  { rows, next }: { rows: AggregateRow[]; next: string },
  settings: ScoringSettings,
): Promise<{ next: string; changed: number }> {
  const now = Date.parse(run.startedAt);
  let created: boolean;
  let changedRows = 0;
  if (message.pass === 1) {
    // The same share of rows as a page of PAGE_ITEMS kept before steps spanned pages.
    const sample = Math.ceil((rows.length * PAGE_SAMPLE) / PAGE_ITEMS);
    const part = measure(rows, settings, now, sample);
    created = await completeStep(run, step, next, encode(part), {
      customersMeasured: rows.length,
      measuredSegments: next ? 0 : 1,
    });
  } else {
    const { counts, changed } = await scorePage(run, rows, settings, now);
    changedRows = changed;
    created = await completeStep(run, step, next, counts, {
      customersScored: rows.length,
      customersChanged: changed,
      scoredSegments: next ? 0 : 1,
    });
  }
  const goesOn = created ? next : ((await stepDone(run.runId, step))?.next ?? next);
  return { next: goesOn, changed: changedRows };
}

async function handOn(run: Run, message: PageMessage, next: string) {
  if (next) {
    await send([{ ...message, page: message.page + 1, startKey: next }]);
    return;
  }
  const now = await readRun(run.runId);
  if (!now) return;
  if (message.pass === 1 && now.status === 'measuring' && now.measuredSegments >= now.segments) {
    if (await claimSettle(run.runId, stepOf(message))) await send([{ kind: 'settle', runId: run.runId }]);
  } else if (message.pass === 2 && now.status === 'scoring' && now.scoredSegments >= now.segments) {
    await finish(now);
  }
}

/** Whether this last pass-1 step is the one to send the settle message (see ScoringRun.settleBy). */
export async function claimSettle(runId: string, step: string): Promise<boolean> {
  try {
    await store()
      .entities.scoringRun.patch({ runId })
      .set({ settleBy: step })
      .where((attr, op) => `${op.notExists(attr.settleBy)} OR ${op.eq(attr.settleBy, step)}`)
      .go({ response: 'none' });
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

async function stepsOf(runId: string, pass: 1 | 2) {
  const result = await store()
    .entities.scoringStep.query.byStep({ runId })
    .begins({ step: `${pass}#` })
    .go({ pages: 'all' });
  return result.data;
}

async function settleRun(run: Run, settings: ScoringSettings): Promise<void> {
  if (run.status !== 'measuring') return;
  const parts = (await stepsOf(run.runId, 1)).map((s) => decode<PopulationPart>(s.part));
  const { population, model } = settle(parts, settings, Date.parse(run.startedAt));
  try {
    await store()
      .entities.scoringRun.patch({ runId: run.runId })
      .set({ status: 'scoring', population: encode(population), ...(model && { model }) })
      .where((attr, op) => op.eq(attr.status, 'measuring'))
      .go();
  } catch (error) {
    // Settled by a concurrent or earlier delivery: that one sent the pass-2 messages.
    if (isConditionFailure(error)) return;
    throw error;
  }
  log.info('scoring run settled', {
    runId: run.runId,
    customers: population.customers,
    fitted: model !== null,
  });
  await send(
    Array.from({ length: run.segments }, (_, segment) => ({
      kind: 'page' as const,
      runId: run.runId,
      pass: 2 as const,
      segment,
      page: 0,
    })),
  );
}

type PageCounts = { dist: Record<Dimension, Record<string, number>>; changes: Record<string, number> };

async function scorePage(run: Run, rows: AggregateRow[], settings: ScoringSettings, now: number) {
  const population = decode<Population>(run.population);
  const model = (run.model as FittedModel | null | undefined) ?? null;
  const at = new Date().toISOString();
  const counts: PageCounts = {
    dist: Object.fromEntries(DIMENSIONS.map((d) => [d, {}])) as PageCounts['dist'],
    changes: {},
  };
  const bump = (record: Record<string, number>, key: string) => {
    record[key] = (record[key] ?? 0) + 1;
  };
  let changed = 0;
  const events: BusEvent[] = [];
  const writes: (() => Promise<void>)[] = [];
  const history: Record<string, unknown>[] = [];
  for (const row of rows) {
    const previous = row.scores;
    const scores = scoreCustomer(row.state, previous, { population, model, settings, now, runId: run.runId });
    const dims = dimensionsOf(scores, settings.churn.threshold);
    for (const d of DIMENSIONS) bump(counts.dist[d], dims[d]);
    if (sameScores(previous, scores)) continue;
    changed++;
    const customerId = row.customerId;
    for (const dimension of ['abc', 'valueTier'] as const) {
      const from = previous?.[dimension] ?? null;
      if (from === scores[dimension]) continue;
      bump(counts.changes, `${dimension}:${from ?? 'none'}->${scores[dimension]}`);
      events.push({
        detailType: 'customer.tier_changed',
        detail: { customerId, dimension, from, to: scores[dimension], runId: run.runId, at },
      });
      history.push(
        store()
          .entities.tierChange.put({
            customerId,
            at,
            dimension,
            from: from ?? 'none',
            to: scores[dimension],
            runId: run.runId,
          })
          .params().Item as Record<string, unknown>,
      );
    }
    if (previous?.rfm.group !== scores.rfm.group) bump(counts.changes, 'rfmGroup');
    const fromStage = previous?.lifecycle.stage ?? null;
    if (fromStage !== scores.lifecycle.stage) {
      bump(counts.changes, 'lifecycle');
      events.push({
        detailType: 'customer.lifecycle_changed',
        detail: { customerId, from: fromStage, to: scores.lifecycle.stage, runId: run.runId, at },
      });
    }
    if (scores.churn.flagged && !(previous?.churn.flagged ?? false)) {
      bump(counts.changes, 'churnRiskRaised');
      events.push({
        detailType: 'customer.churn_risk_raised',
        detail: {
          customerId,
          score: scores.churn.score,
          threshold: settings.churn.threshold,
          reasons: scores.churn.reasons,
          runId: run.runId,
          at,
        },
      });
    }
    writes.push(() => writeScores(customerId, scores, previous));
  }
  // Events first, then the writes: a crash between them repeats the events on redelivery (at least
  // once) rather than losing them, since a redone page finds the scores already written.
  const lanes = 8;
  const perLane = Math.ceil(events.length / lanes / 10) * 10;
  const failed = await Promise.all(
    Array.from({ length: lanes }, (_, i) => publish(events.slice(i * perLane, (i + 1) * perLane))),
  );
  const refused = failed.reduce((n, f) => n + f.length, 0);
  if (refused > 0) throw new Error(`The bus refused ${refused} scoring events`);
  await Promise.all([
    batchPut(documentClient(), tableNameFromEnv(), history),
    pMap(writes, (write) => write(), { concurrency: 32 }),
  ]);
  return { counts, changed };
}

/**
 * Scores go on the aggregate (bumping its version, so a concurrent stream fold retries and keeps them)
 * and tier and stage onto the profile, the two fields the customer list filters by. The profile write
 * sets only those two attributes: its version, ETag and updatedAt stay as the user left them.
 */
async function writeScores(customerId: string, scores: CustomerScores, previous: CustomerScores | undefined) {
  const table = tableNameFromEnv();
  const agg = createConversions(
    store().entities.customerAggregate,
  ).byAccessPattern.byCustomer.fromComposite.toKeys({
    customerId,
  }) as Record<string, string>;
  await documentClient()
    .send(
      new UpdateCommand({
        TableName: table,
        Key: { [partitionKey]: agg[partitionKey], [sortKey]: agg[sortKey] },
        UpdateExpression: 'SET #scores = :scores ADD #version :one',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#scores': 'scores', '#version': 'version', '#pk': partitionKey },
        ExpressionAttributeValues: { ':scores': scores, ':one': 1 },
      }),
    )
    .catch(ignoreConditionFailure);
  if (previous?.valueTier === scores.valueTier && previous?.lifecycle.stage === scores.lifecycle.stage)
    return;
  const profile = createConversions(store().entities.customer).byAccessPattern.byId.fromComposite.toKeys({
    customerId,
  }) as Record<string, string>;
  await documentClient()
    .send(
      new UpdateCommand({
        TableName: table,
        Key: { [partitionKey]: profile[partitionKey], [sortKey]: profile[sortKey] },
        UpdateExpression: 'SET #tier = :tier, #stage = :stage',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#tier': 'tier', '#stage': 'lifecycleStage', '#pk': partitionKey },
        ExpressionAttributeValues: { ':tier': scores.valueTier, ':stage': scores.lifecycle.stage },
      }),
    )
    .catch(ignoreConditionFailure);
}

function ignoreConditionFailure(error: unknown): void {
  // The customer was erased or merged away while the run scored them: nothing to project onto.
  if (!isConditionFailure(error)) throw error;
}

/** Sums the pages' counts into one snapshot per dimension for the run's day, and completes the run. */
async function finish(run: Run): Promise<void> {
  const steps = await stepsOf(run.runId, 2);
  const dist = Object.fromEntries(
    DIMENSIONS.map((d) => [d, {} as Record<string, number>]),
  ) as PageCounts['dist'];
  const changes: Record<string, number> = {};
  for (const step of steps) {
    const part = step.part as PageCounts;
    for (const d of DIMENSIONS)
      for (const [k, v] of Object.entries(part.dist[d] ?? {})) dist[d][k] = (dist[d][k] ?? 0) + v;
    for (const [k, v] of Object.entries(part.changes)) changes[k] = (changes[k] ?? 0) + v;
  }
  const at = new Date().toISOString();
  const day = run.startedAt.slice(0, 10);
  await Promise.all(
    DIMENSIONS.map((dimension) =>
      store()
        .entities.scoreSnapshot.put({
          dimension,
          day,
          counts: dist[dimension],
          total: Object.values(dist[dimension]).reduce((a, b) => a + b, 0),
          runId: run.runId,
          at,
        })
        .go({ response: 'none' }),
    ),
  );
  try {
    await store()
      .entities.scoringRun.patch({ runId: run.runId })
      .set({ status: 'completed', finishedAt: at, changes })
      .where((attr, op) => op.eq(attr.status, 'scoring'))
      .go();
    log.info('scoring run completed', { runId: run.runId, customers: run.customersScored });
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
