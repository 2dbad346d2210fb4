import { createConversions } from 'electrodb';
import { documentClient } from '../../platform/aws.ts';
import { tableNameFromEnv } from '../../platform/config.ts';
import { withClientCursor } from '../../platform/cursor.ts';
import { NotFoundError } from '../../platform/errors.ts';
import { batchGet, type Key } from '../../store/batch-io.ts';
import { store } from '../../store/service.ts';
import { tableDefinition } from '../../store/table.ts';
import { customersOfPair } from './pair.ts';
import { describeReason, type Reason } from './reasons.ts';
import type { DuplicatesQuery } from './schema.ts';

/**
 * Reading what a scan found: pairs best first, with the reasons rendered from the profiles as they are
 * now and small summaries (contacts masked). A pair whose customer is gone (erased or merged away) or
 * that was dismissed after the scan is left out, so a page may hold fewer than `limit` items.
 */
const { partitionKey, sortKey } = tableDefinition;
const SUMMARY_ATTRIBUTES = [
  'customerId',
  'externalId',
  'name',
  'givenName',
  'familyName',
  'email',
  'emails',
  'phone',
  'phones',
  'birthday',
  'address',
  'createdAt',
] as const;

type Profile = Record<string, unknown> & { customerId: string; createdAt: string };

export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  const local = email.slice(0, at);
  return `${local.length <= 2 ? `${local[0]}*` : `${local[0]}***${local.at(-1)}`}${email.slice(at)}`;
}

export function maskPhone(phone: string): string {
  return phone.length <= 8 ? `****${phone.slice(-2)}` : `${phone.slice(0, -8)}****${phone.slice(-4)}`;
}

/** Masks the contact fields a reason quotes; names and places are shown as written. */
function masked(profile: Profile): Profile {
  const out: Profile = { ...profile };
  if (typeof out.email === 'string') out.email = maskEmail(out.email);
  if (typeof out.phone === 'string') out.phone = maskPhone(out.phone);
  if (Array.isArray(out.emails)) out.emails = out.emails.map((e) => maskEmail(String(e)));
  if (Array.isArray(out.phones)) out.phones = out.phones.map((p) => maskPhone(String(p)));
  return out;
}

function summaryOf(profile: Profile) {
  const address = profile.address as { city?: string } | undefined;
  const name =
    (profile.name as string | undefined) ??
    ([profile.familyName, profile.givenName].filter(Boolean).join(' ') || undefined);
  return {
    id: profile.customerId,
    ...(name && { name }),
    ...(typeof profile.email === 'string' && { email: maskEmail(profile.email) }),
    ...(typeof profile.phone === 'string' && { phone: maskPhone(profile.phone) }),
    ...(address?.city && { city: address.city }),
    createdAt: profile.createdAt,
  };
}

/** The profile with more of the matching fields filled in survives; on a tie, the older one. */
function survivorOf(a: Profile, b: Profile): [Profile, Profile] {
  const filled = (p: Profile) =>
    ['name', 'email', 'phone', 'birthday', 'address', 'externalId'].filter((f) => p[f] !== undefined).length;
  const order = filled(b) - filled(a) || (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0);
  return order <= 0 ? [a, b] : [b, a];
}

function keys() {
  const s = store().entities;
  const tableKey = (k: Record<string, string | number>): Key => ({
    [partitionKey]: String(k[partitionKey]),
    [sortKey]: String(k[sortKey]),
  });
  const customer = createConversions(s.customer).byAccessPattern.byId.fromComposite;
  const dismissal = createConversions(s.dedupeDismissal).byAccessPattern.byPair.fromComposite;
  return {
    customer: (customerId: string) => tableKey(customer.toKeys({ customerId })),
    dismissal: (pairId: string) => tableKey(dismissal.toKeys({ pairId })),
  };
}

export async function listDuplicates(query: DuplicatesQuery) {
  const scan = await store().entities.dedupeScan.get({ scanId: query.scanId }).go();
  if (!scan.data) throw new NotFoundError(`Scan ${query.scanId} does not exist (or has expired)`);
  const below = String(1001 - Math.round(query.minScore * 1000)).padStart(4, '0');
  const page = await withClientCursor(query.cursor, () =>
    store()
      .entities.dedupePair.query.byScore({ scanId: query.scanId })
      .lt({ rank: below })
      .go({ limit: query.limit, ...(query.cursor && { cursor: query.cursor }) }),
  );
  const k = keys();
  const ids = [...new Set(page.data.flatMap((p) => [p.a, p.b]))];
  const [profiles, dismissals] = await Promise.all([
    batchGet(documentClient(), tableNameFromEnv(), ids.map(k.customer), SUMMARY_ATTRIBUTES),
    batchGet(
      documentClient(),
      tableNameFromEnv(),
      page.data.map((p) => k.dismissal(p.pairId)),
      ['pairId'],
    ),
  ]);
  const byId = new Map(profiles.map((p) => [String(p.customerId), p as Profile]));
  const dismissed = new Set(dismissals.map((d) => String(d.pairId)));
  const items = page.data.flatMap((pair) => {
    const a = byId.get(pair.a);
    const b = byId.get(pair.b);
    if (!a || !b || dismissed.has(pair.pairId)) return [];
    const reasons = pair.reasons as Reason[];
    const [survivor, merged] = survivorOf(a, b);
    return [
      {
        id: pair.pairId,
        scanId: pair.scanId,
        score: pair.score,
        customers: [summaryOf(a), summaryOf(b)],
        reasons: reasons.map((r) => describeReason(r, masked(a), masked(b))),
        signals: reasons.map((r) => r.code),
        merge: {
          survivorId: survivor.customerId,
          mergeIds: [merged.customerId],
          method: 'POST' as const,
          path: `/v1/customers/${survivor.customerId}/merge`,
          body: { mergeIds: [merged.customerId], dryRun: true },
        },
      },
    ];
  });
  return { items, ...(page.cursor && { next: page.cursor }) };
}

export async function dismissPair(pairId: string, actor: { keyId: string }) {
  const [a, b] = customersOfPair(pairId) as [string, string];
  const existing = await store().entities.dedupeDismissal.get({ pairId }).go({ consistent: true });
  if (existing.data) return { dismissal: existing.data, created: false };
  const k = keys();
  const found = await batchGet(
    documentClient(),
    tableNameFromEnv(),
    [k.customer(a), k.customer(b)],
    ['customerId'],
  );
  const missing = [a, b].filter((id) => !found.some((f) => f.customerId === id));
  if (missing.length > 0) throw new NotFoundError(`Customer ${missing.join(' and ')} does not exist`);
  const dismissal = { pairId, a, b, dismissedBy: actor.keyId, dismissedAt: new Date().toISOString() };
  // A concurrent dismissal of the same pair is the same outcome: put, not create.
  await store().entities.dedupeDismissal.put(dismissal).go();
  return { dismissal, created: true };
}

export function dismissalView(d: {
  pairId: string;
  a: string;
  b: string;
  dismissedAt: string;
  dismissedBy: string;
}) {
  return { id: d.pairId, customerIds: [d.a, d.b], dismissedAt: d.dismissedAt, dismissedBy: d.dismissedBy };
}
