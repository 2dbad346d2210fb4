import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * A merge job: which customers were merged into which survivor, and how far moving their events,
 * orders, consents and audit entries has got. While `moving`, it sits in the pending index (gsi2),
 * where the sweeper finds unfinished work and where erasure and later merges check for it.
 */
export const buildMerge = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'merge', version: '1' },
      attributes: {
        mergeId: { type: 'string', required: true },
        survivorId: { type: 'string', required: true },
        mergedIds: { type: 'list', items: { type: 'string' }, required: true },
        status: { type: ['moving', 'merged'] as const, required: true },
        requestedAt: { type: 'string', required: true },
        requestedBy: { type: 'string', required: true },
        completedAt: { type: 'string' },
        /** Progress; a page retried after a crash is not counted twice, but may go uncounted. */
        movedEvents: { type: 'number' },
        movedOrders: { type: 'number' },
        movedConsents: { type: 'number' },
        copiedAudit: { type: 'number' },
      },
      indexes: {
        byId: {
          pk: { field: 'pk', composite: ['mergeId'], template: 'MERGE#${mergeId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'MERGE', casing: 'none' },
        },
        pending: {
          index: 'gsi2',
          condition: (attr) => attr.status === 'moving',
          pk: { field: 'gsi2pk', composite: [], template: 'MERGES#PENDING', casing: 'none' },
          sk: {
            field: 'gsi2sk',
            composite: ['requestedAt', 'mergeId'],
            template: '${requestedAt}#${mergeId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type Merge = ReturnType<typeof buildMerge>;
