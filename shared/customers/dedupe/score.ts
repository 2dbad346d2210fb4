import type { EmailForm, Features, NameForm, PhoneForm } from './features.ts';
import { type Reason, type ReasonCode, reasonWeights } from './reasons.ts';
import { editDistanceWithin, jaroWinkler } from './similarity.ts';

/** Pairs scoring at least this are listed as likely duplicates, unless a scan asks for another bar. */
export const DEFAULT_MIN_SCORE = 0.5;

/** Names at least this similar (Jaro-Winkler) count as a likely typo of one another. */
const SIMILAR_NAME = 0.92;
/** Names less similar than this count against the pair. */
const DIFFERENT_NAME = 0.75;

/** Providers a few letters apart that are all real (126.com and 163.com): never a typo of one another. */
const REAL_DOMAINS = new Set([
  '126.com',
  '139.com',
  '163.com',
  'aol.com',
  'foxmail.com',
  'gmail.com',
  'hotmail.com',
  'icloud.com',
  'live.com',
  'msn.com',
  'outlook.com',
  'qq.com',
  'sina.cn',
  'sina.com',
  'sohu.com',
  'yahoo.com',
  'yeah.net',
]);

export interface PairScore {
  score: number;
  reasons: Reason[];
}

function reason(code: ReasonCode, a?: string, b?: string, similarity?: number): Reason {
  return {
    code,
    weight: reasonWeights[code],
    ...(a !== undefined && { a }),
    ...(b !== undefined && { b }),
    ...(similarity !== undefined && { similarity: Math.round(similarity * 100) / 100 }),
  };
}

/** The strongest of several reasons; ties go to the first, so the outcome does not depend on luck. */
function best(candidates: (Reason | undefined)[]): Reason | undefined {
  let top: Reason | undefined;
  for (const c of candidates) if (c && (!top || c.weight > top.weight)) top = c;
  return top;
}

function compareEmails(a: EmailForm, b: EmailForm): Reason | undefined {
  if (a.raw === b.raw) return reason('same_email', a.path, b.path);
  if (a.canonical === b.canonical) return reason('email_normalized', a.path, b.path);
  if (a.local !== b.local) return undefined;
  const bothReal = REAL_DOMAINS.has(a.domain) && REAL_DOMAINS.has(b.domain);
  if (!bothReal && editDistanceWithin(a.domain, b.domain, 2) <= 2)
    return reason('email_domain_typo', a.path, b.path);
  if (a.local.length >= 5) return reason('email_local_part', a.path, b.path);
  return undefined;
}

function comparePhones(a: PhoneForm, b: PhoneForm): Reason | undefined {
  if (a.digits === b.digits) return reason('same_phone', a.path, b.path);
  if (a.national.length >= 7 && a.national === b.national)
    return reason('phone_national_number', a.path, b.path);
  if (a.last8.length === 8 && a.last8 === b.last8) return reason('phone_last_digits', a.path, b.path);
  return undefined;
}

/** True when b's letters are a's tokens in another order, however b is split into words. */
function reordered(a: NameForm, b: NameForm): boolean {
  for (let i = 1; i < a.tokens.length; i++) {
    const rotated = [...a.tokens.slice(i), ...a.tokens.slice(0, i)].join('');
    if (rotated === b.joined) return true;
  }
  return [...a.tokens].sort().join('') === [...b.tokens].sort().join('');
}

function compareNames(a: NameForm, b: NameForm): Reason {
  if (a.anagram === b.anagram) {
    if (a.hasHan !== b.hasHan) return reason('name_transliteration', a.path, b.path);
    if (a.hasHan && a.han !== b.han) return reason('name_homophone', a.path, b.path);
    if (a.display === b.display) return reason('same_name', a.path, b.path);
    if (a.joined === b.joined || a.hasHan) return reason('name_format', a.path, b.path);
    if (reordered(a, b)) return reason('name_order', a.path, b.path);
  }
  const sortedA = [...a.tokens].sort().join('');
  const sortedB = [...b.tokens].sort().join('');
  const similarity = Math.max(jaroWinkler(a.joined, b.joined), jaroWinkler(sortedA, sortedB));
  if (similarity >= SIMILAR_NAME) return reason('similar_name', a.path, b.path, similarity);
  if (similarity < DIFFERENT_NAME) return reason('different_name', a.path, b.path, similarity);
  return { code: 'similar_name', weight: 0, a: a.path, b: b.path, similarity };
}

function compareBirthdays(a: Features, b: Features): Reason | undefined {
  const x = a.birthday;
  const y = b.birthday;
  if (!x || !y || x.calendar !== y.calendar) return undefined;
  if (x.month !== y.month) return reason('different_birthday', 'birthday', 'birthday');
  if (x.year && y.year)
    return reason(x.year === y.year ? 'same_birthday' : 'different_birthday', 'birthday', 'birthday');
  return reason('same_birthday_day', 'birthday', 'birthday');
}

function comparePlaces(a: Features, b: Features): Reason | undefined {
  if (a.country && b.country && a.country !== b.country)
    return reason('different_country', 'address.country', 'address.country');
  if (a.city && b.city)
    return reason(a.city === b.city ? 'same_city' : 'different_city', 'address.city', 'address.city');
  if (a.province && b.province && a.province === b.province)
    return reason('same_province', 'address.province', 'address.province');
  return undefined;
}

/**
 * Scores two customers (a is the one with the lower id) from the best evidence of each kind: email,
 * phone, external id, name, birthday, place. Weights add up and the sum is clamped to 0..1; negative
 * evidence (different names, birthdays, countries) pulls a shared phone or city below the bar.
 */
export function scorePair(a: Features, b: Features): PairScore {
  const reasons: Reason[] = [];
  const push = (r: Reason | undefined) => {
    if (r && r.weight !== 0) reasons.push(r);
  };
  push(best(a.emails.flatMap((x) => b.emails.map((y) => compareEmails(x, y)))));
  push(best(a.phones.flatMap((x) => b.phones.map((y) => comparePhones(x, y)))));
  if (a.externalId && a.externalId === b.externalId)
    push(reason('external_id_format', 'externalId', 'externalId'));
  if (a.names.length > 0 && b.names.length > 0) {
    push(best(a.names.flatMap((x) => b.names.map((y) => compareNames(x, y)))));
  }
  push(compareBirthdays(a, b));
  push(comparePlaces(a, b));
  reasons.sort((x, y) => y.weight - x.weight || (x.code < y.code ? -1 : x.code > y.code ? 1 : 0));
  const total = reasons.reduce((sum, r) => sum + r.weight, 0);
  return { score: Math.round(Math.min(1, Math.max(0, total)) * 1000) / 1000, reasons };
}
