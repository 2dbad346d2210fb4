import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * Who changed what about a customer, and when. Holds field names, never values, so the trail can
 * outlive an erasure without keeping personal data.
 */
export const buildAuditEntry = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'audit', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        auditId: { type: 'string', required: true },
        action: {
          type: ['created', 'updated', 'erased', 'erasure_completed', 'merged', 'merge_completed'] as const,
          required: true,
        },
        actorKeyId: { type: 'string', required: true },
        actorName: { type: 'string' },
        fields: { type: 'list', items: { type: 'string' } },
        at: { type: 'string', required: true },
        /** On a `merged` entry: the other customers of the merge (the survivor, or the merged-away ids). */
        relatedIds: { type: 'list', items: { type: 'string' } },
        /** On an entry copied from a merged-away customer's trail: that customer's id. */
        mergedFrom: { type: 'string' },
      },
      indexes: {
        byCustomer: {
          pk: { field: 'pk', composite: ['customerId'], template: 'AUDIT#${customerId}', casing: 'none' },
          sk: { field: 'sk', composite: ['auditId'], template: '${auditId}', casing: 'none' },
        },
      },
    },
    config,
  );

export type AuditEntry = ReturnType<typeof buildAuditEntry>;
