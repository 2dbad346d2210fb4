import type { EntityItem } from 'electrodb';
import { resolveCustomer } from '../customers/service.ts';
import { withClientCursor } from '../platform/cursor.ts';
import type { DeliveryEntry } from '../store/entities/delivery-entry.ts';
import { store } from '../store/service.ts';
import type { DeliveryView } from './contract.ts';

/**
 * "Why didn't X get it?": a customer's ledger entries, by source, each with its state and reason.
 * An erased customer's ledger went with the erasure (410); an id merged away shows its survivor's.
 */

type Entry = EntityItem<DeliveryEntry>;

export function deliveryView(e: Entry): DeliveryView & { reservedAt?: string } {
  return {
    source: e.source,
    channel: e.channel,
    state: e.state,
    ...(e.reason !== undefined && { reason: e.reason }),
    ...(e.detail !== undefined && { detail: e.detail }),
    ...(e.deferUntil !== undefined && { deferUntil: e.deferUntil }),
    ...(e.topic !== undefined && { topic: e.topic }),
    ...(e.address !== undefined && { address: e.address }),
    ...(e.timeZone !== undefined && { timeZone: e.timeZone }),
    ...(e.timeZoneFrom !== undefined && { timeZoneFrom: e.timeZoneFrom }),
    ...(e.providerMessageId !== undefined && { providerMessageId: e.providerMessageId }),
    ...(e.meta !== undefined && { meta: e.meta as Record<string, string> }),
    attempts: e.attempts,
    createdAt: e.createdAt ?? e.updatedAt,
    updatedAt: e.updatedAt,
    ...(e.reservedAt !== undefined && { reservedAt: e.reservedAt }),
    ...(e.sentAt !== undefined && { sentAt: e.sentAt }),
  };
}

export async function listDeliveries(
  requestedId: string,
  query: { source?: string | undefined; limit: number; cursor?: string | undefined },
) {
  const { customerId } = await resolveCustomer(requestedId);
  const { source, limit, cursor } = query;
  // A whole source key (`campaign:C1`) must not also match `campaign:C10`: a prefix ends in the colon.
  const exact = source !== undefined && !source.endsWith(':');
  const result = await withClientCursor(cursor, () => {
    const q = store().entities.deliveryEntry.query.byCustomer({ customerId });
    const ranged = source === undefined ? q : q.begins({ source });
    const filtered = exact ? ranged.where((attr, op) => op.eq(attr.source, source)) : ranged;
    return filtered.go({ limit, ...(cursor && { cursor }) });
  });
  return {
    items: result.data.map(deliveryView),
    ...(result.cursor && { next: result.cursor }),
  };
}
