import { Entity, type EntityConfiguration } from 'electrodb';

/**
 * Messages a customer got in one cap period: `ch:<channel>#D<local day>`, `…#W<ISO week>`, a campaign
 * group or the preferred frequency. Only moved by the send gate's reservation transaction (ADD 1 under
 * the cap) and by a refused send giving its count back (ADD -1), so it never exceeds the cap. Under the
 * customer's key: one customer's sends are its only writers.
 */
export const buildCapCounter = (config: EntityConfiguration) =>
  new Entity(
    {
      model: { service: 'cohort', entity: 'capCounter', version: '1' },
      attributes: {
        customerId: { type: 'string', required: true },
        key: { type: 'string', required: true },
        count: { type: 'number', required: true },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        byCustomer: {
          pk: { field: 'pk', composite: ['customerId'], template: 'CUST#${customerId}', casing: 'none' },
          sk: { field: 'sk', composite: ['key'], template: 'CAP#${key}', casing: 'none' },
        },
      },
    },
    config,
  );

export type CapCounter = ReturnType<typeof buildCapCounter>;
