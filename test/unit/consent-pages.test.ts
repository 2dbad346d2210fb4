import { createHash } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../shared/consent/html.ts';
import { languageOf, messages, pickLanguage } from '../../shared/consent/i18n.ts';
import { type PreferenceView, pageHeaders, preferencePage } from '../../shared/consent/pages.ts';
import { consentChanges } from '../../shared/consent/preferences.ts';
import { type HttpEvent, httpRoute } from '../../shared/platform/http.ts';

function view(overrides: Partial<PreferenceView> = {}): PreferenceView {
  return {
    lang: 'en',
    selfPath: '/v1/preferences/TOKEN',
    nonce: '1.n',
    version: 3,
    values: { name: 'Li Na', email: 'li.na@example.com', phone: '', locale: 'en', frequency: 'weekly' },
    channels: [{ channel: 'email', checked: true, pending: false }],
    topics: [
      {
        topic: 'promotions',
        name: 'Promotions',
        channels: [{ channel: 'email', checked: false, pending: true }],
      },
    ],
    errors: {},
    ...overrides,
  };
}

describe('HTML escaping', () => {
  it('renders a name holding markup as text, in attributes and in text alike', () => {
    // Prepare
    const name = '<script>alert("x")</script> & \'王\'';

    // Act
    const page = preferencePage(
      view({
        values: { ...view().values, name },
        topics: [
          { topic: 'promotions', name, channels: [{ channel: 'email', checked: true, pending: false }] },
        ],
      }),
    );

    // Assess
    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain(
      'value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;王&#39;"',
    );
    expect(page.body).toContain(
      '<legend>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;王&#39;</legend>',
    );
  });

  it('escapes every interpolation unless it is markup made by html`` itself', () => {
    // Act
    const out = html`<p title="${'"x"'}">${html`<b>${'<i>'}</b>`}${['<a>', 1]}${undefined}</p>`;

    // Assess
    expect(out.value).toBe('<p title="&quot;x&quot;"><b>&lt;i&gt;</b>&lt;a&gt;1</p>');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});

describe('the preference page markup', () => {
  it('has a language, a skip link, labelled inputs, grouped choices and field errors tied to their inputs', () => {
    // Act
    const page = preferencePage(view({ lang: 'zh-CN', errors: { email: '请输入电子邮箱地址' } }), 400);
    const body = String(page.body);

    // Assess
    expect(page.status).toBe(400);
    expect(body).toMatch(/^<!doctype html>\n<html lang="zh-CN">/);
    expect(body).toContain('<a class="skip" href="#main">');
    expect(body).toContain('<main id="main" tabindex="-1">');
    for (const id of ['name', 'email', 'phone', 'channel-email', 'topic-promotions-email', 'locale']) {
      expect(body, id).toContain(`<label for="${id}">`);
      expect(body, id).toContain(`id="${id}"`);
    }
    expect(body).toContain('aria-describedby="email-error" aria-invalid="true"');
    expect(body).toContain('<p class="error" id="email-error">请输入电子邮箱地址</p>');
    expect(body.match(/<fieldset/g)?.length).toBe(body.match(/<legend>/g)?.length);
    expect(body).toContain('<input type="hidden" name="nonce" value="1.n">');
  });

  it('allows only its own inline style by hash, and is neither cached nor leaks its URL as referrer to other sites', () => {
    // Prepare
    const page = preferencePage(view());
    const css = /<style>([\s\S]*?)<\/style>/.exec(String(page.body))?.[1] ?? '';

    // Act
    const headers = pageHeaders();

    // Assess
    const hash = createHash('sha256').update(css).digest('base64');
    expect(headers['content-security-policy']).toContain(`style-src 'sha256-${hash}'`);
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'same-origin' });
  });
});

