import { Entity, type EntityConfiguration } from 'electrodb';
import { channels } from './consent.ts';

// carrier_opt_out: the recipient replied STOP (End User Messaging reports OPT_OUT for the number).
export const suppressionReasons = [
  'hard_bounce',
  'complaint',
  'manual',
  'unsubscribed_all',
  'carrier_opt_out',
] as const;
export type SuppressionReason = (typeof suppressionReasons)[number];

/**
 * An address nothing may be sent to, whoever it belongs to: a normalized email, an E.164 phone, a push
 * token or a webhook URL. After an erasure a bounce or complaint is kept under `sha256:<hex>` of the
 * address instead (see shared/consent/suppression.ts).
 */
export const buildSuppression = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'suppression', version: '1' },
      attributes: {
        channel: { type: channels, required: true },
        address: { type: 'string', required: true },
        reason: { type: suppressionReasons, required: true },
        source: { type: 'string', required: true },
        detail: { type: 'string' },
        createdAt: { type: 'string', required: true },
      },
      indexes: {
        byAddress: {
          pk: {
            field: 'pk',
            composite: ['channel', 'address'],
            template: 'SUPP#${channel}#${address}',
            casing: 'none',
          },
          sk: { field: 'sk', composite: [], template: 'SUPP', casing: 'none' },
        },
      },
    },
    config,
  );

export type Suppression = ReturnType<typeof buildSuppression>;
