import { Entity, type EntityConfiguration } from 'electrodb';

/** Every lifecycle transition of a campaign and every edit: who, what, from which status to which. */
export const buildCampaignAudit = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'campaignAudit', version: '1' },
      attributes: {
        campaignId: { type: 'string', required: true },
        auditId: { type: 'string', required: true },
        action: { type: 'string', required: true },
        from: { type: 'string' },
        to: { type: 'string' },
        actorKeyId: { type: 'string', required: true },
        actorName: { type: 'string' },
        /** Field names changed by an edit; a reason given with a cancel or reject. */
        fields: { type: 'list', items: { type: 'string' } },
        note: { type: 'string' },
        at: { type: 'string', required: true },
      },
      indexes: {
        byCampaign: {
          pk: { field: 'pk', composite: ['campaignId'], template: 'CAMP#${campaignId}', casing: 'none' },
          sk: { field: 'sk', composite: ['auditId'], template: 'AUDIT#${auditId}', casing: 'none' },
        },
      },
    },
    config,
  );

export type CampaignAudit = ReturnType<typeof buildCampaignAudit>;
