import { Entity, type EntityConfiguration } from 'electrodb';
import { channels, consentStatuses } from './consent.ts';

/**
 * Every consent change, oldest first by its ULID: answers "when and how did this customer opt in".
 * In the customer's partition, so erasure finds and deletes it with the rest of the customer.
 */
export const buildConsentHistory = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'consentHistory', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        historyId: { type: 'string', required: true },
        channel: { type: channels, required: true },
        topic: { type: 'string', required: true },
        status: { type: consentStatuses, required: true },
        previousStatus: { type: 'string' },
        source: { type: 'string', required: true },
        proof: { type: 'string' },
        /** Who made the change: an API key id, or `preference page`, `unsubscribe link`. */
        actor: { type: 'string', required: true },
        at: { type: 'string', required: true },
      },
      indexes: {
        byCustomer: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: { field: 'sk', composite: ['historyId'], template: 'CONSENTLOG#${historyId}', casing: 'none' },
        },
      },
    },
    config,
  );

export type ConsentHistory = ReturnType<typeof buildConsentHistory>;
