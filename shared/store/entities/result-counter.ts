import { Entity, type EntityConfiguration } from 'electrodb';
import { channels } from './consent.ts';

/**
 * One shard of one result metric of a source (campaign, automation, transactional key) for one run,
 * variant, tier and channel. Writers add to a random shard of the sixteen, so a campaign sending at full
 * speed spreads its counter writes; readers query the source's partition and sum. The metric is a name:
 * `sent`, `opened`, `excluded:<reason>`, `revenue:<currency>` … (shared/results/metrics.ts).
 */
export const buildResultCounter = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'resultCounter', version: '1' },
      attributes: {
        source: { type: 'string', required: true },
        run: { type: 'string', required: true },
        variant: { type: 'string', required: true },
        tier: { type: 'string', required: true },
        channel: { type: channels, required: true },
        metric: { type: 'string', required: true },
        shard: { type: 'number', required: true },
        /** A count, or for revenue metrics a sum of order amounts (DynamoDB adds decimals exactly). */
        n: { type: 'number' },
      },
      indexes: {
        bySource: {
          pk: { field: 'pk', composite: ['source'], template: 'RES#${source}', casing: 'none' },
          sk: {
            field: 'sk',
            composite: ['run', 'variant', 'tier', 'channel', 'metric', 'shard'],
            template: 'CTR#${run}#${variant}#${tier}#${channel}#${metric}#${shard}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type ResultCounter = ReturnType<typeof buildResultCounter>;
