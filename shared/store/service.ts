import { createWriteTransaction, type EntityConfiguration, type Service } from 'electrodb';
import { documentClient } from '../platform/aws.ts';
import { tableNameFromEnv } from '../platform/config.ts';
import { buildApiKey } from './entities/api-key.ts';
import { buildAttributeDefinition } from './entities/attribute-definition.ts';
import { buildAuditEntry } from './entities/audit.ts';
import { buildCampaign } from './entities/campaign.ts';
import { buildCampaignAudit } from './entities/campaign-audit.ts';
import { buildCampaignMarker } from './entities/campaign-marker.ts';
import { buildCampaignRun } from './entities/campaign-run.ts';
import { buildCampaignRunCounter } from './entities/campaign-run-counter.ts';
import { buildCapCounter } from './entities/cap-counter.ts';
import { buildConsent } from './entities/consent.ts';
import { buildConsentHistory } from './entities/consent-history.ts';
import { buildContactPreferences } from './entities/contact-preferences.ts';
import { buildCustomer } from './entities/customer.ts';
import { buildCustomerAggregate } from './entities/customer-aggregate.ts';
import { buildDedupeBlockEntry } from './entities/dedupe-block-entry.ts';
import { buildDedupeDismissal } from './entities/dedupe-dismissal.ts';
import { buildDedupePair } from './entities/dedupe-pair.ts';
import { buildDedupeScan } from './entities/dedupe-scan.ts';
import { buildDedupeStep } from './entities/dedupe-step.ts';
import { buildDeliveryEntry } from './entities/delivery-entry.ts';
import { buildDeliverySettingsItem } from './entities/delivery-settings.ts';
import { buildErasure } from './entities/erasure.ts';
import { buildCustomerEvent } from './entities/event.ts';
import { buildExportJob } from './entities/export-job.ts';
import { buildIdempotencyRecord } from './entities/idempotency.ts';
import { buildIdentity } from './entities/identity.ts';
import { buildImportChunk } from './entities/import-chunk.ts';
import { buildImportJob } from './entities/import-job.ts';
import { buildImportReject } from './entities/import-reject.ts';
import { buildImportRejectRef } from './entities/import-reject-ref.ts';
import { buildMerge } from './entities/merge.ts';
import { buildMergedCustomer } from './entities/merged-customer.ts';
import { buildMessageOutcome } from './entities/message-outcome.ts';
import { buildMessageRefItem } from './entities/message-ref.ts';
import { buildOrderAttribution } from './entities/order-attribution.ts';
import { buildResultCounter } from './entities/result-counter.ts';
import { buildResultSettings } from './entities/result-settings.ts';
import { buildScoreSnapshot } from './entities/score-snapshot.ts';
import { buildScoringRun } from './entities/scoring-run.ts';
import { buildScoringSettingsItem } from './entities/scoring-settings.ts';
import { buildScoringStep } from './entities/scoring-step.ts';
import { buildSegment } from './entities/segment.ts';
import { buildSegmentDue } from './entities/segment-due.ts';
import { buildSegmentHistory } from './entities/segment-history.ts';
import { buildSegmentMembership } from './entities/segment-membership.ts';
import { buildSegmentRun } from './entities/segment-run.ts';
import { buildSegmentRunStep } from './entities/segment-run-step.ts';
import { buildSegmentSchedule } from './entities/segment-schedule.ts';
import { buildSegmentShardCount } from './entities/segment-shard-count.ts';
import { buildSegmentSweep } from './entities/segment-sweep.ts';
import { buildSuppression } from './entities/suppression.ts';
import { buildTemplateItem } from './entities/template.ts';
import { buildTierChange } from './entities/tier-change.ts';
import { buildTopic } from './entities/topic.ts';

/**
 * Every entity of the table, by the name code reaches it with (`store().entities.customer`), as the
 * function that builds it for a client and table.
 */
