import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * A customer's purchase aggregate and scores, beside the profile (same partition) but in its own item:
 * the stream consumer and the rescoring run write it under their own optimistic version, so neither
 * bumps the profile's `version` nor races a user's If-Match edit.
 */
export const buildCustomerAggregate = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'customerAggregate', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        /** The order-independent fold of shared/scoring/aggregates.ts (PurchaseState). */
        state: { type: 'any', required: true },
        /** What the last rescoring run computed (RFM, tiers, lifecycle, CLV, churn); absent before the first. */
        scores: { type: 'any' },
        /** Bumped on every write; a write conditional on it retries on conflict. */
        version: { type: 'number', required: true },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        byCustomer: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'AGG', casing: 'none' },
        },
      },
    },
    config,
  );

export type CustomerAggregate = ReturnType<typeof buildCustomerAggregate>;
