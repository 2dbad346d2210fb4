import { Entity, type EntityConfiguration } from 'electrodb';
import { channels } from './consent.ts';

/**
 * What a Cohort message id stands for: the ledger key and result dimensions of the message. Written by
 * the sender before the channel is called, read when feedback names the message by its id only (the
 * SES adapter tags mail with the message id and a hash of the customer id, never the id itself). Holds
 * ids only; expires with the feedback it serves.
 */
export const buildMessageRefItem = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'messageRef', version: '1' },
      attributes: {
        messageId: { type: 'string', required: true },
        customerId: { type: 'string', required: true },
        source: { type: 'string', required: true },
        channel: { type: channels, required: true },
        run: { type: 'string' },
        variant: { type: 'string' },
        tier: { type: 'string' },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byMessage: {
          pk: { field: 'pk', composite: ['messageId'], template: 'MSG#${messageId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'REF', casing: 'none' },
        },
      },
    },
    config,
  );

export type MessageRefItem = ReturnType<typeof buildMessageRefItem>;
