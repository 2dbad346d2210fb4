import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * What the send workers did in one run, one counter item per shard (the send message's shard), so
 * thousands of workers do not all add to one key. Counts are maps: `outcomes` by outcome (sent, holdout,
 * duplicate, deferred, skipped:<reason>), `variants` by variant and `channels` by channel. A run's
 * totals are the sum over its shards.
 */
export const RUN_COUNTER_SHARDS = 8;

export const buildCampaignRunCounter = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'campaignRunCounter', version: '1' },
      attributes: {
        campaignId: { type: 'string', required: true },
        runId: { type: 'string', required: true },
        shard: { type: 'number', required: true },
        /** Send-queue messages finished (each counted once, guarded by its campaignMarker). */
        done: { type: 'number', required: true, default: 0 },
        outcomes: { type: 'any' },
      },
      indexes: {
        byRun: {
          pk: {
            field: 'pk',
            composite: ['campaignId', 'runId'],
            template: 'CAMPRUN#${campaignId}#${runId}',
            casing: 'none',
          },
          sk: { field: 'sk', composite: ['shard'], template: 'COUNT#${shard}', casing: 'none' },
        },
      },
    },
    config,
  );

export type CampaignRunCounter = ReturnType<typeof buildCampaignRunCounter>;
