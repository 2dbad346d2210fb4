import { Entity, type EntityConfiguration } from 'electrodb';

export const frequencies = ['any', 'weekly', 'monthly'] as const;
export type Frequency = (typeof frequencies)[number];

/** How often a customer wants to hear from us, set on the preference page; beside the consents. */
export const buildContactPreferences = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'contactPreferences', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        frequency: { type: frequencies, required: true },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        byCustomer: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'PREFS', casing: 'none' },
        },
      },
    },
    config,
  );

export type ContactPreferences = ReturnType<typeof buildContactPreferences>;
