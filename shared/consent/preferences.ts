import { normalizePhone } from '../customers/normalize.ts';
import { emailInput, text } from '../customers/schema.ts';
import { getCustomer, patchCustomer } from '../customers/service.ts';
import { config } from '../platform/config.ts';
import {
  ConflictError,
  DomainError,
  GoneError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../platform/errors.ts';
import type { FormFields, HttpRequest, HttpResult } from '../platform/http.ts';
import { log } from '../platform/log.ts';
import { linkSecret } from '../platform/secrets.ts';
import { recordUnsubscribe } from '../results/feedback.ts';
import type { Channel, ConsentStatus } from '../store/entities/consent.ts';
import { type Frequency, frequencies } from '../store/entities/contact-preferences.ts';
import { type Language, languageOf, languages, type MessageKey, pickLanguage, t } from './i18n.ts';
import { checkFormNonceWith, formNonceWith, InvalidLinkError, verifyLink } from './links.ts';
import { actionPage, errorPage, messagePage, type PreferenceView, preferencePage } from './pages.ts';
import {
  type ConsentChange,
  confirmEmailConsents,
  readConsents,
  readFrequency,
  setConsents,
  setFrequency,
} from './service.ts';
import { listTopics } from './topics.ts';

/**
 * The pages a customer reaches from a signed link: the preference page, the unsubscribe page (and its
 * RFC 8058 one-click POST) and the double opt-in confirmation. Each verifies its link first; a bad link
 * gets a localized HTML page, or problem+json when the client asked for JSON.
 *
 * CSRF: there is no session or cookie to ride on, so the classic attack does not apply — the link token
 * in the URL is the credential, and whoever has it can already GET the form. What the form adds is a
 * per-render nonce, an HMAC of the token and the render time, checked on POST: a form must have been
 * rendered by us for this link in the last two hours, so a stale tab or a form forged on another site
 * without a fresh render is refused. A POST whose Origin names another host is refused as well.
 */
export interface PageRequest {
  token: string;
  /** The page's own path, `/v1/preferences/<token>`, for links and the form action. */
  path: string;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  sourceIp?: string | undefined;
  form?: FormFields | undefined;
}

const ACTOR = { keyId: 'preference-page', keyName: 'preference page' };
const PAGE_CHANNELS: Channel[] = ['email', 'sms', 'push'];

function wantsJson(headers: Record<string, string | undefined>): boolean {
  const accept = headers.accept ?? '';
  return /application\/(problem\+)?json/.test(accept) && !/text\/html/.test(accept);
}

/** Link and customer errors as pages for people, problem details for programs. */
async function asPage(request: PageRequest, fn: () => Promise<HttpResult>): Promise<HttpResult> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof DomainError) || wantsJson(request.headers)) throw error;
    const lang = pickLanguage({
      choice: request.query.lang,
      acceptLanguage: request.headers['accept-language'],
    });
    if (error instanceof InvalidLinkError) {
      return errorPage(error.status, lang, error.problem === 'expired' ? 'expired' : 'invalid');
    }
    if (error instanceof GoneError || error instanceof NotFoundError) return errorPage(410, lang, 'gone');
    throw error;
  }
}

function evidence(request: PageRequest) {
  return {
    ip: request.sourceIp,
    userAgent: request.headers['user-agent']?.slice(0, 300),
  };
}

const enabled = (status: ConsentStatus | undefined) => status === 'opted_in' || status === 'pending';

interface ConsentState {
  channel: Map<Channel, ConsentStatus>;
  topic: Map<string, ConsentStatus>;
}

async function consentState(customerId: string): Promise<ConsentState> {
  const state: ConsentState = { channel: new Map(), topic: new Map() };
  for (const c of await readConsents(customerId)) {
    if (c.topic === '*') state.channel.set(c.channel, c.status);
    else state.topic.set(`${c.topic}.${c.channel}`, c.status);
  }
  return state;
}

/**
 * Whether a topic box shows ticked: its own record, else the channel's opt-in (which covers every
 * topic), else the topic's default. The channel's opt-out is left out on purpose: the box keeps the
 * topic choice for when the channel is turned on again.
 */
function topicOn(
  state: ConsentState,
  topic: { topic: string; defaultStatus: string },
  channel: Channel,
  channelStatus = state.channel.get(channel),
): boolean {
  const own = state.topic.get(`${topic.topic}.${channel}`);
  if (own) return enabled(own);
  if (enabled(channelStatus)) return true;
  return topic.defaultStatus === 'opted_in';
}

