import { FieldConflictError, type FieldError, ValidationError } from '../platform/errors.ts';
import type { CustomerItem } from './service.ts';

/**
 * Survivorship: which value a merged customer keeps, field by field. Pure, so the rules are tested
 * without a table and the dry run shows exactly what the merge will write.
 *
 * - identities are unioned: every email, phone and external id of every source ends on the survivor;
 *   the primary email/phone/externalId follows the scalar rule below, the others stay secondary
 *   (external ids as aliases that still resolve). Two different externalIds need `fields.externalId`
 *   to say which stays primary (409 otherwise), since silently demoting a caller's key would surprise.
 * - scalar fields: the source named in `fields`, else the survivor's non-empty value, else the value
 *   of the most recently updated source that has one;
 * - tags: unioned, the survivor's first;
 * - custom attributes: key by key, the survivor's value, else the most recently updated source's;
 * - createdAt: the earliest.
 */

/** Fields whose winner a caller may name in `fields`. */
export const CHOOSABLE_FIELDS = [
  'externalId',
  'email',
  'phone',
  'name',
  'givenName',
  'familyName',
  'gender',
  'birthday',
  'locale',
  'timeZone',
  'address',
  'sourceChannel',
  'owner',
] as const;
export type ChoosableField = (typeof CHOOSABLE_FIELDS)[number];

const SCALARS = [
  'name',
  'givenName',
  'familyName',
  'gender',
  'birthday',
  'locale',
  'timeZone',
  'address',
  'sourceChannel',
  'owner',
  'tier',
  'lifecycleStage',
] as const;

export type Rule = 'chosen' | 'survivor' | 'most-recent' | 'union' | 'earliest';
export interface Provenance {
  /** The customer whose value won, or for a union every customer that contributed. */
  from: string | string[];
  rule: Rule;
}

export interface MergePlan {
  /** The survivor's profile after the merge (version and updatedAt are the caller's to set). */
  profile: CustomerItem;
  /** Per field (and per custom attribute as `attributes.<name>`): which source won and by which rule. */
  fields: Record<string, Provenance>;
  /** Profile fields whose value differs from the survivor's before the merge. */
  changed: string[];
}

