import { createHash } from 'node:crypto';
import type { HttpResult } from '../platform/http.ts';
import type { Channel } from '../store/entities/consent.ts';
import type { Frequency } from '../store/entities/contact-preferences.ts';
import { html, type SafeHtml, trusted } from './html.ts';
import { type Language, languages, type MessageKey, t } from './i18n.ts';

/**
 * The customer-facing pages: the preference page, the unsubscribe and confirmation pages and the error
 * page for a bad link. Plain server-rendered HTML with inline CSS and no script, so they work in any
 * browser and mail client preview, with JavaScript off, and under a strict Content-Security-Policy.
 */
const CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;color:#1a1a1a;background:#fff}
.skip{position:absolute;left:-999px;top:0;background:#1a1a1a;color:#fff;padding:.5rem 1rem;z-index:1}
.skip:focus{left:0}
header,main{max-width:40rem;margin:0 auto;padding:1rem}
header nav ul{list-style:none;margin:0;padding:0;display:flex;gap:1rem;justify-content:flex-end}
a{color:#0b57d0}
a:focus,button:focus,input:focus,select:focus{outline:3px solid #1a1a1a;outline-offset:2px}
h1{font-size:1.6rem;line-height:1.25}
fieldset{border:1px solid #6b6b6b;border-radius:6px;margin:0 0 1.25rem;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .25rem}
label{display:block;font-weight:500}
.field{margin:.5rem 0 1rem}
input[type=text],input[type=email],input[type=tel],select{display:block;width:100%;max-width:28rem;font:inherit;padding:.5rem;border:1px solid #4a4a4a;border-radius:4px;color:#1a1a1a;background:#fff}
.check{display:flex;gap:.5rem;align-items:flex-start;margin:.35rem 0}
.check input{width:1.25rem;height:1.25rem;margin:.15rem 0 0}
.check label{font-weight:400}
.hint{color:#4a4a4a;font-size:.95rem;margin:.25rem 0}
.error{color:#b3261e;font-weight:600;margin:.25rem 0}
[aria-invalid=true]{border-color:#b3261e;border-width:2px}
.notice{border-left:4px solid #1b5e20;background:#f1f8f1;padding:.75rem 1rem;margin:1rem 0}
.alert{border-left:4px solid #b3261e;background:#fdf2f1;padding:.75rem 1rem;margin:1rem 0}
button{font:inherit;font-weight:600;color:#fff;background:#0b57d0;border:0;border-radius:6px;padding:.7rem 1.4rem;cursor:pointer}
button:hover{background:#0842a0}
h2{font-size:1.05rem;margin:.75rem 0 .25rem}
`;

const STYLE_HASH = createHash('sha256').update(CSS).digest('base64');

/**
 * Headers of every page: no caching (they show personal data), and the URL — a credential — never sent
 * as a referrer to another site (same-origin keeps a real Origin on the page's own form POST).
 */
export function pageHeaders(): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'same-origin',
    'x-content-type-options': 'nosniff',
    'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  };
}

export function page(
  status: number,
  lang: Language,
  title: string,
  body: SafeHtml,
  selfPath?: string,
): HttpResult {
  const switcher = selfPath
    ? html`<header><nav aria-label="${t(lang, 'page.switchLanguage')}"><ul>${languages.map(
        (l) =>
          html`<li><a href="${selfPath}?lang=${l}" lang="${l}" hreflang="${l}"${
            l === lang ? html` aria-current="true"` : ''
          }>${l === 'en' ? 'English' : '简体中文'}</a></li>`,
      )}</ul></nav></header>`
    : '';
  const doc = html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<style>${trusted(CSS)}</style>
</head>
<body>
<a class="skip" href="#main">${t(lang, 'page.skip')}</a>
${switcher}
<main id="main" tabindex="-1">
${body}
</main>
</body>
</html>
`;
  return { status, headers: pageHeaders(), body: doc.value };
}

export function errorPage(status: number, lang: Language, kind: 'invalid' | 'expired' | 'gone'): HttpResult {
  const title = t(lang, `error.${kind}.title` as MessageKey);
  return page(
    status,
    lang,
    title,
    html`<h1>${title}</h1><p>${t(lang, `error.${kind}.body` as MessageKey)}</p>`,
  );
}

/** A small page with one button that POSTs (a GET must never act: mail scanners prefetch links). */
export function actionPage(input: {
  lang: Language;
  title: string;
  question: string;
  button: string;
  action: string;
  fields: Record<string, string>;
}): HttpResult {
  const { lang } = input;
  return page(
    200,
    lang,
    input.title,
    html`<h1>${input.title}</h1>
<p>${input.question}</p>
<form method="post" action="${input.action}">
${Object.entries(input.fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<button type="submit">${input.button}</button>
</form>`,
    input.action,
  );
}

export function messagePage(lang: Language, title: string, message: string, selfPath?: string): HttpResult {
  return page(200, lang, title, html`<h1>${title}</h1><p role="status">${message}</p>`, selfPath);
}

export interface PreferenceView {
  lang: Language;
  selfPath: string;
  nonce: string;
  version: number;
  values: { name: string; email: string; phone: string; locale: Language; frequency: Frequency };
  channels: { channel: Channel; checked: boolean; pending: boolean }[];
  topics: {
    topic: string;
    name: string;
    description?: string | undefined;
    channels: { channel: Channel; checked: boolean; pending: boolean }[];
  }[];
  errors: Partial<Record<'name' | 'email' | 'phone' | 'locale' | 'frequency', string>>;
  notice?: { kind: 'ok' | 'alert'; text: string };
}

export function preferencePage(view: PreferenceView, status = 200): HttpResult {
  const { lang, values, errors } = view;
  const title = t(lang, 'prefs.title');
  const errorIds = Object.keys(errors) as (keyof typeof errors)[];
  const field = (
    name: 'name' | 'email' | 'phone',
    type: 'text' | 'email' | 'tel',
    autocomplete: string,
    hint?: string,
  ) => {
    const error = errors[name];
    const described = [hint ? `${name}-hint` : '', error ? `${name}-error` : ''].filter(Boolean).join(' ');
    return html`<div class="field">
<label for="${name}">${t(lang, `prefs.${name}` as MessageKey)}</label>
${hint ? html`<p class="hint" id="${name}-hint">${hint}</p>` : ''}
${error ? html`<p class="error" id="${name}-error">${error}</p>` : ''}
<input type="${type}" id="${name}" name="${name}" value="${values[name]}" autocomplete="${autocomplete}"${
      described ? html` aria-describedby="${described}"` : ''
    }${error ? html` aria-invalid="true"` : ''}>
</div>`;
  };
  const check = (id: string, name: string, label: string, checked: boolean, pending: boolean) =>
    html`<div class="check"><input type="checkbox" id="${id}" name="${name}" value="on"${checked ? html` checked` : ''}${
      pending ? html` aria-describedby="${id}-pending"` : ''
    }><label for="${id}">${label}${
      pending ? html` <span class="hint" id="${id}-pending">(${t(lang, 'status.pending')})</span>` : ''
    }</label></div>`;
  const body = html`<h1>${title}</h1>
<p>${t(lang, 'prefs.intro')}</p>
${
  view.notice
    ? html`<div class="${view.notice.kind === 'ok' ? 'notice' : 'alert'}" role="${view.notice.kind === 'ok' ? 'status' : 'alert'}">${view.notice.text}</div>`
    : ''
}
${
  errorIds.length > 0
    ? html`<div class="alert" role="alert"><p>${t(lang, 'prefs.errors')}</p><ul>${errorIds.map(
        (id) => html`<li><a href="#${id}">${errors[id]}</a></li>`,
      )}</ul></div>`
    : ''
}
<form method="post" action="${view.selfPath}?lang=${lang}" novalidate>
<input type="hidden" name="nonce" value="${view.nonce}">
<input type="hidden" name="version" value="${view.version}">
<fieldset>
<legend>${t(lang, 'prefs.details')}</legend>
${field('name', 'text', 'name')}
${field('email', 'email', 'email')}
${field('phone', 'tel', 'tel', t(lang, 'prefs.phoneHint'))}
</fieldset>
<fieldset aria-describedby="channels-hint">
<legend>${t(lang, 'prefs.channels')}</legend>
<p class="hint" id="channels-hint">${t(lang, 'prefs.channelsHint')}</p>
${view.channels.map((c) => check(`channel-${c.channel}`, `channel.${c.channel}`, t(lang, `channel.${c.channel}` as MessageKey), c.checked, c.pending))}
</fieldset>
${
  view.topics.length > 0
    ? html`<fieldset aria-describedby="topics-hint">
<legend>${t(lang, 'prefs.topics')}</legend>
<p class="hint" id="topics-hint">${t(lang, 'prefs.topicsHint')}</p>
${view.topics.map(
  (topic) => html`<fieldset>
<legend>${topic.name}</legend>
${topic.description ? html`<p class="hint">${topic.description}</p>` : ''}
${topic.channels.map((c) =>
  check(
    `topic-${topic.topic}-${c.channel}`,
    `topic.${topic.topic}.${c.channel}`,
    t(lang, `channel.${c.channel}` as MessageKey),
    c.checked,
    c.pending,
  ),
)}
</fieldset>`,
)}
</fieldset>`
    : ''
}
<fieldset>
<legend>${t(lang, 'prefs.frequency')}</legend>
${(['any', 'weekly', 'monthly'] as const).map(
  (f) =>
    html`<div class="check"><input type="radio" id="frequency-${f}" name="frequency" value="${f}"${
      values.frequency === f ? html` checked` : ''
    }><label for="frequency-${f}">${t(lang, `prefs.frequency.${f}`)}</label></div>`,
)}
</fieldset>
<div class="field">
<label for="locale">${t(lang, 'prefs.language')}</label>
<select id="locale" name="locale">
${languages.map(
  (l) =>
    html`<option value="${l}" lang="${l}"${values.locale === l ? html` selected` : ''}>${l === 'en' ? 'English' : '简体中文'}</option>`,
)}
</select>
</div>
<button type="submit">${t(lang, 'prefs.save')}</button>
</form>`;
  return page(status, lang, title, body, view.selfPath);
}
