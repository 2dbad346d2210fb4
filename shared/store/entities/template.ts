import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * A message template: its definition (content per channel and locale, declared variables) kept whole as
 * one map, replaced under If-Match. Few and rarely written, so one GSI partition per status lists them,
 * newest first by their ULID.
 */
export const buildTemplateItem = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'template', version: '1' },
      attributes: {
        templateId: { type: 'string', required: true },
        name: { type: 'string', required: true },
        status: { type: ['active', 'archived'] as const, required: true },
        /** defaultLocale, content, locales, variables, topic, description: as the API takes them. */
        definition: { type: 'any', required: true },
        version: { type: 'number', required: true },
        createdAt: { type: 'string', required: true },
        createdBy: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
        updatedBy: { type: 'string', required: true },
        archivedAt: { type: 'string' },
      },
      indexes: {
        byId: {
          pk: { field: 'pk', composite: ['templateId'], template: 'TEMPLATE#${templateId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'TEMPLATE', casing: 'none' },
        },
        byStatus: {
          index: 'gsi1',
          pk: { field: 'gsi1pk', composite: ['status'], template: 'TEMPLATES#${status}', casing: 'none' },
          sk: { field: 'gsi1sk', composite: ['templateId'], template: '${templateId}', casing: 'none' },
        },
      },
    },
    config,
  );

export type TemplateItem = ReturnType<typeof buildTemplateItem>;
