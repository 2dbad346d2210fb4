import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * An event or order, keyed by the client's id so that a retried request lands on the same item.
 * The timeline index (gsi1) lists a customer's items by time.
 */
export const buildCustomerEvent = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'event', version: '1' },
      attributes: {
        eventId: { type: 'string', required: true },
        customerId: { type: 'string', required: true },
        type: { type: 'string', required: true },
        occurredAt: { type: 'string', required: true },
        receivedAt: { type: 'string', required: true },
        properties: { type: 'any' },
        orderId: { type: 'string' },
        amount: { type: 'number' },
        currency: { type: 'string' },
        items: { type: 'any' },
        channel: { type: 'string' },
        /** The API key that sent it. */
        sourceKeyId: { type: 'string' },
        /** Epoch seconds; DynamoDB's TTL removes raw events after the retention period. */
        expiresAt: { type: 'number' },
      },
      indexes: {
        byId: {
          pk: { field: 'pk', composite: ['eventId'], template: 'EVT#${eventId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'EVT', casing: 'none' },
        },
        timeline: {
          index: 'gsi1',
          pk: { field: 'gsi1pk', composite: ['customerId'], template: 'TL#${customerId}', casing: 'none' },
          sk: {
            field: 'gsi1sk',
            composite: ['occurredAt', 'eventId'],
            template: '${occurredAt}#${eventId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type CustomerEvent = ReturnType<typeof buildCustomerEvent>;
