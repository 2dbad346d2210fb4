import { Entity } from 'electrodb';

/** A declared custom attribute. Few, rarely written: one partition holds them all. */
export const attributeDefinitionEntity = () =>
  new Entity({
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
  });

/**
 * For `EntityItem<typeof AttributeDefinition>`: declared, no value at run time. The instance is built by
 * store() and lives in `store().entities.attributeDefinition`.
 */
export declare const AttributeDefinition: ReturnType<typeof attributeDefinitionEntity>;
