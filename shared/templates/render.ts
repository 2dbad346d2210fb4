import { type FilterImplOptions, Liquid, type Template } from 'liquidjs';

type FilterHandler = Extract<FilterImplOptions, (...args: never[]) => unknown>;

import { preferenceUrl, unsubscribeUrl } from '../consent/links.ts';
import type { FieldError } from '../platform/errors.ts';
import { UnprocessableError } from '../platform/errors.ts';
import type { Channel } from '../store/entities/consent.ts';
import { countSms } from './sms.ts';
import type {
  ChannelContent,
  LinkSigner,
  Render,
  RenderData,
  RenderedContent,
  RenderOptions,
  TemplateDefinition,
} from './types.ts';
import { type Segment, unknownVariable, valueAt } from './variables.ts';

/**
 * Liquid rendering of templates. Two engines share the same filters: one for HTML, which escapes every
 * output unless `| raw` says otherwise, and one for plain text (email text, SMS, push, webhook JSON),
 * which leaves characters alone. Both refuse unknown filters when parsing, and limit parse size, render
 * time and memory, since templates are written by operators and rendered in bulk.
 */

const limits = { parseLimit: 200_000, renderLimit: 2_000, memoryLimit: 20_000_000 };

/** Formatting and link filters: the locale and time zone come from the render's own scope. */
const filters: Record<string, FilterHandler> = {
  format_date(value: unknown, style: unknown = 'medium') {
    const date = toDate(value);
    if (!date) return value ?? '';
    const dateStyle = ['full', 'long', 'medium', 'short'].includes(String(style))
      ? (String(style) as 'full' | 'long' | 'medium' | 'short')
      : 'medium';
    return new Intl.DateTimeFormat(scopeLocale(this), { dateStyle, timeZone: scopeZone(this) }).format(date);
  },
  format_datetime(value: unknown, style: unknown = 'medium') {
    const date = toDate(value);
    if (!date) return value ?? '';
    const s = ['full', 'long', 'medium', 'short'].includes(String(style))
      ? (String(style) as 'full' | 'long' | 'medium' | 'short')
      : 'medium';
    return new Intl.DateTimeFormat(scopeLocale(this), {
      dateStyle: s,
      timeStyle: s === 'full' ? 'long' : s,
      timeZone: scopeZone(this),
    }).format(date);
  },
  format_number(value: unknown, decimals?: unknown) {
    const n = toNumber(value);
    if (n === undefined) return value ?? '';
    const digits = decimals === undefined ? undefined : Math.max(0, Math.min(6, Number(decimals) || 0));
    return new Intl.NumberFormat(scopeLocale(this), {
      ...(digits !== undefined && { minimumFractionDigits: digits, maximumFractionDigits: digits }),
    }).format(n);
  },
  /** `{{ 12.5 | money }}` in the render's currency, `{{ order.total | money: 'CNY' }}` in another. */
  money(value: unknown, currency?: unknown) {
    const n = toNumber(value);
    if (n === undefined) return value ?? '';
    const code = typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? currency : scopeCurrency(this);
    return new Intl.NumberFormat(scopeLocale(this), { style: 'currency', currency: code }).format(n);
  },
  /** `{{ 'newsletter' | unsubscribe_url }}`: the unsubscribe link of another topic on this channel. */
  async unsubscribe_url(topic: unknown) {
    const scope = renderScope(this);
    return scope.signer.unsubscribeUrl(scope.customerId, scope.channel, String(topic || '*'));
  },
  async preference_url() {
    const scope = renderScope(this);
    return scope.signer.preferenceUrl(scope.customerId);
  },
};

/** Internal scope key: not a name a template can write (Liquid identifiers cannot start with a digit-dollar). */
const SCOPE = '$render';

interface RenderScope {
  locale: string;
  timeZone: string;
  currency: string;
  customerId: string;
  channel: Channel;
  signer: LinkSigner;
}

type FilterThis = ThisParameterType<FilterHandler>;

