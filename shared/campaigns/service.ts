import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { CampaignPlanMessage } from '../../events/schemas/index.ts';
import { envNames } from '../../functions/env-names.ts';
import { config, queueUrl } from '../platform/config.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../platform/errors.ts';
import type { Principal } from '../platform/http.ts';
import { newId } from '../platform/ids.ts';
import { parseSchedule } from '../platform/schedule.ts';
import { sqsClient } from '../platform/sqs.ts';
import { zodIssuesToFieldErrors } from '../platform/validation.ts';
import type { CampaignStatus } from '../store/entities/campaign.ts';
import { store } from '../store/service.ts';
import { dryRun } from './dry-run.ts';
import { type CampaignItem, cancelRun, runTotals } from './pipeline.ts';
import {
  type CampaignAction,
  type CampaignCreate,
  type CampaignPatch,
  type CampaignSchedule,
  campaignCreateSchema,
} from './schema.ts';
import { testSend } from './test-send.ts';

/**
 * The campaign lifecycle:
 *
 *   draft --submit--> submitted --approve--> approved --schedule--> scheduled --(due)--> sending --> completed
 *     ^                  |reject                                      ^   |pause          |pause
 *     +------------------+                                            |   v               v
 *                                                           resume--paused <-------------+
 *   cancel: from any state but completed and cancelled.
 *
 * Every transition is one transaction: the campaign under its version (If-Match when given) and status,
 * and a campaignAudit entry. Approval: a campaign whose estimated audience is above
 * CAMPAIGN_APPROVAL_THRESHOLD needs the approve scope on a different key than the one that submitted it.
 */

const transitions: Partial<Record<CampaignAction, { from: CampaignStatus[] }>> = {
  submit: { from: ['draft'] },
  approve: { from: ['submitted'] },
  reject: { from: ['submitted'] },
  schedule: { from: ['approved'] },
  pause: { from: ['scheduled', 'sending'] },
  resume: { from: ['paused'] },
  cancel: { from: ['draft', 'submitted', 'approved', 'scheduled', 'sending', 'paused'] },
};

const NONE = 'none';

