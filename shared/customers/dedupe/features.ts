import { pinyinOfRun } from './pinyin.ts';

/**
 * What duplicate detection reads of a customer, and the normalized forms it compares. Pure: the scan
 * workers, the benchmark and the unit tests all go through here.
 */
export interface DedupeProfile {
  customerId: string;
  externalId?: string | undefined;
  email?: string | undefined;
  /** Further emails, when the profile keeps more than the primary one. */
  emails?: readonly string[] | undefined;
  phone?: string | undefined;
  phones?: readonly string[] | undefined;
  name?: string | undefined;
  givenName?: string | undefined;
  familyName?: string | undefined;
  birthday?: { date: string; calendar?: string | undefined } | undefined;
  address?:
    | { country?: string | undefined; province?: string | undefined; city?: string | undefined }
    | undefined;
}

/** A name as written (`path` says which field) and its Latin tokens; Chinese characters become pinyin. */
export interface NameForm {
  path: string;
  hasHan: boolean;
  /** The Chinese characters alone, for telling homophones (张伟 / 章伟) from one name in two scripts. */
  han: string;
  tokens: string[];
  /** Tokens joined without spaces: spacing and case no longer matter. */
  joined: string;
  /** Letters of `joined`, sorted: order, spacing and case no longer matter. The name's blocking key. */
  anagram: string;
  /** The spelling shown in reasons, e.g. "ZHANG  Wei" as written with whitespace collapsed. */
  display: string;
}

export interface EmailForm {
  path: string;
  raw: string;
  /** Same mailbox: lower case, `+tag` dropped, Gmail's dots dropped, common domain typos mended. */
  canonical: string;
  /** Local part without its `+tag` and without dots, whatever the provider: the same name at any domain. */
  local: string;
  domain: string;
}

export interface PhoneForm {
  path: string;
  digits: string;
  /** National significant number: the digits after the country calling code. */
  national: string;
  last8: string;
}

export interface Features {
  customerId: string;
  names: NameForm[];
  emails: EmailForm[];
  phones: PhoneForm[];
  country?: string;
  province?: string;
  city?: string;
  birthday?: { month: string; year?: string; calendar: string };
  externalId?: string;
}

const HAN_ALL = /\p{Script=Han}/gu;
const HAN_RUN = /(\p{Script=Han}+)/u;

/**
 * Pinyin of a run of Chinese characters, in surname mode at the start of a name (单 reads shan, not
 * dan). Names repeat a lot, so readings are cached; the cache is dropped whole when it fills up.
 */
const PINYIN_CACHE_LIMIT = 100_000;
const pinyinCache = new Map<string, string[]>();

function pinyinOf(run: string, atStart: boolean): string[] {
  const cacheKey = atStart ? run : `~${run}`;
  const cached = pinyinCache.get(cacheKey);
  if (cached) return cached;
  const syllables = pinyinOfRun(run, atStart);
  if (pinyinCache.size >= PINYIN_CACHE_LIMIT) pinyinCache.clear();
  pinyinCache.set(cacheKey, syllables);
  return syllables;
}

