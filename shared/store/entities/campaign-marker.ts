import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * Done-markers that make queue work idempotent: `page:<segment>:<shard>:<page>` once the planner has
 * enqueued a page of members (holding the cursor of the next page), and `msg:<id>` once a send message
 * was counted. Written in the same transaction as the counters they guard; expire after 30 days.
 */
export const buildCampaignMarker = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'campaignMarker', version: '1' },
      attributes: {
        campaignId: { type: 'string', required: true },
        runId: { type: 'string', required: true },
        marker: { type: 'string', required: true },
        /** For a page: the membership cursor of the next page, absent on the last one. */
        next: { type: 'string' },
        at: { type: 'string', required: true },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byRun: {
          pk: {
            field: 'pk',
            composite: ['campaignId', 'runId'],
            template: 'CAMPRUN#${campaignId}#${runId}',
            casing: 'none',
          },
          sk: { field: 'sk', composite: ['marker'], template: 'MARK#${marker}', casing: 'none' },
        },
      },
    },
    config,
  );

export type CampaignMarker = ReturnType<typeof buildCampaignMarker>;