function renderScope(self: FilterThis): RenderScope {
  return self.context.environments[SCOPE as keyof object] as unknown as RenderScope;
}
const scopeLocale = (self: FilterThis) => renderScope(self).locale;
const scopeZone = (self: FilterThis) => renderScope(self).timeZone;
const scopeCurrency = (self: FilterThis) => renderScope(self).currency;

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === 'string' || typeof value === 'number') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function engine(html: boolean): Liquid {
  const liquid = new Liquid({
    strictFilters: true,
    ownPropertyOnly: true,
    ...(html && { outputEscape: 'escape' as const }),
    ...limits,
  });
  for (const [name, filter] of Object.entries(filters)) liquid.registerFilter(name, filter);
  return liquid;
}

let engines: { html: Liquid; text: Liquid } | undefined;
function liquid(html: boolean): Liquid {
  engines ??= { html: engine(true), text: engine(false) };
  return html ? engines.html : engines.text;
}

/** One Liquid string of a template: where it sits (a problem path) and whether it is HTML. */
interface Part {
  path: string;
  source: string;
  html: boolean;
}

function channelParts(content: ChannelContent, base: string): Part[] {
  const parts: Part[] = [];
  const add = (path: string, source: unknown, html = false) => {
    if (typeof source === 'string') parts.push({ path: `${base}.${path}`, source, html });
  };
  if (content.email) {
    add('email.subject', content.email.subject);
    add('email.html', content.email.html, true);
    add('email.text', content.email.text);
  }
  if (content.sms) add('sms.body', content.sms.body);
  if (content.push) {
    add('push.title', content.push.title);
    add('push.body', content.push.body);
    add('push.url', content.push.url);
    for (const [key, value] of Object.entries(content.push.data ?? {})) add(`push.data.${key}`, value);
  }
  if (content.webhook) {
    walkJson(content.webhook.body, 'webhook.body', (path, value) => add(path, value));
  }
  return parts;
}

function walkJson(value: unknown, path: string, visit: (path: string, value: string) => void) {
  if (typeof value === 'string') visit(path, value);
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walkJson(v, `${path}[${i}]`, visit);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) walkJson(v, `${path}.${k}`, visit);
  }
}

/** Every Liquid string of a template, the default content first, then each locale's. */
export function templateParts(template: TemplateDefinition): Part[] {
  return [
    ...channelParts(template.content, 'content'),
    ...Object.entries(template.locales ?? {}).flatMap(([locale, content]) =>
      channelParts(content, `locales.${locale}`),
    ),
  ];
}

/**
 * The problems of a template, found without rendering it: Liquid that does not parse, filters that do
 * not exist, and variables that are neither built in nor declared. Empty when the template is sound.
 */