/** Lower-case Latin words: accents dropped (José -> jose), everything but letters and digits splits. */
function latinTokens(text: string): string[] {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

export function nameTokens(text: string): string[] {
  const normalized = text.normalize('NFKC');
  const tokens: string[] = [];
  const parts = normalized.split(HAN_RUN);
  parts.forEach((part, i) => {
    if (!part) return;
    if (i % 2 === 1) tokens.push(...pinyinOf(part, tokens.length === 0));
    else tokens.push(...latinTokens(part));
  });
  return tokens;
}

/** Names and places repeat a lot (张伟, 广州): their forms are cached, the cache dropped whole when full. */
const FORM_CACHE_LIMIT = 300_000;
const nameCache = new Map<string, Omit<NameForm, 'path'> | null>();
const placeCache = new Map<string, string | null>();

function cached<V>(cache: Map<string, V>, key: string, make: () => V): V {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const value = make();
  if (cache.size >= FORM_CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

function nameForm(path: string, text: string): NameForm | undefined {
  const form = cached(nameCache, text, () => {
    const tokens = nameTokens(text);
    const joined = tokens.join('');
    if (!joined) return null;
    const han = text.normalize('NFKC').match(HAN_ALL)?.join('') ?? '';
    return {
      hasHan: han.length > 0,
      han,
      tokens,
      joined,
      anagram: [...joined].sort().join(''),
      display: text.normalize('NFC').trim().replace(/\s+/gu, ' '),
    };
  });
  return form ? { path, ...form } : undefined;
}

/** Providers whose addresses ignore dots in the local part. */
const DOTLESS_DOMAINS = new Set(['gmail.com']);

/** Misspelt or alternative domains seen in sign-up forms, mapped to the provider they mean. */
export const DOMAIN_ALIASES: Readonly<Record<string, string>> = {
  'googlemail.com': 'gmail.com',
  'gmial.com': 'gmail.com',
  'gmai.com': 'gmail.com',
  'gamil.com': 'gmail.com',
  'gnail.com': 'gmail.com',
  'gmail.co': 'gmail.com',
  'gmail.con': 'gmail.com',
  'gmail.cm': 'gmail.com',
  'hotmial.com': 'hotmail.com',
  'hotmai.com': 'hotmail.com',
  'hotmail.co': 'hotmail.com',
  'hotmail.con': 'hotmail.com',
  'outlok.com': 'outlook.com',
  'outlook.co': 'outlook.com',
  'yahooo.com': 'yahoo.com',
  'yaho.com': 'yahoo.com',
  'yahoo.co': 'yahoo.com',
  'icloud.co': 'icloud.com',
  'iclod.com': 'icloud.com',
  'qq.co': 'qq.com',
  'qq.con': 'qq.com',
  'qq.cm': 'qq.com',
  '163.co': '163.com',
  '163.con': '163.com',
  '126.co': '126.com',
  '126.con': '126.com',
  'sina.con': 'sina.com',
  'foxmail.co': 'foxmail.com',
};

function emailForm(path: string, raw: string): EmailForm | undefined {
  const lower = raw.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at <= 0 || at === lower.length - 1) return undefined;
  let local = lower.slice(0, at);
  let domain = lower.slice(at + 1);
  domain = DOMAIN_ALIASES[domain] ?? domain;
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  const dotless = local.replaceAll('.', '');
  if (DOTLESS_DOMAINS.has(domain)) local = dotless;
  return { path, raw: lower, canonical: `${local}@${domain}`, local: dotless, domain };
}

/**
 * Country calling codes of one and two digits (ITU-T E.164 assignments); every other code has three.
 * Enough to split an E.164 number into its country code and national significant number without
 * carrying the phone metadata into the scan workers.
 */
const ONE_DIGIT_CODES = new Set(['1', '7']);
const TWO_DIGIT_CODES = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(
    ' ',
  ),
);

export function nationalNumber(e164Digits: string): string {
  if (ONE_DIGIT_CODES.has(e164Digits.slice(0, 1))) return e164Digits.slice(1);
  if (TWO_DIGIT_CODES.has(e164Digits.slice(0, 2))) return e164Digits.slice(2);
  return e164Digits.slice(3);
}

function phoneForm(path: string, raw: string): PhoneForm | undefined {
  const digits = raw.replace(/\D/g, '');
  if (digits.length < 6) return undefined;
  // Stored phones are E.164; a number without its `+` is taken as already national.
  const national = raw.trim().startsWith('+') ? nationalNumber(digits) : digits.replace(/^0+/, '');
  return { path, digits, national, last8: digits.slice(-8) };
}

/** 广州市 and "Guangzhou City" are one city: administrative suffixes go, Chinese becomes pinyin. */
function placeKey(text: string | undefined): string | undefined {
  if (!text) return undefined;
  return cached(placeCache, text, () => placeKeyOf(text)) ?? undefined;
}

function placeKeyOf(text: string): string | null {
  const trimmed = text
    .normalize('NFKC')
    .trim()
    .replace(/(市|省|自治区|特别行政区|地区|县|区)$/u, '');
  const key = nameTokens(trimmed)
    .filter((t) => !['city', 'province', 'shi', 'sheng'].includes(t))
    .join('');
  return key || null;
}

function birthdayOf(birthday: DedupeProfile['birthday']): Features['birthday'] {
  const match = birthday && /^(\d{4}|-)-(\d{2}-\d{2})$/.exec(birthday.date);
  if (!match?.[2]) return undefined;
  return {
    month: match[2],
    ...(match[1] !== '-' && match[1] && { year: match[1] }),
    calendar: birthday?.calendar ?? 'gregorian',
  };
}

function externalIdKey(value: string | undefined): string | undefined {
  const key = value?.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
  return key && key.length >= 4 ? key : undefined;
}

function distinctBy<T>(items: (T | undefined)[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of items) {
    if (!item || seen.has(key(item))) continue;
    seen.add(key(item));
    out.push(item);
  }
  return out;
}

export function featuresOf(profile: DedupeProfile): Features {
  const names = distinctBy(
    [
      profile.name ? nameForm('name', profile.name) : undefined,
      profile.familyName || profile.givenName
        ? nameForm(
            'familyName+givenName',
            // Chinese names put the family name first; as pinyin tokens the order no longer matters.
            [profile.familyName, profile.givenName].filter(Boolean).join(' '),
          )
        : undefined,
    ],
    (n) => `${n.joined}|${n.han}`,
  );
  const emails = distinctBy(
    [
      profile.email ? emailForm('email', profile.email) : undefined,
      ...(profile.emails ?? []).map((e, i) => emailForm(`emails[${i}]`, e)),
    ],
    (e) => e.raw,
  );
  const phones = distinctBy(
    [
      profile.phone ? phoneForm('phone', profile.phone) : undefined,
      ...(profile.phones ?? []).map((p, i) => phoneForm(`phones[${i}]`, p)),
    ],
    (p) => p.digits,
  );
  const features: Features = { customerId: profile.customerId, names, emails, phones };
  const country = profile.address?.country?.trim().toUpperCase();
  if (country) features.country = country;
  const province = placeKey(profile.address?.province);
  if (province) features.province = province;
  const city = placeKey(profile.address?.city);
  if (city) features.city = city;
  const birthday = birthdayOf(profile.birthday);
  if (birthday) features.birthday = birthday;
  const externalId = externalIdKey(profile.externalId);
  if (externalId) features.externalId = externalId;
  return features;
}
