import { Entity, type EntityConfiguration } from 'electrodb';
import { channels } from './consent.ts';

export const ledgerStates = ['skipped', 'reserved', 'sent', 'failed'] as const;

/**
 * The send ledger: one entry per (source, customer, channel), in the customer's own partition so that
 * concurrent senders of one campaign spread over every customer's key, and so erasure takes it along.
 * Written only with conditions on `state` (see shared/delivery/contract.ts for the state machine).
 */
export const buildDeliveryEntry = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'deliveryEntry', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        /** `campaign:<id>`, `automation:<id>` or `transactional:<key>`. */
        source: { type: 'string', required: true },
        channel: { type: channels, required: true },
        state: { type: ledgerStates, required: true },
        reason: { type: 'string' },
        detail: { type: 'string' },
        deferUntil: { type: 'string' },
        topic: { type: 'string' },
        address: { type: 'string' },
        timeZone: { type: 'string' },
        timeZoneFrom: { type: ['profile', 'default'] as const },
        /** The gate call that holds the reservation; confirmations must name it. */
        attemptId: { type: 'string' },
        reservedAt: { type: 'string' },
        sentAt: { type: 'string' },
        providerMessageId: { type: 'string' },
        /** Cap counter keys the reservation took, given back when the channel refuses. */
        counted: { type: 'list', items: { type: 'string' } },
        meta: { type: 'any' },
        attempts: { type: 'number', required: true },
        /** Set by the first write of the entry (if_not_exists). */
        createdAt: { type: 'string' },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        byCustomer: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: {
            field: 'sk',
            composite: ['source', 'channel'],
            template: 'DLV#${source}#${channel}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type DeliveryEntry = ReturnType<typeof buildDeliveryEntry>;
