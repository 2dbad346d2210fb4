import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * One run of a campaign: the one send of a one-off campaign, or one occurrence of a recurring one. Its
 * `source` is the send gate's ledger source id (`<campaignId>` or `<campaignId>@<occurrence>`), so
 * occurrences never collide in the dedup ledger. Planner progress lives here: `shardsLeft` counts the
 * (include segment, shard) listings not yet finished; `messages` counts send-queue messages enqueued.
 * What the send workers did is counted in campaignRunCounter items (sharded).
 */
export const buildCampaignRun = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'campaignRun', version: '1' },
      attributes: {
        campaignId: { type: 'string', required: true },
        runId: { type: 'string', required: true },
        source: { type: 'string', required: true },
        kind: { type: ['send', 'test'] as const, required: true },
        status: { type: ['planning', 'sending', 'completed', 'cancelled'] as const, required: true },
        /** For local-time sends: the local time of day, e.g. 10:00, and the day it is for. */
        localTime: { type: 'string' },
        shardsTotal: { type: 'number', required: true },
        shardsLeft: { type: 'number', required: true },
        messages: { type: 'number', required: true },
        recipients: { type: 'number', required: true },
        startedAt: { type: 'string', required: true },
        plannedAt: { type: 'string' },
        completedAt: { type: 'string' },
      },
      indexes: {
        byCampaign: {
          pk: { field: 'pk', composite: ['campaignId'], template: 'CAMP#${campaignId}', casing: 'none' },
          sk: { field: 'sk', composite: ['runId'], template: 'RUN#${runId}', casing: 'none' },
        },
      },
    },
    config,
  );

export type CampaignRun = ReturnType<typeof buildCampaignRun>;