export function templateProblems(template: TemplateDefinition): FieldError[] {
  const problems: FieldError[] = [];
  for (const part of templateParts(template)) {
    let parsed: Template[];
    try {
      parsed = liquid(part.html).parse(part.source);
    } catch (error) {
      problems.push({ path: part.path, message: firstLine(error) });
      continue;
    }
    const globals = liquid(part.html).analyzeSync(parsed, { partials: false }).globals;
    for (const variables of Object.values(globals)) {
      for (const variable of variables) {
        const problem = unknownVariable(variable.toArray() as Segment[], template.variables ?? {});
        if (problem) {
          const { row, col } = variable.location;
          problems.push({ path: part.path, message: `${problem} (line ${row}, column ${col})` });
        }
      }
    }
  }
  return problems;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** zh-Hant-TW -> [zh-Hant-TW, zh-Hant, zh]; matched against the template's locales case-insensitively. */
export function localeChain(locale: string | undefined): string[] {
  if (!locale) return [];
  const parts = locale.replaceAll('_', '-').split('-').filter(Boolean);
  return parts.map((_, i) => parts.slice(0, parts.length - i).join('-'));
}

/** The content of one channel for a locale, and the locale it came from (`default` for the base content). */
export function resolveContent<C extends Channel>(
  template: TemplateDefinition,
  channel: C,
  locale: string | undefined,
): { locale: string; content: NonNullable<ChannelContent[C]> } | undefined {
  const locales = Object.entries(template.locales ?? {});
  for (const wanted of localeChain(locale)) {
    const hit = locales.find(([name]) => name.toLowerCase() === wanted.toLowerCase());
    const content = hit?.[1][channel];
    if (hit && content) return { locale: hit[0], content: content as NonNullable<ChannelContent[C]> };
  }
  const base = template.content[channel];
  return base
    ? { locale: template.defaultLocale, content: base as NonNullable<ChannelContent[C]> }
    : undefined;
}

const defaultSigner: LinkSigner = { preferenceUrl, unsubscribeUrl };

function validLocale(locale: string | undefined): string | undefined {
  if (!locale) return undefined;
  try {
    return Intl.getCanonicalLocales(locale.replaceAll('_', '-'))[0];
  } catch {
    return undefined;
  }
}

/**
 * Renders one channel of a template for one customer. The content comes from the first locale in the
 * fallback chain that has the channel; numbers and dates are formatted in the locale asked for (the
 * customer's), so a zh-CN customer served the default English text still sees ¥ and 2026年 dates.
 */
export const render: Render = async (template, data, options) => {
  const resolved = resolveContent(template, options.channel, options.locale);
  if (!resolved) {
    throw UnprocessableError.field('channel', `The template has no ${options.channel} content`);
  }
  const formatLocale = validLocale(options.locale) ?? validLocale(resolved.locale) ?? 'en';
  const signer = options.links ?? defaultSigner;
  const warnings: string[] = [];
  const globals = await scopeFor(template, data, options, signer, formatLocale);
  const missing = new Set<string>();
  const run = async (path: string, source: string, html = false): Promise<string> => {
    try {
      const { parsed, paths } = compiled(source, html);
      for (const name of paths) {
        if (valueAt(globals, name) === undefined) missing.add(name);
      }
      return await liquid(html).render(parsed, globals);
    } catch (error) {
      throw UnprocessableError.field(path, firstLine(error));
    }
  };
  const base =
    resolved.locale === template.defaultLocale && !template.locales?.[resolved.locale]
      ? 'content'
      : `locales.${resolved.locale}`;
  for (const [name, spec] of Object.entries(template.variables ?? {})) {
    if (spec.required && valueAt(globals, name) === undefined) {
      throw UnprocessableError.field(name, 'is required by the template');
    }
  }
  const content = await renderChannel(options.channel, resolved.content, base, run, warnings);
  // The sender puts this in List-Unsubscribe, whether or not the body links to it.
  if (content.channel === 'email') {
    content.unsubscribeUrl = await signer.unsubscribeUrl(data.customer.id, 'email', template.topic ?? '*');
  }
  for (const name of [...missing].sort())
    warnings.push(`"${name}" has no value for this customer; it rendered empty`);
  return { locale: resolved.locale, content, warnings };
};

/**
 * Parsed templates and the variable paths they read, by source: a campaign renders the same few
 * strings for every recipient, and parsing is most of the cost of a small template.
 */
const compiledCache = new Map<string, { parsed: Template[]; paths: string[] }>();
const COMPILED_MAX = 500;

function compiled(source: string, html: boolean): { parsed: Template[]; paths: string[] } {
  const key = `${html ? 'h' : 't'}${source}`;
  const hit = compiledCache.get(key);
  if (hit) return hit;
  const parsed = liquid(html).parse(source);
  const paths: string[] = [];
  for (const segments of liquid(html).globalVariableSegmentsSync(parsed, { partials: false })) {
    const names: string[] = [];
    for (const s of segments) {
      if (typeof s !== 'string') break;
      names.push(s);
    }
    if (names.length > 0) paths.push(names.join('.'));
  }
  // Oldest first out: Map keeps insertion order.
  if (compiledCache.size >= COMPILED_MAX) compiledCache.delete(compiledCache.keys().next().value as string);
  const entry = { parsed, paths };
  compiledCache.set(key, entry);
  return entry;
}

async function scopeFor(
  template: TemplateDefinition,
  data: RenderData,
  options: RenderOptions,
  signer: LinkSigner,
  formatLocale: string,
): Promise<Record<string, unknown>> {
  const customerId = data.customer.id;
  // Links are signed only when a part of the template uses them: signing reads the secret.
  const usesLinks = templateParts(template).some((p) => /\blinks\b/.test(p.source));
  const links = usesLinks
    ? {
        preferences: await signer.preferenceUrl(customerId),
        unsubscribe: await signer.unsubscribeUrl(customerId, options.channel, template.topic ?? '*'),
      }
    : {};
  const scope: RenderScope = {
    locale: formatLocale,
    timeZone: validZone(options.timeZone) ?? 'UTC',
    currency: options.currency ?? data.computed?.currency ?? 'USD',
    customerId,
    channel: options.channel,
    signer,
  };
  return {
    customer: { attributes: {}, ...data.customer },
    computed: data.computed ?? {},
    event: data.event ?? {},
    links,
    locale: formatLocale,
    now: (options.now ?? new Date()).toISOString(),
    [SCOPE]: scope,
  };
}

function validZone(zone: string | undefined): string | undefined {
  if (!zone) return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}

type Run = (path: string, source: string, html?: boolean) => Promise<string>;

async function renderChannel(
  channel: Channel,
  content: NonNullable<ChannelContent[Channel]>,
  base: string,
  run: Run,
  warnings: string[],
): Promise<RenderedContent> {
  switch (channel) {
    case 'email': {
      const email = content as NonNullable<ChannelContent['email']>;
      const subject = (await run(`${base}.email.subject`, email.subject)).replace(/\s+/g, ' ').trim();
      const html = email.html === undefined ? undefined : await run(`${base}.email.html`, email.html, true);
      const text = email.text === undefined ? undefined : await run(`${base}.email.text`, email.text);
      if (html !== undefined && text === undefined) {
        warnings.push('The email has no text part; some clients and spam filters prefer both');
      }
      if (subject === '') warnings.push('The subject rendered empty');
      return {
        channel: 'email',
        subject,
        ...(html !== undefined && { html }),
        ...(text !== undefined && { text }),
      };
    }
    case 'sms': {
      const sms = content as NonNullable<ChannelContent['sms']>;
      const body = await run(`${base}.sms.body`, sms.body);
      const count = countSms(body);
      if (count.parts > 1) {
        warnings.push(`The SMS is ${count.parts} parts (${count.encoding}, ${count.units} units)`);
      }
      if (count.parts === 0) warnings.push('The SMS body rendered empty');
      return { channel: 'sms', body, sms: count };
    }
    case 'push': {
      const push = content as NonNullable<ChannelContent['push']>;
      const title = await run(`${base}.push.title`, push.title);
      const body = await run(`${base}.push.body`, push.body);
      const url = push.url === undefined ? undefined : await run(`${base}.push.url`, push.url);
      let pushData: Record<string, string> | undefined;
      if (push.data) {
        pushData = {};
        for (const [key, value] of Object.entries(push.data)) {
          pushData[key] = await run(`${base}.push.data.${key}`, value);
        }
      }
      return {
        channel: 'push',
        title,
        body,
        ...(pushData && { data: pushData }),
        ...(url !== undefined && { url }),
      };
    }
    case 'webhook': {
      const webhook = content as NonNullable<ChannelContent['webhook']>;
      return { channel: 'webhook', body: await renderJson(webhook.body, `${base}.webhook.body`, run) };
    }
  }
  throw new Error(`unknown channel ${String(channel)}`);
}

async function renderJson(value: unknown, path: string, run: Run): Promise<unknown> {
  if (typeof value === 'string') return run(path, value);
  if (Array.isArray(value)) return Promise.all(value.map((v, i) => renderJson(v, `${path}[${i}]`, run)));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await renderJson(v, `${path}.${k}`, run);
    return out;
  }
  return value;
}
