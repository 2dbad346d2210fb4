import type { Features } from './features.ts';

/**
 * Blocking: only customers that share a blocking key are ever compared, so the work grows with the
 * number of customers and the size of the blocks, not with all pairs. Each key is one kind of evidence
 * that two profiles might be one person; the score decides whether they are.
 */
export const blockKinds = {
  e: 'same mailbox after normalization',
  l: 'same email local part',
  p: 'same last 8 phone digits',
  c: 'same name letters and city',
  b: 'same name letters and birthday',
  x: 'same external id letters',
} as const;
export type BlockKind = keyof typeof blockKinds;

export interface BlockingKey {
  kind: BlockKind;
  /** `kind:value`; unique across kinds. Holds personal data: stored only hashed (see keyHash). */
  key: string;
}

/**
 * Largest block that is compared pair by pair. A bigger one (a very common name in a big city, a
 * shared office phone) is skipped and counted: its members still meet in their other blocks (name
 * with birthday, emails, phones).
 */
export const MAX_BLOCK = 50;

/** Local parts that many unrelated people use; as blocking keys they would only make huge blocks. */
const GENERIC_LOCAL_PARTS = new Set([
  'admin',
  'contact',
  'hello',
  'info',
  'mail',
  'noreply',
  'office',
  'sales',
  'service',
  'support',
  'test',
]);

export function blockingKeys(features: Features): BlockingKey[] {
  const keys = new Map<string, BlockKind>();
  const add = (kind: BlockKind, value: string) => keys.set(`${kind}:${value}`, kind);
  for (const email of features.emails) {
    add('e', email.canonical);
    if (email.local.length >= 5 && !GENERIC_LOCAL_PARTS.has(email.local)) add('l', email.local);
  }
  for (const phone of features.phones) add('p', phone.last8);
  // A name blocks only together with a city or a birthday. A shared name alone scores below any useful
  // bar (see reasons.ts), and name-only blocks grow with the customer base: they would cost most of the
  // comparisons and find nothing the narrower blocks and the email and phone blocks do not.
  for (const name of features.names) {
    if (features.city) add('c', `${name.anagram}|${features.city}`);
    if (features.birthday) add('b', `${name.anagram}|${features.birthday.month}`);
  }
  if (features.externalId) add('x', features.externalId);
  return [...keys].map(([key, kind]) => ({ kind, key }));
}
