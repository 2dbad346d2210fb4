import { createConversions } from 'electrodb';
import { store } from '../store/service.ts';
import { tableDefinition } from '../store/table.ts';

/**
 * Keys of a customer's consent items, consent history and contact preferences, at most `limit`, for the
 * erasure worker to delete with the customer's events. Keys come from the entities' own key design.
 */
type TableKey = Record<typeof tableDefinition.partitionKey | typeof tableDefinition.sortKey, string>;

export async function consentItemKeys(customerId: string, limit: number): Promise<TableKey[]> {
  if (limit <= 0) return [];
  const s = store().entities;
  const { partitionKey, sortKey } = tableDefinition;
  const pick = (key: Record<string, unknown>): TableKey => ({
    [partitionKey]: String(key[partitionKey]),
    [sortKey]: String(key[sortKey]),
  });
  const consents = await s.consent.query
    .byCustomer({ customerId })
    .go({ limit, attributes: ['customerId', 'channel', 'topic'] });
  const history = await s.consentHistory.query
    .byCustomer({ customerId })
    .go({ limit: Math.max(1, limit - consents.data.length), attributes: ['customerId', 'historyId'] });
  const prefs = await s.contactPreferences.get({ customerId }).go({ attributes: ['customerId'] });
  const consentKeys = createConversions(s.consent).byAccessPattern.byCustomer.fromComposite.toKeys;
  const historyKeys = createConversions(s.consentHistory).byAccessPattern.byCustomer.fromComposite.toKeys;
  const prefsKeys = createConversions(s.contactPreferences).byAccessPattern.byCustomer.fromComposite.toKeys;
  const keys = [
    ...consents.data.map((c) => pick(consentKeys(c) as Record<string, unknown>)),
    ...history.data.map((h) => pick(historyKeys(h) as Record<string, unknown>)),
    ...(prefs.data ? [pick(prefsKeys({ customerId }) as Record<string, unknown>)] : []),
  ];
  return keys.slice(0, limit);
}
