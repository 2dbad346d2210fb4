import { Service } from 'electrodb';
import { documentClient } from '../platform/aws.ts';
import { tableNameFromEnv } from '../platform/config.ts';
import { ApiKey } from './entities/api-key.ts';
import { AttributeDefinition } from './entities/attribute-definition.ts';
import { AuditEntry } from './entities/audit.ts';
import { Campaign } from './entities/campaign.ts';
import { CampaignAudit } from './entities/campaign-audit.ts';
import { CampaignMarker } from './entities/campaign-marker.ts';
import { CampaignRun } from './entities/campaign-run.ts';
import { CampaignRunCounter } from './entities/campaign-run-counter.ts';
import { CapCounter } from './entities/cap-counter.ts';
import { Consent } from './entities/consent.ts';
import { ConsentHistory } from './entities/consent-history.ts';
import { ContactPreferences } from './entities/contact-preferences.ts';
import { Customer } from './entities/customer.ts';
import { CustomerAggregate } from './entities/customer-aggregate.ts';
import { DedupeBlockEntry } from './entities/dedupe-block-entry.ts';
import { DedupeDismissal } from './entities/dedupe-dismissal.ts';
import { DedupePair } from './entities/dedupe-pair.ts';
import { DedupeScan } from './entities/dedupe-scan.ts';
import { DedupeStep } from './entities/dedupe-step.ts';
import { DeliveryEntry } from './entities/delivery-entry.ts';
import { DeliverySettingsItem } from './entities/delivery-settings.ts';
import { Erasure } from './entities/erasure.ts';
import { CustomerEvent } from './entities/event.ts';
import { ExportJob } from './entities/export-job.ts';
import { IdempotencyRecord } from './entities/idempotency.ts';
import { Identity } from './entities/identity.ts';
import { ImportChunk } from './entities/import-chunk.ts';
import { ImportJob } from './entities/import-job.ts';
import { ImportReject } from './entities/import-reject.ts';
import { ImportRejectRef } from './entities/import-reject-ref.ts';
import { Merge } from './entities/merge.ts';
import { MergedCustomer } from './entities/merged-customer.ts';
import { MessageOutcome } from './entities/message-outcome.ts';
import { MessageRefItem } from './entities/message-ref.ts';
import { OrderAttribution } from './entities/order-attribution.ts';
import { ResultCounter } from './entities/result-counter.ts';
import { ResultSettings } from './entities/result-settings.ts';
import { ScoreSnapshot } from './entities/score-snapshot.ts';
import { ScoringRun } from './entities/scoring-run.ts';
import { ScoringSettingsItem } from './entities/scoring-settings.ts';
import { ScoringStep } from './entities/scoring-step.ts';
import { Segment } from './entities/segment.ts';
import { SegmentDue } from './entities/segment-due.ts';
import { SegmentHistory } from './entities/segment-history.ts';
import { SegmentMembership } from './entities/segment-membership.ts';
import { SegmentRun } from './entities/segment-run.ts';
import { SegmentRunStep } from './entities/segment-run-step.ts';
import { SegmentSchedule } from './entities/segment-schedule.ts';
import { SegmentShardCount } from './entities/segment-shard-count.ts';
import { SegmentSweep } from './entities/segment-sweep.ts';
import { Suppression } from './entities/suppression.ts';
import { TemplateItem } from './entities/template.ts';
import { TierChange } from './entities/tier-change.ts';
import { Topic } from './entities/topic.ts';

const entities = {
  customer: Customer,
  identity: Identity,
  event: CustomerEvent,
  audit: AuditEntry,
  apiKey: ApiKey,
  attributeDefinition: AttributeDefinition,
  erasure: Erasure,
  idempotency: IdempotencyRecord,
  merge: Merge,
  mergedCustomer: MergedCustomer,
  dedupeScan: DedupeScan,
  dedupeStep: DedupeStep,
  dedupeBlockEntry: DedupeBlockEntry,
  dedupePair: DedupePair,
  dedupeDismissal: DedupeDismissal,
  exportJob: ExportJob,
  consent: Consent,
  consentHistory: ConsentHistory,
  contactPreferences: ContactPreferences,
  suppression: Suppression,
  topic: Topic,
  importJob: ImportJob,
  importChunk: ImportChunk,
  importReject: ImportReject,
  importRejectRef: ImportRejectRef,
  customerAggregate: CustomerAggregate,
  scoringSettings: ScoringSettingsItem,
  scoringRun: ScoringRun,
  scoringStep: ScoringStep,
  tierChange: TierChange,
  scoreSnapshot: ScoreSnapshot,
  messageOutcome: MessageOutcome,
  resultCounter: ResultCounter,
  orderAttribution: OrderAttribution,
  resultSettings: ResultSettings,
  messageRef: MessageRefItem,
  template: TemplateItem,
  deliveryEntry: DeliveryEntry,
  capCounter: CapCounter,
  deliverySettings: DeliverySettingsItem,
  segment: Segment,
  segmentMembership: SegmentMembership,
  segmentHistory: SegmentHistory,
  segmentShardCount: SegmentShardCount,
  segmentRun: SegmentRun,
  segmentRunStep: SegmentRunStep,
  campaign: Campaign,
  campaignRun: CampaignRun,
  campaignRunCounter: CampaignRunCounter,
  campaignMarker: CampaignMarker,
  campaignAudit: CampaignAudit,
  segmentSchedule: SegmentSchedule,
  segmentDue: SegmentDue,
  segmentSweep: SegmentSweep,
};

let service: Service<typeof entities> | undefined;

/** The entities bound to the table and client of this process, created on first use. */
export function store(): Service<typeof entities> {
  if (!service) {
    service = new Service(entities, { client: documentClient(), table: tableNameFromEnv() });
  }
  return service;
}