describe('texts', () => {
  it('exist in both languages for every key, none empty, with the same placeholders', () => {
    // Prepare
    const en = messages.en;
    const zh = messages['zh-CN'];

    // Act
    const keys = new Set([...Object.keys(en), ...Object.keys(zh)]) as Set<keyof typeof en>;

    // Assess
    for (const key of keys) {
      expect(en[key]?.trim(), `en ${key}`).toBeTruthy();
      expect(zh[key]?.trim(), `zh-CN ${key}`).toBeTruthy();
      expect(zh[key].match(/\{\w+\}/g) ?? [], key).toEqual(en[key].match(/\{\w+\}/g) ?? []);
    }
  });

  it('pick the language from the switch, then the locale, then Accept-Language', () => {
    expect(pickLanguage({ choice: 'en', locale: 'zh-CN' })).toBe('en');
    expect(pickLanguage({ locale: 'zh-Hant-TW', acceptLanguage: 'en' })).toBe('zh-CN');
    expect(pickLanguage({ acceptLanguage: 'fr-FR, en;q=0.5, zh-CN;q=0.8' })).toBe('zh-CN');
    expect(pickLanguage({ acceptLanguage: 'de, zh;q=0' })).toBe('en');
    expect(pickLanguage({})).toBe('en');
    expect(languageOf('ZH')).toBe('zh-CN');
  });
});

describe('what the preference form changes', () => {
  const topics = [
    { topic: 'promotions', channels: ['email', 'sms'] as ('email' | 'sms')[], defaultStatus: 'opted_out' },
    { topic: 'orders', channels: ['email'] as 'email'[], defaultStatus: 'opted_in' },
  ];
  const noProof = {};

  it('writes nothing when the boxes are sent as they were shown', () => {
    // Prepare
    const state = {
      channel: new Map([['email', 'opted_in']]),
      topic: new Map([['promotions.sms', 'opted_out']]),
    };
    const form = { 'channel.email': 'on', 'topic.promotions.email': 'on', 'topic.orders.email': 'on' };

    // Act
    const changes = consentChanges(state as never, topics, form, noProof);

    // Assess
    expect(changes).toEqual([]);
  });

  it('turning a channel on keeps the topics left unticked unticked', () => {
    // Prepare
    const state = { channel: new Map(), topic: new Map() };
    const form = { 'channel.email': 'on', 'topic.orders.email': 'on' };

    // Act
    const changes = consentChanges(state as never, topics, form, noProof);

    // Assess
    expect(changes.map((c) => [c.channel, c.topic, c.status])).toEqual([
      ['email', '*', 'opted_in'],
      ['email', 'promotions', 'opted_out'],
    ]);
    expect(changes[0]?.source).toBe('preference_page');
  });

  it('unticking a service topic writes a topic opt-out', () => {
    // Act
    const changes = consentChanges({ channel: new Map(), topic: new Map() } as never, topics, {}, noProof);

    // Assess
    expect(changes.map((c) => [c.channel, c.topic, c.status])).toEqual([['email', 'orders', 'opted_out']]);
  });
});

describe('form bodies in httpRoute', () => {
  const context = {} as Context;
  const echo = httpRoute(
    { scope: 'public', bodyTypes: ['application/x-www-form-urlencoded', 'multipart/form-data'] },
    async ({ body }) => ({ status: 200, body: body as object }),
  );
  const event = (contentType: string, body: string, isBase64Encoded = false) =>
    ({
      rawPath: '/x',
      headers: { 'content-type': contentType },
      body,
      isBase64Encoded,
      requestContext: {},
    }) as unknown as HttpEvent;

  it('reads url-encoded and multipart forms, base64 or not', async () => {
    // Prepare
    const multipart = [
      '--XyZ',
      'Content-Disposition: form-data; name="List-Unsubscribe"',
      '',
      'One-Click',
      '--XyZ--',
      '',
    ].join('\r\n');

    // Act
    const url = await echo(
      event('application/x-www-form-urlencoded', 'name=%E7%8E%8B+%E8%8A%B3&a=1'),
      context,
    );
    const multi = await echo(
      event('multipart/form-data; boundary=XyZ', Buffer.from(multipart).toString('base64'), true),
      context,
    );

    // Assess
    expect(JSON.parse(url.body ?? '')).toEqual({ name: '王 芳', a: '1' });
    expect(JSON.parse(multi.body ?? '')).toEqual({ 'List-Unsubscribe': 'One-Click' });
  });
});