export interface MergeLimits {
  /** Addresses of one kind a customer may hold (emails, phones, external id aliases). */
  maxAddresses: number;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function emailsOf(c: CustomerItem): string[] {
  return c.emails ?? (c.email ? [c.email] : []);
}
function phonesOf(c: CustomerItem): string[] {
  return c.phones ?? (c.phone ? [c.phone] : []);
}

/** The newest first; ties keep the caller's order, so the result does not depend on sort stability. */
function byRecency(sources: CustomerItem[]): CustomerItem[] {
  return sources
    .map((c, i) => ({ c, i }))
    .sort((a, b) => (b.c.updatedAt ?? '').localeCompare(a.c.updatedAt ?? '') || a.i - b.i)
    .map(({ c }) => c);
}

export function planMerge(
  survivor: CustomerItem,
  losers: CustomerItem[],
  choices: Partial<Record<ChoosableField, string>>,
  limits: MergeLimits,
): MergePlan {
  const all = [survivor, ...losers];
  const byId = new Map(all.map((c) => [c.customerId, c]));
  const recentLosers = byRecency(losers);
  const fields: Record<string, Provenance> = {};
  const errors: FieldError[] = [];

  /** The winning source of one field under the rules, or undefined when no source has a value. */
  const winner = (field: ChoosableField | (typeof SCALARS)[number], read: (c: CustomerItem) => unknown) => {
    const chosenId = (choices as Record<string, string | undefined>)[field];
    if (chosenId !== undefined) {
      const chosen = byId.get(chosenId);
      if (!chosen) {
        errors.push({ path: `fields.${field}`, message: 'must be the survivor or one of mergeIds' });
        return undefined;
      }
      if (isEmpty(read(chosen))) {
        errors.push({ path: `fields.${field}`, message: `customer ${chosenId} has no ${field}` });
        return undefined;
      }
      return { source: chosen, rule: 'chosen' as const };
    }
    if (!isEmpty(read(survivor))) return { source: survivor, rule: 'survivor' as const };
    const recent = recentLosers.find((c) => !isEmpty(read(c)));
    return recent && { source: recent, rule: 'most-recent' as const };
  };

  const profile: Record<string, unknown> = { ...survivor };
  for (const field of SCALARS) {
    const win = winner(field, (c) => c[field]);
    if (win) {
      profile[field] = win.source[field];
      fields[field] = { from: win.source.customerId, rule: win.rule };
    }
  }

  // Addresses: the winner's primary first, then every other address of every source.
  for (const [kind, listOf] of [
    ['email', emailsOf],
    ['phone', phonesOf],
  ] as const) {
    const win = winner(kind, (c) => listOf(c)[0]);
    const list = [
      ...new Set([...(win ? [listOf(win.source)[0] as string] : []), ...all.flatMap((c) => listOf(c))]),
    ];
    if (list.length > limits.maxAddresses) {
      errors.push({
        path: 'mergeIds',
        message: `together the customers hold ${list.length} ${kind}s; a customer holds at most ${limits.maxAddresses} (remove some first)`,
      });
    }
    profile[`${kind}s`] = list;
    profile[kind] = list[0];
    if (win) {
      fields[kind] = { from: win.source.customerId, rule: win.rule };
      fields[`${kind}s`] = {
        from: all.filter((c) => listOf(c).length > 0).map((c) => c.customerId),
        rule: 'union',
      };
    }
  }

  // External ids: one primary; every other one stays as an alias, so the caller's keys keep resolving.
  const externalIds = [...new Set(all.flatMap((c) => (c.externalId ? [c.externalId] : [])))];
  if (externalIds.length > 1 && choices.externalId === undefined) {
    const held = all
      .filter((c) => c.externalId)
      .map((c) => `${c.externalId} on ${c.customerId}`)
      .join(', ');
    throw new FieldConflictError([
      {
        path: 'fields.externalId',
        message: `the customers have different externalIds (${held}); name the customer whose externalId stays primary (the others are kept as aliases)`,
      },
    ]);
  }
  const idWin = winner('externalId', (c) => c.externalId);
  const primaryExternalId = idWin?.source.externalId;
  const aliases = [...new Set([...externalIds, ...all.flatMap((c) => c.externalIdAliases ?? [])])].filter(
    (id) => id !== primaryExternalId,
  );
  if (aliases.length > limits.maxAddresses) {
    errors.push({
      path: 'mergeIds',
      message: `together the customers hold ${aliases.length} external id aliases; at most ${limits.maxAddresses}`,
    });
  }
  profile.externalId = primaryExternalId;
  profile.externalIdAliases = aliases.length > 0 ? aliases : undefined;
  if (idWin) fields.externalId = { from: idWin.source.customerId, rule: idWin.rule };

  const tags = [...new Set(all.flatMap((c) => c.tags ?? []))];
  profile.tags = tags;
  if (tags.length > 0) {
    fields.tags = {
      from: all.filter((c) => (c.tags ?? []).length > 0).map((c) => c.customerId),
      rule: 'union',
    };
  }

  const attributes: Record<string, unknown> = {};
  for (const source of [survivor, ...recentLosers]) {
    for (const [name, value] of Object.entries((source.attributes ?? {}) as Record<string, unknown>)) {
      if (name in attributes) continue;
      attributes[name] = value;
      fields[`attributes.${name}`] = {
        from: source.customerId,
        rule: source === survivor ? 'survivor' : 'most-recent',
      };
    }
  }
  profile.attributes = attributes;

  const earliest = all.reduce((a, b) => (b.createdAt < a.createdAt ? b : a));
  profile.createdAt = earliest.createdAt;
  fields.createdAt = { from: earliest.customerId, rule: 'earliest' };
  profile.owner ??= '';

  if (errors.length > 0) {
    const conflict = errors.some((e) => e.path === 'mergeIds');
    throw conflict ? new FieldConflictError(errors) : new ValidationError(errors);
  }
  for (const [key, value] of Object.entries(profile)) if (value === undefined) delete profile[key];

  const compared = [
    ...SCALARS,
    'externalId',
    'externalIdAliases',
    'email',
    'emails',
    'phone',
    'phones',
    'tags',
    'attributes',
    'createdAt',
  ] as const;
  const before: Record<string, unknown> = {
    ...survivor,
    emails: emailsOf(survivor),
    phones: phonesOf(survivor),
  };
  const changed = compared.filter(
    (field) => JSON.stringify(profile[field] ?? null) !== JSON.stringify(before[field] ?? null),
  );
  return { profile: profile as CustomerItem, fields, changed };
}
