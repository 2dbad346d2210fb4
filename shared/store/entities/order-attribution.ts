import { Entity, type EntityConfiguration } from 'electrodb';
import { channels } from './consent.ts';

/**
 * An order credited to the message that earned it (last touch), created with attribute_not_exists in the
 * transaction that counts the conversion, so an order is credited once however often it is delivered.
 * Kept under the customer: an erasure removes it (the counters it added stay, holding no one's data).
 */
export const buildOrderAttribution = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'orderAttribution', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        eventId: { type: 'string', required: true },
        source: { type: 'string', required: true },
        channel: { type: channels, required: true },
        touch: { type: ['open', 'click'] as const, required: true },
        touchedAt: { type: 'string', required: true },
        amount: { type: 'number' },
        currency: { type: 'string' },
        at: { type: 'string', required: true },
      },
      indexes: {
        byOrder: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: { field: 'sk', composite: ['eventId'], template: 'ATTR#${eventId}', casing: 'none' },
        },
      },
    },
    config,
  );

export type OrderAttribution = ReturnType<typeof buildOrderAttribution>;
