import { Entity, type EntityConfiguration } from 'electrodb';

/** A declared custom attribute. Few, rarely written: one partition holds them all. */
export const buildAttributeDefinition = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'attributeDefinition', version: '1' },
      attributes: {
        name: { type: 'string', required: true },
        type: { type: ['string', 'number', 'boolean', 'date', 'string_list'] as const, required: true },
        description: { type: 'string' },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        byName: {
          pk: { field: 'pk', composite: [], template: 'ATTRDEFS', casing: 'none' },
          sk: { field: 'sk', composite: ['name'], template: '${name}', casing: 'none' },
        },
      },
    },
    config,
  );

export type AttributeDefinition = ReturnType<typeof buildAttributeDefinition>;
