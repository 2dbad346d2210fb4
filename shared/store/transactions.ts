import type { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

/** DynamoDB's limit on the actions of one transaction. */
export const MAX_TRANSACTION_ACTIONS = 100;

/** One action of a TransactWriteItems request as the document client takes it. */
export type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/**
 * Packs writes into groups that each fit one transaction (`size` actions per member, at most
 * MAX_TRANSACTION_ACTIONS per group), in order. A member whose `key` is already in the group being
 * filled goes to `alone` instead: a transaction may not name an item twice, so such a member is written
 * by itself. Callers send each group as one transaction and, when one is cancelled (all or nothing),
 * write its members one by one.
 */
export function packTransactions<T>(
  members: readonly T[],
  size: (member: T) => number,
  key?: (member: T) => string,
): { groups: T[][]; alone: T[] } {
  const groups: T[][] = [];
  const alone: T[] = [];
  let group: T[] = [];
  let actions = 0;
  let keys = new Set<string>();
  for (const member of members) {
    const k = key?.(member);
    if (k !== undefined && keys.has(k)) {
      alone.push(member);
      continue;
    }
    const n = size(member);
    if (group.length > 0 && actions + n > MAX_TRANSACTION_ACTIONS) {
      groups.push(group);
      group = [];
      actions = 0;
      keys = new Set();
    }
    group.push(member);
    actions += n;
    if (k !== undefined) keys.add(k);
  }
  if (group.length > 0) groups.push(group);
  return { groups, alone };
}