type FieldName = PreferenceView['errors'] extends Partial<Record<infer K, string>> ? K : never;

async function renderPreferences(
  request: PageRequest,
  customerId: string,
  overrides: {
    values?: PreferenceView['values'];
    errors?: PreferenceView['errors'];
    notice?: PreferenceView['notice'];
    status?: number;
  } = {},
): Promise<HttpResult> {
  const [customer, state, frequency, topics, secret] = await Promise.all([
    getCustomer(customerId),
    consentState(customerId),
    readFrequency(customerId),
    listTopics(),
    linkSecret(),
  ]);
  const lang = pickLanguage({
    choice: request.query.lang,
    locale: customer.locale,
    acceptLanguage: request.headers['accept-language'],
  });
  let notice = overrides.notice;
  if (!notice && request.query.saved === '1') notice = { kind: 'ok', text: t(lang, 'prefs.saved') };
  if (!notice && request.query.saved === 'pending') notice = { kind: 'ok', text: t(lang, 'prefs.pending') };
  const view: PreferenceView = {
    lang,
    selfPath: request.path,
    nonce: formNonceWith(secret, request.token),
    version: customer.version,
    values: overrides.values ?? {
      name: customer.name ?? '',
      email: customer.email ?? '',
      phone: customer.phone ?? '',
      locale: languageOf(customer.locale ?? lang),
      frequency: frequency ?? 'any',
    },
    channels: PAGE_CHANNELS.map((channel) => ({
      channel,
      checked: enabled(state.channel.get(channel)),
      pending: state.channel.get(channel) === 'pending',
    })),
    topics: topics
      .map((topic) => ({
        topic: topic.topic,
        name: lang === 'zh-CN' ? topic.name.zh : topic.name.en,
        description: topic.description,
        channels: topic.channels
          .filter((c) => PAGE_CHANNELS.includes(c))
          .map((channel) => ({
            channel,
            checked: topicOn(state, topic, channel),
            pending: state.topic.get(`${topic.topic}.${channel}`) === 'pending',
          })),
      }))
      .filter((topic) => topic.channels.length > 0),
    errors: overrides.errors ?? {},
    ...(notice && { notice }),
  };
  return preferencePage(view, overrides.status);
}

export function showPreferences(request: PageRequest): Promise<HttpResult> {
  return asPage(request, async () => {
    const { customerId } = await verifyLink(request.token, 'preferences');
    return renderPreferences(request, customerId);
  });
}

/**
 * A POST naming another site as its Origin is refused. A missing or opaque (`null`) Origin says nothing
 * either way — privacy settings and referrer policies produce it — and the nonce still has to match.
 */
