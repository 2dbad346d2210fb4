import { describe, expect, it } from 'vitest';
import { MAX_TRANSACTION_ACTIONS, packTransactions } from '../../shared/store/transactions.ts';

describe('packing writes into transactions', () => {
  it('fills each group up to 100 actions, in order, and never splits a member', () => {
    // Prepare: 70 members of 3 actions (210 actions).
    const members = Array.from({ length: 70 }, (_, i) => ({ id: `m${i}`, size: 3 }));
    // Act
    const { groups, alone } = packTransactions(members, (m) => m.size);
    // Assess: 33 + 33 + 4 members (99, 99 and 12 actions).
    expect(groups.map((g) => g.length)).toEqual([33, 33, 4]);
    for (const g of groups)
      expect(g.reduce((n, m) => n + m.size, 0)).toBeLessThanOrEqual(MAX_TRANSACTION_ACTIONS);
    expect(groups.flat().map((m) => m.id)).toEqual(members.map((m) => m.id));
    expect(alone).toEqual([]);
  });

  it('sends a member whose key is already in the group being filled to be written alone', () => {
    // Prepare: the same customer twice in a row, then again after the group has turned over.
    const members = [
      { key: 'a', size: 60 },
      { key: 'a', size: 1 },
      { key: 'b', size: 60 },
      { key: 'a', size: 1 },
    ];
    // Act
    const { groups, alone } = packTransactions(
      members,
      (m) => m.size,
      (m) => m.key,
    );
    // Assess
    expect(groups).toEqual([[members[0]], [members[2], members[3]]]);
    expect(alone).toEqual([members[1]]);
  });
});