export interface CampaignView {
  id: string;
  name: string;
  description?: string;
  status: CampaignStatus;
  topic?: string;
  channels: string[];
  audience: unknown;
  variants: unknown;
  schedule: unknown;
  caps?: unknown;
  testRecipients: string[];
  audienceEstimate?: number;
  approvalRequired?: boolean;
  createdBy: string;
  submittedBy?: string;
  approvedBy?: string;
  currentRunId?: string;
  nextRunAt?: string;
  runs: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export function toView(c: CampaignItem): CampaignView {
  return {
    id: c.campaignId,
    name: c.name,
    ...(c.description && { description: c.description }),
    status: c.status,
    ...(c.topic && { topic: c.topic }),
    channels: c.channels,
    audience: c.audience,
    variants: c.variants,
    schedule: c.schedule,
    ...(c.caps && { caps: c.caps }),
    testRecipients: c.testRecipients ?? [],
    ...(c.audienceEstimate !== undefined && { audienceEstimate: c.audienceEstimate }),
    ...(c.approvalRequired !== undefined && { approvalRequired: c.approvalRequired }),
    createdBy: c.createdBy,
    ...(c.submittedBy && { submittedBy: c.submittedBy }),
    ...(c.approvedBy && { approvedBy: c.approvedBy }),
    ...(c.currentRunId && { currentRunId: c.currentRunId }),
    ...(c.dueAt !== NONE && { nextRunAt: c.dueAt }),
    runs: c.runs,
    version: c.version,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

async function readCampaign(campaignId: string): Promise<CampaignItem> {
  const { data } = await store().entities.campaign.get({ campaignId }).go({ consistent: true });
  if (!data) throw new NotFoundError(`No campaign ${campaignId}`);
  return data;
}

async function checkSegments(include: string[], exclude: string[]): Promise<void> {
  const ids = [...include, ...exclude];
  const { data } = await store()
    .entities.segment.get(ids.map((segmentId) => ({ segmentId })))
    .go();
  const found = new Set(data.map((s) => s.segmentId));
  const errors = ids.flatMap((id, i) =>
    found.has(id)
      ? []
      : [
          {
            path: i < include.length ? `audience.include[${i}]` : `audience.exclude[${i - include.length}]`,
            message: `names no segment (${id})`,
          },
        ],
  );
  if (errors.length > 0) throw new ValidationError(errors);
}

export async function createCampaign(input: CampaignCreate, principal: Principal): Promise<CampaignView> {
  await checkSegments(input.audience.include, input.audience.exclude);
  const now = new Date().toISOString();
  const item = {
    campaignId: newId(),
    name: input.name,
    ...(input.description && { description: input.description }),
    status: 'draft' as const,
    ...(input.topic && { topic: input.topic }),
    channels: input.channels,
    audience: input.audience,
    variants: input.variants,
    schedule: input.schedule,
    ...(input.caps && { caps: input.caps }),
    testRecipients: input.testRecipients,
    createdBy: principal.keyId,
    runs: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const result = await store()
    .transaction.write(({ campaign, campaignAudit }) => [
      campaign.create(item).commit(),
      audit(campaignAudit, item.campaignId, 'created', undefined, 'draft', principal, now),
    ])
    .go();
  if (result.canceled) throw new ConflictError('The campaign could not be created; try again');
  return toView(await readCampaign(item.campaignId));
}

type AuditEntities = Parameters<Parameters<ReturnType<typeof store>['transaction']['write']>[0]>[0];

function audit(
  campaignAudit: AuditEntities['campaignAudit'],
  campaignId: string,
  action: string,
  from: string | undefined,
  to: string | undefined,
  principal: Pick<Principal, 'keyId' | 'keyName'>,
  at: string,
  extra: { fields?: string[]; note?: string } = {},
) {
  return campaignAudit
    .create({
      campaignId,
      auditId: newId(),
      action,
      ...(from && { from }),
      ...(to && { to }),
      actorKeyId: principal.keyId,
      actorName: principal.keyName,
      ...(extra.fields && { fields: extra.fields }),
      ...(extra.note && { note: extra.note }),
      at,
    })
    .commit();
}

export async function getCampaign(campaignId: string) {
  const item = await readCampaign(campaignId);
  const view = toView(item);
  if (!item.currentRunId) return { campaign: view };
  const { data: run } = await store()
    .entities.campaignRun.get({ campaignId, runId: item.currentRunId })
    .go({ consistent: true });
  if (!run) return { campaign: view };
  const totals = await runTotals(campaignId, run.runId);
  return {
    campaign: view,
    run: {
      id: run.runId,
      source: run.source,
      status: run.status,
      recipients: run.recipients,
      planned: run.shardsLeft === 0,
      messages: run.messages,
      messagesDone: totals.done,
      counts: totals.counts,
      startedAt: run.startedAt,
      ...(run.completedAt && { completedAt: run.completedAt }),
    },
  };
}

export async function listCampaigns(query: {
  limit: number;
  cursor?: string | undefined;
  status?: CampaignStatus | undefined;
}) {
  const { data, cursor } = await store()
    .entities.campaign.query.all({ listKey: 'ALL' })
    .where((a, op) => (query.status ? op.eq(a.status, query.status) : ''))
    .go({ limit: query.limit, order: 'desc', ...(query.cursor && { cursor: query.cursor }) });
  return { items: data.map(toView), ...(cursor && { next: cursor }) };
}

export async function campaignAuditTrail(campaignId: string, limit: number, cursor?: string) {
  await readCampaign(campaignId);
  const { data, cursor: next } = await store()
    .entities.campaignAudit.query.byCampaign({ campaignId })
    .go({ limit, ...(cursor && { cursor }) });
  return {
    items: data.map(({ campaignId: _, auditId, ...rest }) => ({ id: auditId, ...rest })),
    ...(next && { next }),
  };
}

function checkVersion(item: CampaignItem, version: number | undefined): void {
  if (version !== undefined && version !== item.version) {
    throw new PreconditionFailedError(
      `The campaign is at version ${item.version}, not ${version}; read it again and retry`,
    );
  }
}

export async function patchCampaign(
  campaignId: string,
  patch: CampaignPatch,
  version: number,
  principal: Principal,
): Promise<CampaignView> {
  const before = await readCampaign(campaignId);
  checkVersion(before, version);
  if (before.status !== 'draft') {
    throw new ConflictError(
      `Only a draft can be edited; this campaign is ${before.status} (reject or copy it)`,
    );
  }
  const merged: Record<string, unknown> = { ...toView(before) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete merged[k];
    else if (v !== undefined) merged[k] = v;
  }
  const whole = campaignCreateSchema.safeParse({
    name: merged.name,
    ...(merged.description !== undefined && { description: merged.description }),
    ...(merged.topic !== undefined && { topic: merged.topic }),
    channels: merged.channels,
    audience: merged.audience,
    variants: merged.variants,
    schedule: merged.schedule,
    ...(merged.caps !== undefined && { caps: merged.caps }),
    testRecipients: merged.testRecipients,
  });
  if (!whole.success) throw new ValidationError(zodIssuesToFieldErrors(whole.error.issues, ''));
  const next = whole.data;
  if (patch.audience) await checkSegments(next.audience.include, next.audience.exclude);
  const now = new Date().toISOString();
  const fields = Object.keys(patch).filter((k) => patch[k as keyof CampaignPatch] !== undefined);
  const result = await store()
    .transaction.write(({ campaign, campaignAudit }) => [
      campaign
        .put({
          ...before,
          name: next.name,
          description: next.description,
          topic: next.topic,
          channels: next.channels,
          audience: next.audience,
          variants: next.variants,
          schedule: next.schedule,
          caps: next.caps,
          testRecipients: next.testRecipients,
          version: before.version + 1,
          updatedAt: now,
        })
        .where((a, op) => `${op.eq(a.version, before.version)} AND ${op.eq(a.status, 'draft')}`)
        .commit(),
      audit(campaignAudit, campaignId, 'edited', 'draft', 'draft', principal, now, { fields }),
    ])
    .go();
  if (result.canceled)
    throw new PreconditionFailedError('The campaign changed meanwhile; read it again and retry');
  return toView(await readCampaign(campaignId));
}

/** Estimated audience: the members of the include segments (overlaps and exclusions not subtracted). */
export async function estimateAudience(include: string[]): Promise<number> {
  let total = 0;
  for (const segmentId of include) {
    const { data: segment } = await store().entities.segment.get({ segmentId }).go();
    if (!segment) continue;
    const { data } = await store()
      .entities.segmentShardCount.get(
        Array.from({ length: segment.shards }, (_, shard) => ({ segmentId, shard })),
      )
      .go();
    total += data.reduce((sum, c) => sum + Math.max(0, c.count), 0);
  }
  return total;
}

/** When the first run of a schedule starts (for `local`: when the earliest zone, UTC+14, reaches it). */
export function firstRunAt(schedule: CampaignSchedule, now: Date): Date {
  switch (schedule.kind) {
    case 'now':
      return now;
    case 'at':
      return new Date(schedule.at);
    case 'local': {
      const utc = Date.parse(`${schedule.date}T${schedule.time}:00Z`);
      return new Date(Math.max(now.getTime(), utc - 14 * 3_600_000));
    }
    case 'recurring': {
      // startAt is the first occurrence; without one (or once it has passed) the expression's next time.
      if (schedule.startAt && Date.parse(schedule.startAt) >= now.getTime())
        return new Date(schedule.startAt);
      const anchor = schedule.startAt ? new Date(schedule.startAt) : now;
      return parseSchedule(schedule.expression, { anchor }).next(new Date(now.getTime() - 1)) ?? now;
    }
  }
}

/** The occurrence after `after`, or undefined when the campaign does not recur (or has ended). */
export function nextOccurrence(schedule: CampaignSchedule, after: Date): Date | undefined {
  if (schedule.kind !== 'recurring') return undefined;
  const next = parseSchedule(schedule.expression, {
    ...(schedule.startAt && { anchor: new Date(schedule.startAt) }),
  }).next(after);
  if (!next) return undefined;
  if (schedule.endAt && next.getTime() > Date.parse(schedule.endAt)) return undefined;
  return next;
}

export interface ActionResult {
  campaign: CampaignView;
  /** Only test-send and dry-run answer more than the campaign. */
  result?: unknown;
}

export async function actOn(
  campaignId: string,
  action: CampaignAction,
  body: { note?: string | undefined; sample?: number | undefined },
  principal: Principal,
  version: number | undefined,
): Promise<ActionResult> {
  const before = await readCampaign(campaignId);
  checkVersion(before, version);
  if (action === 'dry-run') {
    return { campaign: toView(before), result: await dryRun(before, body.sample) };
  }
  if (action === 'test-send') {
    if (['completed', 'cancelled', 'sending'].includes(before.status)) {
      throw new ConflictError(`A ${before.status} campaign cannot be test-sent`);
    }
    if ((before.testRecipients ?? []).length === 0) {
      throw ValidationError.field(
        'testRecipients',
        'the campaign lists no test recipients; add them to the draft',
      );
    }
    const result = await testSend(before);
    const now = new Date().toISOString();
    await store()
      .entities.campaignAudit.create({
        campaignId,
        auditId: newId(),
        action: 'test-send',
        actorKeyId: principal.keyId,
        actorName: principal.keyName,
        note: `${result.sent} sent to ${result.recipients.length} test recipients`,
        at: now,
      })
      .go();
    return { campaign: toView(before), result };
  }
  const rule = transitions[action];
  if (!rule) throw ValidationError.field('path.action', `is not an action: ${action}`);
  if (!rule.from.includes(before.status)) {
    throw new ConflictError(
      `Cannot ${action} a ${before.status} campaign (allowed from: ${rule.from.join(', ')})`,
    );
  }
  const now = new Date();
  const changes: Partial<CampaignItem> = {};
  let to: CampaignStatus;
  switch (action) {
    case 'submit': {
      await checkSegments(
        (before.audience as { include: string[] }).include,
        (before.audience as { exclude: string[] }).exclude,
      );
      const estimate = await estimateAudience((before.audience as { include: string[] }).include);
      to = 'submitted';
      Object.assign(changes, {
        audienceEstimate: estimate,
        approvalRequired: estimate > config().CAMPAIGN_APPROVAL_THRESHOLD,
        submittedBy: principal.keyId,
      });
      break;
    }
    case 'approve': {
      const approver = principal.scopes.includes('approve') || principal.scopes.includes('admin');
      if (!approver) throw new ForbiddenError('Approving a campaign needs the "approve" scope');
      if (before.approvalRequired && before.submittedBy === principal.keyId) {
        throw new ForbiddenError(
          `The audience (${before.audienceEstimate}) is above ${config().CAMPAIGN_APPROVAL_THRESHOLD}: another key than the submitter's must approve`,
        );
      }
      to = 'approved';
      changes.approvedBy = principal.keyId;
      break;
    }
    case 'reject':
      to = 'draft';
      break;
    case 'schedule': {
      const at = firstRunAt(before.schedule as CampaignSchedule, now);
      to = 'scheduled';
      Object.assign(changes, { nextRunAt: at.toISOString(), dueAt: at.toISOString() });
      break;
    }
    case 'pause':
      to = 'paused';
      break;
    case 'resume': {
      const running = before.currentRunId
        ? (
            await store()
              .entities.campaignRun.get({ campaignId, runId: before.currentRunId })
              .go({ consistent: true })
          ).data
        : undefined;
      to =
        running && (running.status === 'planning' || running.status === 'sending') ? 'sending' : 'scheduled';
      break;
    }
    case 'cancel':
      to = 'cancelled';
      break;
    default:
      throw ValidationError.field('path.action', `is not an action: ${action}`);
  }
  await transition(before, to, action, principal, changes, now, body.note);
  if (action === 'cancel' && before.currentRunId) await cancelRun(campaignId, before.currentRunId);
  if (to === 'scheduled' && changes.nextRunAt && Date.parse(changes.nextRunAt) <= now.getTime()) {
    // Send now: start at once rather than at the scheduler's next tick (which would also start it).
    await startDue(await readCampaign(campaignId), now);
  }
  return { campaign: toView(await readCampaign(campaignId)) };
}

async function transition(
  before: CampaignItem,
  to: CampaignStatus,
  action: string,
  principal: Pick<Principal, 'keyId' | 'keyName'>,
  changes: Partial<CampaignItem>,
  now: Date,
  note?: string,
): Promise<void> {
  const at = now.toISOString();
  const result = await store()
    .transaction.write(({ campaign, campaignAudit }) => [
      campaign
        .patch({ campaignId: before.campaignId })
        .set({ ...changes, status: to, version: before.version + 1, updatedAt: at })
        .where((a, op) => `${op.eq(a.version, before.version)} AND ${op.eq(a.status, before.status)}`)
        .commit(),
      audit(campaignAudit, before.campaignId, action, before.status, to, principal, at, note ? { note } : {}),
    ])
    .go();
  if (result.canceled) {
    throw new PreconditionFailedError('The campaign changed meanwhile; read it again and retry');
  }
}

const system = { keyId: 'system', keyName: 'scheduler' };

function runIdFor(campaign: CampaignItem, at: Date): string {
  // One-off: the run is the campaign; a recurring occurrence is named by its time, so a scheduler that
  // fires twice for it starts the same run.
  return (campaign.schedule as CampaignSchedule).kind === 'recurring'
    ? at
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '')
    : campaign.campaignId;
}

/** Starts the due run of a scheduled campaign: planner first (idempotent), then the transition. */
export async function startDue(campaign: CampaignItem, now: Date): Promise<boolean> {
  if (campaign.status !== 'scheduled' || campaign.dueAt === NONE) return false;
  const due = new Date(campaign.dueAt);
  if (due.getTime() > now.getTime()) return false;
  const runId = runIdFor(campaign, due);
  const message: CampaignPlanMessage = { kind: 'start', campaignId: campaign.campaignId, runId };
  await sqsClient().send(
    new SendMessageCommand({
      QueueUrl: queueUrl(envNames.queueUrl('campaign-plan')),
      MessageBody: JSON.stringify(message),
    }),
  );
  const next = nextOccurrence(campaign.schedule as CampaignSchedule, due);
  try {
    await transition(
      campaign,
      'sending',
      'started',
      system,
      {
        currentRunId: runId,
        runs: campaign.runs + 1,
        dueAt: next ? next.toISOString() : NONE,
        ...(next && { nextRunAt: next.toISOString() }),
      },
      now,
      `run ${runId}`,
    );
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
    return false;
  }
  return true;
}

/** The scheduler's tick: every scheduled campaign whose next run is due starts it. */
export async function startDueRuns(now = new Date()): Promise<number> {
  let started = 0;
  let cursor: string | null = null;
  do {
    const page: { data: CampaignItem[]; cursor: string | null } = await store()
      .entities.campaign.query.due({})
      .lte({ dueAt: now.toISOString() })
      .go({ limit: 100, ...(cursor && { cursor }) });
    for (const item of page.data) {
      const fresh = await readCampaign(item.campaignId);
      if (await startDue(fresh, now)) started++;
    }
    cursor = page.cursor;
  } while (cursor);
  return started;
}

/** Called when a run completes: a one-off campaign is completed; a recurring one waits for its next. */
export async function completeCampaignRun(campaignId: string, runId: string): Promise<void> {
  const campaign = await readCampaign(campaignId);
  if (campaign.currentRunId !== runId || campaign.status !== 'sending') return;
  const to: CampaignStatus = campaign.dueAt !== NONE ? 'scheduled' : 'completed';
  try {
    await transition(campaign, to, 'run_completed', system, {}, new Date(), `run ${runId}`);
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
  }
}
