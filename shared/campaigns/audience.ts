import { createHash } from 'node:crypto';

/**
 * Who gets which variant, decided by hashing (campaign, customer): the same customer lands in the same
 * bucket on every evaluation — the dry run, the send, a redelivered message, a later occurrence of a
 * recurring campaign — with no assignment stored.
 */

/** A number in [0, 1) from the campaign, the customer and a salt (holdout and variant use different salts). */
export function unitHash(campaignId: string, customerId: string, salt: string): number {
  return (
    createHash('sha256').update(`${salt}:${campaignId}:${customerId}`).digest().readUInt32BE(0) / 2 ** 32
  );
}

export function inHoldout(campaignId: string, customerId: string, holdoutPercent: number): boolean {
  return holdoutPercent > 0 && unitHash(campaignId, customerId, 'holdout') * 100 < holdoutPercent;
}

export interface VariantRule {
  id: string;
  weight: number;
  tiers?: readonly string[] | undefined;
}

/**
 * The variant for a customer: among the variants for their tier (tier-specific ones win over the
 * general ones), one by weight. Undefined when no variant is for this tier.
 */
export function chooseVariant<V extends VariantRule>(
  campaignId: string,
  customerId: string,
  tier: string | undefined,
  variants: readonly V[],
): V | undefined {
  const forTier = variants.filter((v) => v.tiers && tier !== undefined && v.tiers.includes(tier));
  const eligible = forTier.length > 0 ? forTier : variants.filter((v) => !v.tiers);
  const total = eligible.reduce((sum, v) => sum + v.weight, 0);
  if (total === 0) return undefined;
  let point = unitHash(campaignId, customerId, 'variant') * total;
  for (const v of eligible) {
    point -= v.weight;
    if (point < 0) return v;
  }
  return eligible.at(-1);
}
