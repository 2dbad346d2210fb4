import { Entity, type EntityConfiguration } from 'electrodb';

/** The stage's scoring settings: one item, replaced whole under If-Match. */
export const buildScoringSettingsItem = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'scoringSettings', version: '1' },
      attributes: {
        /** Always 'current': the key has one value, kept as a composite so the entity reads like the rest. */
        name: { type: 'string', required: true },
        settings: { type: 'any', required: true },
        version: { type: 'number', required: true },
        updatedAt: { type: 'string', required: true },
        updatedBy: { type: 'string', required: true },
      },
      indexes: {
        byName: {
          pk: { field: 'pk', composite: ['name'], template: 'SETTINGS#scoring#${name}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'SETTINGS', casing: 'none' },
        },
      },
    },
    config,
  );

export type ScoringSettingsItem = ReturnType<typeof buildScoringSettingsItem>;
