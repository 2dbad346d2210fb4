/**
 * Why two customers look like one person. A reason is stored as a code, a weight and the paths of the
 * fields that matched, never their values: candidate items then hold no personal data, and the text a
 * person reads is rendered from the profiles as they are when the list is read (so an erased or edited
 * profile never shows stale data). No pinyin here, so the listing function stays small.
 */
export const reasonWeights = {
  same_email: 0.6,
  email_normalized: 0.55,
  email_domain_typo: 0.5,
  email_local_part: 0.2,
  same_phone: 0.45,
  phone_national_number: 0.4,
  phone_last_digits: 0.25,
  external_id_format: 0.45,
  same_name: 0.3,
  name_format: 0.3,
  name_order: 0.3,
  name_transliteration: 0.3,
  name_homophone: 0.2,
  similar_name: 0.2,
  different_name: -0.25,
  same_birthday: 0.2,
  same_birthday_day: 0.1,
  different_birthday: -0.3,
  same_city: 0.1,
  same_province: 0.05,
  different_city: -0.05,
  different_country: -0.15,
} as const;
export type ReasonCode = keyof typeof reasonWeights;

export interface Reason {
  code: ReasonCode;
  weight: number;
  /** Path of the matching field in the first customer (lower id), e.g. `emails[1]` or `address.city`. */
  a?: string;
  /** Path in the second customer. */
  b?: string;
  /** Jaro-Winkler similarity, for `similar_name` and `different_name`. */
  similarity?: number;
}

const templates: Record<ReasonCode, (a: string, b: string, r: Reason) => string> = {
  same_email: (a) => `same email: ${a}`,
  email_normalized: (a, b) => `same mailbox once dots, +tags and domain typos are normalized: ${a} ~ ${b}`,
  email_domain_typo: (a, b) => `same email except a likely domain typo: ${a} ~ ${b}`,
  email_local_part: (a, b) => `same email local part: ${a} ~ ${b}`,
  same_phone: (a) => `same phone: ${a}`,
  phone_national_number: (a, b) => `same phone national number: ${a} ~ ${b}`,
  phone_last_digits: (a, b) => `same last 8 phone digits: ${a} ~ ${b}`,
  external_id_format: (a, b) => `external ids differ only in case or punctuation: ${a} ~ ${b}`,
  same_name: (a) => `same name: ${a}`,
  name_format: (a, b) => `same name in another case or spacing: ${a} ~ ${b}`,
  name_order: (a, b) => `same name in another order: ${a} ~ ${b}`,
  name_transliteration: (a, b) => `name transliteration match: ${a} ~ ${b}`,
  name_homophone: (a, b) => `names with the same pinyin: ${a} ~ ${b}`,
  similar_name: (a, b, r) => `similar names (${r.similarity?.toFixed(2)}): ${a} ~ ${b}`,
  different_name: (a, b, r) => `different names (${r.similarity?.toFixed(2)}): ${a} ~ ${b}`,
  same_birthday: (a) => `same birthday: ${a}`,
  same_birthday_day: (a, b) => `same birthday day, year missing on one side: ${a} ~ ${b}`,
  different_birthday: (a, b) => `different birthdays: ${a} ~ ${b}`,
  same_city: (a, b) => (a === b ? `same city: ${a}` : `same city: ${a} ~ ${b}`),
  same_province: (a, b) => (a === b ? `same province: ${a}` : `same province: ${a} ~ ${b}`),
  different_city: (a, b) => `different cities: ${a} ~ ${b}`,
  different_country: (a, b) => `different countries: ${a} ~ ${b}`,
};

type Profileish = Record<string, unknown>;

/** Reads `name`, `emails[1]`, `address.city`, `familyName+givenName` or `birthday` from a profile. */
export function valueAt(profile: Profileish, path: string | undefined): string {
  if (!path) return '';
  if (path.includes('+')) {
    return path
      .split('+')
      .map((p) => valueAt(profile, p))
      .filter(Boolean)
      .join(' ');
  }
  let value: unknown = profile;
  for (const part of path.split(/[.[\]]/).filter(Boolean)) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (value && typeof value === 'object' && 'date' in value) {
    const b = value as { date: string; calendar?: string };
    return b.calendar === 'lunar' ? `${b.date} (lunar)` : b.date;
  }
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

/** The reason as a sentence with the two customers' current values. */
export function describeReason(reason: Reason, a: Profileish, b: Profileish): string {
  return templates[reason.code](valueAt(a, reason.a), valueAt(b, reason.b), reason);
}