const builders = {
  customer: buildCustomer,
  identity: buildIdentity,
  event: buildCustomerEvent,
  audit: buildAuditEntry,
  apiKey: buildApiKey,
  attributeDefinition: buildAttributeDefinition,
  erasure: buildErasure,
  idempotency: buildIdempotencyRecord,
  merge: buildMerge,
  mergedCustomer: buildMergedCustomer,
  dedupeScan: buildDedupeScan,
  dedupeStep: buildDedupeStep,
  dedupeBlockEntry: buildDedupeBlockEntry,
  dedupePair: buildDedupePair,
  dedupeDismissal: buildDedupeDismissal,
  exportJob: buildExportJob,
  consent: buildConsent,
  consentHistory: buildConsentHistory,
  contactPreferences: buildContactPreferences,
  suppression: buildSuppression,
  topic: buildTopic,
  importJob: buildImportJob,
  importChunk: buildImportChunk,
  importReject: buildImportReject,
  importRejectRef: buildImportRejectRef,
  customerAggregate: buildCustomerAggregate,
  scoringSettings: buildScoringSettingsItem,
  scoringRun: buildScoringRun,
  scoringStep: buildScoringStep,
  tierChange: buildTierChange,
  scoreSnapshot: buildScoreSnapshot,
  messageOutcome: buildMessageOutcome,
  resultCounter: buildResultCounter,
  orderAttribution: buildOrderAttribution,
  resultSettings: buildResultSettings,
  messageRef: buildMessageRefItem,
  template: buildTemplateItem,
  deliveryEntry: buildDeliveryEntry,
  capCounter: buildCapCounter,
  deliverySettings: buildDeliverySettingsItem,
  segment: buildSegment,
  segmentMembership: buildSegmentMembership,
  segmentHistory: buildSegmentHistory,
  segmentShardCount: buildSegmentShardCount,
  segmentRun: buildSegmentRun,
  segmentRunStep: buildSegmentRunStep,
  campaign: buildCampaign,
  campaignRun: buildCampaignRun,
  campaignRunCounter: buildCampaignRunCounter,
  campaignMarker: buildCampaignMarker,
  campaignAudit: buildCampaignAudit,
  segmentSchedule: buildSegmentSchedule,
  segmentDue: buildSegmentDue,
  segmentSweep: buildSegmentSweep,
};

export type EntityName = keyof typeof builders;
export type StoreEntities = { [K in EntityName]: ReturnType<(typeof builders)[K]> };

export interface Store {
  /** Each entity is built the first time it is reached, then kept. */
  entities: StoreEntities;
  /** Write transactions across entities, as ElectroDB's Service offers them. */
  transaction: Pick<Service<StoreEntities>['transaction'], 'write'>;
}

let current: Store | undefined;

/**
 * The entities bound to the table and client of this process, created on first use.
 *
 * Entities are built when code first reaches them, not all at import: building one costs about half a
 * millisecond (ElectroDB parses the model and prepares its clauses), a function uses a handful of the
 * 54, and all of them at import were about 30 ms of every cold start (`npm run bench -- cold-start`).
 * The map only holds what has been built, so ElectroDB's transactions (which look through the map they
 * are given to parse cancellation reasons) never build the rest. They send through the first entity of
 * the map before their function has run, so the customer entity is built with the store.
 */
export function store(): Store {
  if (!current) {
    const config: EntityConfiguration = { client: documentClient(), table: tableNameFromEnv() };
    const built: Partial<StoreEntities> = { customer: builders.customer(config) };
    const entities = new Proxy(built, {
      get(target, name, receiver) {
        if (typeof name === 'string' && !Object.hasOwn(target, name) && Object.hasOwn(builders, name)) {
          const key = name as EntityName;
          (target as Record<EntityName, unknown>)[key] = builders[key](config);
        }
        return Reflect.get(target, name, receiver);
      },
    }) as StoreEntities;
    current = {
      entities,
      transaction: { write: (fn) => createWriteTransaction(entities, fn) },
    };
  }
  return current;
}

/** Builds every entity once, which validates each model (the tests run the real validator). */
export function buildAllEntities(config: EntityConfiguration): StoreEntities {
  return Object.fromEntries(
    Object.entries(builders).map(([name, build]) => [name, build(config)]),
  ) as StoreEntities;
}
