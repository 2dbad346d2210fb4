import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * A declared subscription topic (promotions, service notices, surveys). Few and rarely written: one
 * partition holds them all, as with custom attribute definitions.
 */
export const buildTopic = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'topic', version: '1' },
      attributes: {
        topic: { type: 'string', required: true },
        nameEn: { type: 'string', required: true },
        nameZh: { type: 'string', required: true },
        description: { type: 'string' },
        kind: { type: ['marketing', 'service'] as const, required: true },
        channels: { type: 'list', items: { type: 'string' }, required: true },
        /** What applies when a customer has no record for the topic or its channel (implied consent or not). */
        defaultStatus: { type: ['opted_in', 'opted_out'] as const, required: true },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        byName: {
          pk: { field: 'pk', composite: [], template: 'TOPICS', casing: 'none' },
          sk: { field: 'sk', composite: ['topic'], template: '${topic}', casing: 'none' },
        },
      },
    },
    config,
  );

export type Topic = ReturnType<typeof buildTopic>;