function sameOrigin(headers: Record<string, string | undefined>): boolean {
  const origin = headers.origin;
  if (origin === undefined || origin === 'null') return true;
  try {
    return new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}

/** Reads and checks the submitted fields; errors are localized and name the field. */
function readForm(form: FormFields, lang: Language) {
  const errors: PreferenceView['errors'] = {};
  const values = {
    name: form.name ?? '',
    email: form.email ?? '',
    phone: form.phone ?? '',
    locale: languageOf(form.locale),
    frequency: (form.frequency ?? 'any') as Frequency,
  };
  const out: { name: string | null; email: string | null; phone: string | null } = {
    name: null,
    email: null,
    phone: null,
  };
  if (values.name.trim() !== '') {
    const parsed = text(200).safeParse(values.name);
    if (parsed.success) out.name = parsed.data;
    else errors.name = t(lang, 'field.name');
  }
  if (values.email.trim() !== '') {
    const parsed = emailInput.safeParse(values.email);
    if (parsed.success) out.email = parsed.data;
    else errors.email = t(lang, 'field.email');
  }
  if (values.phone.trim() !== '') {
    try {
      out.phone = normalizePhone(values.phone, config().DEFAULT_PHONE_REGION);
    } catch {
      errors.phone = t(lang, 'field.phone');
    }
  }
  if (form.locale !== undefined && !languages.includes(form.locale as Language))
    errors.locale = t(lang, 'field.choice');
  if (!frequencies.includes(values.frequency)) {
    errors.frequency = t(lang, 'field.choice');
    values.frequency = 'any';
  }
  return { values, parsed: out, errors };
}

export function savePreferences(request: PageRequest): Promise<HttpResult> {
  return asPage(request, async () => {
    const { customerId } = await verifyLink(request.token, 'preferences');
    const form = request.form ?? {};
    const customer = await getCustomer(customerId);
    const lang = pickLanguage({
      choice: request.query.lang,
      locale: customer.locale,
      acceptLanguage: request.headers['accept-language'],
    });
    if (!sameOrigin(request.headers)) return errorPage(403, lang, 'invalid');
    if (!checkFormNonceWith(await linkSecret(), request.token, form.nonce ?? '')) {
      return renderPreferences(request, customerId, {
        notice: { kind: 'alert', text: t(lang, 'prefs.expiredForm') },
        status: 400,
      });
    }
    const { values, parsed, errors } = readForm(form, lang);
    if (Object.keys(errors).length > 0)
      return renderPreferences(request, customerId, { values, errors, status: 400 });

    const patch: Record<string, string | null> = {};
    if ((customer.name ?? null) !== parsed.name) patch.name = parsed.name;
    if ((customer.email ?? null) !== parsed.email) patch.email = parsed.email;
    if ((customer.phone ?? null) !== parsed.phone) patch.phone = parsed.phone;
    if (languageOf(customer.locale) !== values.locale || !customer.locale) patch.locale = values.locale;
    if (Object.keys(patch).length > 0) {
      const version = Number(form.version);
      try {
        await patchCustomer(customerId, patch, Number.isInteger(version) ? version : -1, ACTOR);
      } catch (error) {
        if (error instanceof PreconditionFailedError) {
          return renderPreferences(request, customerId, {
            notice: { kind: 'alert', text: t(lang, 'prefs.conflict') },
            status: 409,
          });
        }
        if (error instanceof ConflictError || error instanceof ValidationError) {
          const field: FieldName = 'email' in patch ? 'email' : 'phone';
          return renderPreferences(request, customerId, {
            values,
            errors: { [field]: t(lang, 'field.taken') },
            status: 409,
          });
        }
        throw error;
      }
    }

    const changes = consentChanges(
      await consentState(customerId),
      await listTopics(),
      form,
      evidence(request),
    );
    let pending = false;
    if (changes.length > 0) {
      const result = await setConsents(customerId, changes, ACTOR.keyName, {
        // The link was mailed to the address on file; a new address still has to prove itself.
        emailConfirmed: !('email' in patch),
      });
      pending = result.confirmationSent;
    }
    await setFrequency(customerId, values.frequency);
    return {
      status: 303,
      headers: {
        // The page stays in the language it was read in, unless the customer just chose another.
        location: `${request.path}?lang=${'locale' in patch ? values.locale : lang}&saved=${pending ? 'pending' : '1'}`,
        'cache-control': 'no-store',
        'referrer-policy': 'same-origin',
      },
    };
  });
}

/**
 * What the ticked boxes change: channels whose box differs from their state, then every topic box that
 * differs from what the topic would be after the channel changes — so a box left as it was shown keeps
 * meaning what it showed.
 */
export function consentChanges(
  state: ConsentState,
  topics: { topic: string; channels: Channel[]; defaultStatus: string }[],
  form: FormFields,
  proof: Record<string, string | undefined>,
): ConsentChange[] {
  const changes: ConsentChange[] = [];
  const base = { source: 'preference_page', proof: JSON.stringify({ form: 'preferences', ...proof }) };
  const after = new Map(state.channel);
  for (const channel of PAGE_CHANNELS) {
    const wanted = form[`channel.${channel}`] === 'on';
    if (wanted !== enabled(state.channel.get(channel))) {
      const status = wanted ? 'opted_in' : 'opted_out';
      changes.push({ channel, topic: '*', status, ...base });
      after.set(channel, status);
    }
  }
  for (const topic of topics) {
    for (const channel of topic.channels.filter((c) => PAGE_CHANNELS.includes(c))) {
      const wanted = form[`topic.${topic.topic}.${channel}`] === 'on';
      if (wanted !== topicOn(state, topic, channel, after.get(channel))) {
        changes.push({ channel, topic: topic.topic, status: wanted ? 'opted_in' : 'opted_out', ...base });
      }
    }
  }
  return changes;
}

async function describeLink(
  lang: Language,
  channel: Channel | undefined,
  topic: string | undefined,
): Promise<string> {
  const channelName = t(lang, `channel.${channel ?? 'email'}` as MessageKey);
  if (!topic || topic === '*') return `${channelName}: ${t(lang, 'unsub.all')}`;
  const declared = (await listTopics()).find((d) => d.topic === topic);
  const name = declared ? (lang === 'zh-CN' ? declared.name.zh : declared.name.en) : topic;
  return `${name} (${channelName})`;
}

async function customerLanguage(request: PageRequest, customerId: string): Promise<Language> {
  let locale: string | undefined;
  try {
    locale = (await getCustomer(customerId)).locale;
  } catch (error) {
    if (!(error instanceof GoneError || error instanceof NotFoundError)) throw error;
  }
  return pickLanguage({
    choice: request.query.lang,
    locale,
    acceptLanguage: request.headers['accept-language'],
  });
}

/** GET of an unsubscribe link: a page with one button. It must not unsubscribe (scanners prefetch). */
export function showUnsubscribe(request: PageRequest): Promise<HttpResult> {
  return asPage(request, async () => {
    const link = await verifyLink(request.token, 'unsubscribe');
    const lang = await customerLanguage(request, link.customerId);
    const what = await describeLink(lang, link.channel, link.topic);
    return actionPage({
      lang,
      title: t(lang, 'unsub.title'),
      question: t(lang, 'unsub.question', { what }),
      button: t(lang, 'unsub.button'),
      action: request.path,
      fields: { 'List-Unsubscribe': 'One-Click' },
    });
  });
}

/**
 * RFC 8058 one-click unsubscribe, and the button of the page above: the opt-out is written at once with
 * a strongly consistent write, which the send gate reads consistently, so it holds before the next send.
 * Repeating it changes nothing and answers the same.
 */
export function oneClickUnsubscribe(request: PageRequest): Promise<HttpResult> {
  return asPage(request, async () => {
    const link = await verifyLink(request.token, 'unsubscribe');
    if (request.form?.['List-Unsubscribe'] !== 'One-Click') {
      throw ValidationError.field('List-Unsubscribe', 'must be One-Click (RFC 8058)');
    }
    const lang = await customerLanguage(request, link.customerId);
    const channel = link.channel ?? 'email';
    const topic = link.topic ?? '*';
    try {
      await setConsents(
        link.customerId,
        [
          {
            channel,
            topic,
            status: 'opted_out',
            source: 'unsubscribe_link',
            proof: JSON.stringify({ oneClick: true, ...evidence(request) }),
          },
        ],
        'unsubscribe link',
      );
    } catch (error) {
      // An erased customer has nothing left to unsubscribe; the answer is the same.
      if (!(error instanceof GoneError || error instanceof NotFoundError)) throw error;
    }
    if (link.source) await countUnsubscribe(link.source, link.customerId, channel);
    const what = await describeLink(lang, channel, topic);
    return messagePage(lang, t(lang, 'unsub.title'), t(lang, 'unsub.done', { what }));
  });
}

/**
 * Counts the unsubscribe against the message that carried the link, once per message. The opt-out is
 * what matters to the customer, so a failure to count is logged, not shown.
 */
async function countUnsubscribe(source: string, customerId: string, channel: Channel): Promise<void> {
  try {
    await recordUnsubscribe({ source, customerId, channel });
  } catch (error) {
    log.error('could not count an unsubscribe in the results', { source, error: String(error) });
  }
}

export function showConfirm(request: PageRequest): Promise<HttpResult> {
  return asPage(request, async () => {
    const link = await verifyLink(request.token, 'confirm');
    const lang = await customerLanguage(request, link.customerId);
    return actionPage({
      lang,
      title: t(lang, 'confirm.title'),
      question: t(lang, 'confirm.question'),
      button: t(lang, 'confirm.button'),
      action: request.path,
      fields: { confirm: 'yes' },
    });
  });
}

export function confirm(request: PageRequest): Promise<HttpResult> {
  return asPage(request, async () => {
    const link = await verifyLink(request.token, 'confirm');
    const lang = await customerLanguage(request, link.customerId);
    const changed = await confirmEmailConsents(link.customerId, link.ref ?? 'unknown', evidence(request));
    return messagePage(
      lang,
      t(lang, 'confirm.title'),
      t(lang, changed > 0 ? 'confirm.done' : 'confirm.nothing'),
    );
  });
}

/** Media types a page's POST accepts: browsers send url-encoded forms, RFC 8058 allows multipart. */
export const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data'];

export function pageRequest(request: HttpRequest<unknown, unknown, { token: string }>): PageRequest {
  const { event } = request;
  return {
    token: request.params.token,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    headers: request.headers,
    sourceIp: event.requestContext.http.sourceIp,
    form:
      request.body && typeof request.body === 'object' && !Array.isArray(request.body)
        ? (request.body as FormFields)
        : undefined,
  };
}
