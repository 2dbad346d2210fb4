import { Entity, type EntityConfiguration } from 'electrodb';

/** A source's attribution window (hours after a click or an open in which an order counts for it). */
export const buildResultSettings = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'resultSettings', version: '1' },
      attributes: {
        source: { type: 'string', required: true },
        clickHours: { type: 'number', required: true },
        openHours: { type: 'number', required: true },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        bySource: {
          pk: { field: 'pk', composite: ['source'], template: 'RES#${source}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'SETTINGS', casing: 'none' },
        },
      },
    },
    config,
  );

export type ResultSettings = ReturnType<typeof buildResultSettings>;
