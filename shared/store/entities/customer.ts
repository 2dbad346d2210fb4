import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * A customer profile. One item per customer; identities (every email, phone and external id) live in
 * their own items so that uniqueness can be guaranteed with conditional writes.
 */
export const buildCustomer = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'customer', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        externalId: { type: 'string' },
        /** External ids the customer kept from merges; each still resolves through its identity item. */
        externalIdAliases: { type: 'list', items: { type: 'string' } },
        /** The primary email: `emails[0]`, kept as its own attribute so the single-address API stays. */
        email: { type: 'string' },
        /** Every email, primary first. Items written before lists existed have `email` only. */
        emails: { type: 'list', items: { type: 'string' } },
        phone: { type: 'string' },
        phones: { type: 'list', items: { type: 'string' } },
        name: { type: 'string' },
        givenName: { type: 'string' },
        familyName: { type: 'string' },
        gender: { type: ['female', 'male', 'other', 'unknown'] as const },
        birthday: { type: 'any' },
        locale: { type: 'string' },
        timeZone: { type: 'string' },
        address: { type: 'any' },
        tags: { type: 'list', items: { type: 'string' } },
        sourceChannel: { type: 'string' },
        /** Staff member responsible; '' when none, so the owner index stays sparse. */
        owner: { type: 'string', required: true },
        /** Computed by scoring; read-only through the API. */
        tier: { type: 'string' },
        lifecycleStage: { type: 'string' },
        attributes: { type: 'any' },
        version: { type: 'number', required: true },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
        /** Write shard of the all-customers listing index. */
        shard: { type: 'number', required: true },
      },
      indexes: {
        byId: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: { field: 'sk', composite: [], template: 'PROFILE', casing: 'none' },
        },
        byUpdated: {
          index: 'gsi1',
          pk: { field: 'gsi1pk', composite: ['shard'], template: 'CUSTS#${shard}', casing: 'none' },
          sk: {
            field: 'gsi1sk',
            composite: ['updatedAt', 'customerId'],
            template: '${updatedAt}#${customerId}',
            casing: 'none',
          },
        },
        byOwner: {
          index: 'gsi2',
          // Sparse: customers without an owner (stored as '') stay out of the index.
          condition: (attr) => typeof attr.owner === 'string' && attr.owner !== '',
          pk: { field: 'gsi2pk', composite: ['owner'], template: 'OWNER#${owner}', casing: 'none' },
          sk: {
            field: 'gsi2sk',
            composite: ['updatedAt', 'customerId'],
            template: '${updatedAt}#${customerId}',
            casing: 'none',
          },
        },
      },
    },
    config,
  );

export type Customer = ReturnType<typeof buildCustomer>;
