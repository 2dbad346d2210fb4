import { Entity, type EntityConfiguration } from 'electrodb';

/** The stage's delivery settings (caps, quiet hours, default time zone): one item, replaced under If-Match. */
export const buildDeliverySettingsItem = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'deliverySettings', version: '1' },
      attributes: {
        name: { type: 'string', required: true },
        settings: { type: 'any', required: true },
        version: { type: 'number', required: true },
        updatedAt: { type: 'string', required: true },
        updatedBy: { type: 'string', required: true },
      },
      indexes: {
        byName: {
          pk: { field: 'pk', composite: ['name'], template: 'SETTINGS#delivery#${name}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'SETTINGS', casing: 'none' },
        },
      },
    },
    config,
  );

export type DeliverySettingsItem = ReturnType<typeof buildDeliverySettingsItem>;
