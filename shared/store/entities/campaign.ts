import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * A campaign: what to send (variants with content per channel), to whom (include/exclude segments,
 * holdout), when (now, at a time, at a local time of day, or on a recurring schedule), and where it is
 * in its lifecycle. `version` backs ETag/If-Match; every change of `status` writes a campaignAudit entry
 * in the same transaction (shared/campaigns/service.ts).
 */
export const campaignStatuses = [
  'draft',
  'submitted',
  'approved',
  'scheduled',
  'sending',
  'paused',
  'completed',
  'cancelled',
] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];

export const buildCampaign = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'campaign', version: '1' },
      attributes: {
        campaignId: { type: 'string', required: true },
        name: { type: 'string', required: true },
        description: { type: 'string' },
        status: { type: campaignStatuses, required: true },
        /** Consent topic every message of the campaign is sent under. */
        topic: { type: 'string' },
        /** Channel order with fallback, e.g. push, sms, email. */
        channels: { type: 'list', items: { type: 'string' }, required: true },
        /** `{ include: string[], exclude: string[], holdoutPercent: number }`. */
        audience: { type: 'any', required: true },
        /** `[{ id, weight, tiers?, content }]`, validated by shared/campaigns/schema.ts. */
        variants: { type: 'any', required: true },
        /** `{ kind: 'now' | 'at' | 'local' | 'recurring', ... }`. */
        schedule: { type: 'any', required: true },
        /** Per-campaign caps per channel (replace the stage's for this campaign's sends). */
        caps: { type: 'any' },
        /** Customer ids a test send goes to. */
        testRecipients: { type: 'list', items: { type: 'string' } },
        /** Audience size estimated at submission (sum of include segments' counters). */
        audienceEstimate: { type: 'number' },
        approvalRequired: { type: 'boolean' },
        createdBy: { type: 'string', required: true },
        submittedBy: { type: 'string' },
        approvedBy: { type: 'string' },
        /** The run being sent (or last sent); recurring campaigns get one per occurrence. */
        currentRunId: { type: 'string' },
        /** For `at`, `local` and recurring schedules: when the scheduler starts the next run (ISO). */
        nextRunAt: { type: 'string' },
        runs: { type: 'number', required: true, default: 0 },
        version: { type: 'number', required: true },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
        listKey: { type: 'string', required: true, default: 'ALL', readOnly: true },
        /**
         * When the scheduler should start the next run (ISO), or `none`: the due index sorts on it, so the
         * scheduler's query for "due by now" stops before the campaigns with nothing to come ('n' > '2').
         */
        dueAt: { type: 'string', required: true, default: 'none' },
      },
      indexes: {
        byId: {
          pk: { field: 'pk', composite: ['campaignId'], template: 'CAMP#${campaignId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'CAMPAIGN', casing: 'none' },
        },
        all: {
          index: 'gsi1',
          pk: { field: 'gsi1pk', composite: ['listKey'], template: 'CAMPAIGNS#${listKey}', casing: 'none' },
          sk: { field: 'gsi1sk', composite: ['campaignId'], template: '${campaignId}', casing: 'none' },
        },
        /** All campaigns under one key (they are few), sorted by dueAt. */
        due: {
          index: 'gsi2',
          pk: { field: 'gsi2pk', composite: [], template: 'CAMPDUE', casing: 'none' },
          sk: {
            field: 'gsi2sk',
            composite: ['dueAt', 'campaignId'],
            template: '${dueAt}#${campaignId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type Campaign = ReturnType<typeof buildCampaign>;
