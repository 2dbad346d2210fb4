/**
 * A candidate pair is named by its two customer ids, lower first: the same pair gets the same id in
 * every scan and from every block it is found in, so writes of it are idempotent and a dismissal
 * applies to all later scans.
 */
export const PAIR_SEPARATOR = '_';

export function pairIdOf(x: string, y: string): string {
  return x < y ? `${x}${PAIR_SEPARATOR}${y}` : `${y}${PAIR_SEPARATOR}${x}`;
}

export function customersOfPair(pairId: string): [string, string] | undefined {
  const parts = pairId.split(PAIR_SEPARATOR);
  if (parts.length !== 2) return undefined;
  const [a, b] = parts as [string, string];
  return a && b && a < b ? [a, b] : undefined;
}
