import { readCustomer } from '../customers/service.ts';
import type { Channel } from '../store/entities/consent.ts';
import { store } from '../store/service.ts';
import { chooseVariant, inHoldout } from './audience.ts';
import { deliveryGate, type SendGate } from './deps.ts';
import { type Audience, type CampaignItem, sourceOf, type Variant } from './pipeline.ts';
import { estimateAudience } from './service.ts';

/**
 * A dry run: the audience walked as the planner walks it, each customer put through the same steps as
 * a send (exclude segments, holdout, variant for the tier, the send gate) with the gate in its no-write
 * evaluation mode. Answers how many remain after each step, who would get which channel, and how many
 * would not, by reason. Writes nothing. `sample` bounds the customers evaluated (an HTTP request has
 * seconds); `complete` says whether the whole audience was seen.
 */
export const DEFAULT_SAMPLE = 1000;

export interface DryRunReport {
  estimate: number;
  evaluated: number;
  complete: boolean;
  steps: { step: string; removed: number; remaining: number }[];
  byChannel: Partial<Record<Channel, number>>;
  byVariant: Record<string, number>;
  notSent: Record<string, number>;
  /** For each channel of the order: why it was not used (a customer may fall back to the next). */
  skippedByChannel: Partial<Record<Channel, Record<string, number>>>;
}

async function* audienceOf(audience: Audience, limit: number) {
  let seen = 0;
  for (const [include, segmentId] of audience.include.entries()) {
    const { data: segment } = await store().entities.segment.get({ segmentId }).go();
    for (let shard = 0; shard < (segment?.shards ?? 0); shard++) {
      let cursor: string | null = null;
      do {
        const page: { data: { customerId: string; member: boolean }[]; cursor: string | null } = await store()
          .entities.segmentMembership.query.members({ segmentId, shard })
          .go({ limit: Math.min(500, limit - seen + 1), ...(cursor && { cursor }) });
        for (const m of page.data) {
          if (!m.member) continue;
          if (seen >= limit) return;
          seen++;
          yield { customerId: m.customerId, include };
        }
        cursor = page.cursor;
      } while (cursor);
    }
  }
}

export async function dryRun(
  campaign: CampaignItem,
  sample = DEFAULT_SAMPLE,
  gate: SendGate = deliveryGate,
): Promise<DryRunReport> {
  const audience = campaign.audience as Audience;
  const variants = campaign.variants as Variant[];
  const channels = campaign.channels as Channel[];
  const removed = { exclude: 0, holdout: 0, variant: 0, gate: 0 };
  const report: DryRunReport = {
    estimate: await estimateAudience(audience.include),
    evaluated: 0,
    complete: true,
    steps: [],
    byChannel: {},
    byVariant: {},
    notSent: {},
    skippedByChannel: {},
  };
  const bump = (o: Record<string, number>, k: string) => {
    o[k] = (o[k] ?? 0) + 1;
  };
  for await (const { customerId, include } of audienceOf(audience, sample + 1)) {
    if (report.evaluated >= sample) {
      report.complete = false;
      break;
    }
    report.evaluated++;
    const excludeIds = [...audience.exclude, ...audience.include.slice(0, include)];
    if (excludeIds.length > 0) {
      const { data } = await store()
        .entities.segmentMembership.get(excludeIds.map((segmentId) => ({ customerId, segmentId })))
        .go();
      if (data.some((m) => m.member)) {
        removed.exclude++;
        continue;
      }
    }
    if (inHoldout(campaign.campaignId, customerId, audience.holdoutPercent)) {
      removed.holdout++;
      continue;
    }
    const customer = await readCustomer(customerId);
    const variant = chooseVariant(campaign.campaignId, customerId, customer?.tier ?? undefined, variants);
    if (!variant) {
      removed.variant++;
      bump(report.notSent, 'no_variant_for_tier');
      continue;
    }
    const answer = await gate.evaluate({
      source: {
        kind: 'campaign',
        id: sourceOf(campaign.campaignId, campaign.currentRunId ?? campaign.campaignId),
      },
      customerId,
      channels,
      topic: campaign.topic ?? undefined,
      capOverrides: (campaign.caps ?? undefined) as never,
    });
    for (const skip of answer.skipped) {
      report.skippedByChannel[skip.channel] ??= {};
      bump(report.skippedByChannel[skip.channel] as Record<string, number>, skip.reason);
    }
    if (answer.outcome === 'send' || answer.outcome === 'defer') {
      bump(report.byChannel as Record<string, number>, answer.channel);
      bump(report.byVariant, variant.id);
      continue;
    }
    removed.gate++;
    bump(
      report.notSent,
      answer.outcome === 'duplicate' ? 'already_sent' : (answer.skipped.at(-1)?.reason ?? 'unknown'),
    );
  }
  let remaining = report.evaluated;
  for (const [step, n] of [
    ['exclude segments', removed.exclude],
    ['holdout', removed.holdout],
    ['variant for tier', removed.variant],
    ['send gate', removed.gate],
  ] as const) {
    remaining -= n;
    report.steps.push({ step, removed: n, remaining });
  }
  return report;
}
