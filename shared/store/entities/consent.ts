import { Entity, type EntityConfiguration } from 'electrodb';

export const channels = ['email', 'sms', 'push', 'webhook'] as const;
export type Channel = (typeof channels)[number];
export const consentStatuses = ['opted_in', 'opted_out', 'pending'] as const;
export type ConsentStatus = (typeof consentStatuses)[number];

/**
 * A customer's current consent for one channel and topic (`*` is the channel as a whole). Kept in the
 * customer's own partition, so one query reads all of a customer's consents and a merge moves them by key.
 */
export const buildConsent = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'consent', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        channel: { type: channels, required: true },
        topic: { type: 'string', required: true },
        status: { type: consentStatuses, required: true },
        /** How it was given or withdrawn: api, import, preference_page, unsubscribe_link, double_opt_in… */
        source: { type: 'string', required: true },
        /** Evidence as free text or JSON: IP, user agent, form id, confirmation token id. */
        proof: { type: 'string' },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        byCustomer: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: {
            field: 'sk',
            composite: ['channel', 'topic'],
            template: 'CONSENT#${channel}#${topic}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type Consent = ReturnType<typeof buildConsent>;
