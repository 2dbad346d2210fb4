import { describe, expect, it } from 'vitest';
import { UnprocessableError } from '../../shared/platform/errors.ts';
import { localeChain, render, templateProblems } from '../../shared/templates/render.ts';
import { countSms } from '../../shared/templates/sms.ts';
import type { LinkSigner, RenderData, TemplateDefinition } from '../../shared/templates/types.ts';

const signer: LinkSigner = {
  preferenceUrl: async (id) => `https://cohort.test/v1/preferences/p-${id}`,
  unsubscribeUrl: async (id, channel, topic = '*') =>
    `https://cohort.test/v1/unsubscribe/${id}-${channel}-${topic}?a=1&b=2`,
};

const customer: RenderData['customer'] = {
  id: '01KABCDEFGHJKMNPQRSTVWXYZ0',
  name: '<Zhang & "San">',
  givenName: '三',
  attributes: { favouriteStore: '上海 南京西路' },
};

const shipped: TemplateDefinition = {
  name: 'order shipped',
  defaultLocale: 'en',
  topic: 'orders',
  variables: {
    'event.orderId': { type: 'string', required: true },
    'event.total': { type: 'money' },
    'event.shippedAt': { type: 'date' },
    'event.items': { type: 'list' },
    'customer.attributes.favouriteStore': { type: 'string' },
  },
  content: {
    email: {
      subject: 'Order {{ event.orderId }} shipped, {{ customer.name }}',
      html: '<p>Hi {{ customer.name }}</p><p>{{ event.total | money }}</p><a href="{{ links.unsubscribe }}">unsubscribe</a>{{ "<b>ok</b>" | raw }}',
      text: 'Hi {{ customer.name }}, total {{ event.total | money }}. Unsubscribe: {{ links.unsubscribe }}',
    },
    sms: { body: 'Order {{ event.orderId }} shipped' },
    push: { title: 'Shipped', body: '{{ event.orderId }} 🚚', data: { orderId: '{{ event.orderId }}' } },
    webhook: {
      body: {
        type: 'order.shipped',
        order: '{{ event.orderId }}',
        name: '{{ customer.name }}',
        n: 3,
        ok: true,
      },
    },
  },
  locales: {
    zh: {
      sms: {
        body: '{{ customer.givenName }}，您的订单{{ event.orderId }}已发货 🎉 {{ event.shippedAt | format_date: "long" }}',
      },
    },
    'zh-TW': { push: { title: '已出貨', body: '訂單 {{ event.orderId }}' } },
  },
};

const data: RenderData = {
  customer,
  event: { orderId: 'A-1', total: 1234.5, shippedAt: '2026-03-01T02:00:00Z', items: [{ sku: 'x' }] },
};

describe('template rendering', () => {
  it('escapes HTML output in email html and nowhere else', async () => {
    // Act
    const { content } = await render(shipped, data, {
      channel: 'email',
      locale: 'en',
      links: signer,
      currency: 'USD',
    });

    // Assess
    expect(content).toMatchObject({ channel: 'email' });
    if (content.channel !== 'email') throw new Error('not email');
    expect(content.html).toContain('<p>Hi &lt;Zhang &amp; &#34;San&#34;&gt;</p>');
    expect(content.html).toContain(
      'href="https://cohort.test/v1/unsubscribe/01KABCDEFGHJKMNPQRSTVWXYZ0-email-orders?a=1&amp;b=2"',
    );
    expect(content.html).toContain('<b>ok</b>');
    expect(content.text).toBe(
      'Hi <Zhang & "San">, total $1,234.50. Unsubscribe: https://cohort.test/v1/unsubscribe/01KABCDEFGHJKMNPQRSTVWXYZ0-email-orders?a=1&b=2',
    );
    expect(content.subject).toBe('Order A-1 shipped, <Zhang & "San">');
  });

  it('falls back zh-CN -> zh -> default per channel, and formats in the locale asked for', async () => {
    // Act
    const sms = await render(shipped, data, {
      channel: 'sms',
      locale: 'zh-CN',
      timeZone: 'Asia/Shanghai',
      links: signer,
    });
    const push = await render(shipped, data, { channel: 'push', locale: 'zh-CN', links: signer });
    const pushTw = await render(shipped, data, { channel: 'push', locale: 'zh-Hant-TW', links: signer });
    const email = await render(shipped, data, {
      channel: 'email',
      locale: 'zh-CN',
      links: signer,
      currency: 'CNY',
    });

    // Assess
    expect(sms.locale).toBe('zh');
    expect(sms.content).toMatchObject({ channel: 'sms', body: '三，您的订单A-1已发货 🎉 2026年3月1日' });
    expect(push.locale).toBe('en');
    expect(push.content).toMatchObject({ title: 'Shipped', body: 'A-1 🚚', data: { orderId: 'A-1' } });
    expect(pushTw.locale).toBe('en');
    expect(email.content).toMatchObject({ text: expect.stringContaining('¥1,234.50') });
    expect(localeChain('zh-Hant-TW')).toEqual(['zh-Hant-TW', 'zh-Hant', 'zh']);
  });

  it('matches a locale variant case-insensitively and keeps Chinese and emoji in webhook JSON', async () => {
    // Act
    const tw = await render(shipped, data, { channel: 'push', locale: 'zh-tw', links: signer });
    const hook = await render(
      shipped,
      { ...data, customer: { ...customer, name: '张三 😀 "q"' } },
      { channel: 'webhook', links: signer },
    );

    // Assess
    expect(tw).toMatchObject({ locale: 'zh-TW', content: { title: '已出貨', body: '訂單 A-1' } });
    expect(hook.content).toEqual({
      channel: 'webhook',
      body: { type: 'order.shipped', order: 'A-1', name: '张三 😀 "q"', n: 3, ok: true },
    });
  });

  it('counts the SMS it renders and warns about values a customer lacks', async () => {
    // Prepare
    const template: TemplateDefinition = {
      ...shipped,
      content: { sms: { body: 'Hi {{ customer.familyName }} {{ event.orderId }}' } },
      locales: {},
    };

    // Act
    const result = await render(template, data, { channel: 'sms', links: signer });

    // Assess
    expect(result.content).toMatchObject({ body: 'Hi  A-1', sms: { encoding: 'GSM-7', parts: 1, units: 7 } });
    expect(result.warnings).toEqual([
      '"customer.familyName" has no value for this customer; it rendered empty',
    ]);
  });

  it('refuses to render without a required variable or without content for the channel', async () => {
    // Act
    const missing = render(shipped, { customer, event: {} }, { channel: 'sms', links: signer });
    const noChannel = render({ ...shipped, content: {}, locales: {} }, data, {
      channel: 'email',
      links: signer,
    });

    // Assess
    await expect(missing).rejects.toMatchObject({
      errors: [{ path: 'event.orderId', message: 'is required by the template' }],
    });
    await expect(noChannel).rejects.toBeInstanceOf(UnprocessableError);
  });
});

describe('template validation', () => {
  it('accepts a sound template', () => {
    // Act
    const problems = templateProblems(shipped);

    // Assess
    expect(problems).toEqual([]);
  });

  it('names unknown variables, undeclared event data, unknown filters and broken Liquid by path', () => {
    // Prepare
    const template: TemplateDefinition = {
      name: 'bad',
      defaultLocale: 'en',
      variables: { 'event.known': { type: 'string' } },
      content: {
        email: {
          subject: '{{ custmer.name }}',
          html: '<p>{{ event.unknown }}</p>',
          text: '{{ customer.name | shout }}',
        },
        sms: {
          body: '{{ customer.attributes.vip }} {{ event.known }} {% for i in event.items %}{{ i.x }}{% endfor %}',
        },
      },
      locales: {
        zh: { push: { title: '{{ customer.name ', body: '{{ computed.scores.rfm.r }} {{ customer.nope }}' } },
      },
    };

    // Act
    const problems = templateProblems(template);

    // Assess
    expect(problems.map((p) => p.path)).toEqual([
      'content.email.subject',
      'content.email.html',
      'content.email.text',
      'content.sms.body',
      'content.sms.body',
      'locales.zh.push.title',
      'locales.zh.push.body',
    ]);
    expect(problems[0]?.message).toMatch(/"custmer.name" is not a variable/);
    expect(problems[1]?.message).toMatch(/"event.unknown" is not declared/);
    expect(problems[2]?.message).toMatch(/undefined filter: shout/);
    expect(problems[3]?.message).toMatch(/"customer.attributes.vip" is not declared/);
    expect(problems[4]?.message).toMatch(/"event.items" is not declared/);
    expect(problems[6]?.message).toMatch(/"customer.nope" is not a variable \(line 1, column \d+\)/);
  });

  it('lets loop variables and assigns through, and checks what they read', () => {
    // Prepare
    const template: TemplateDefinition = {
      name: 'loops',
      defaultLocale: 'en',
      variables: { 'event.items': { type: 'list' } },
      content: {
        sms: {
          body: '{% assign n = customer.name %}{{ n }}{% for i in event.items %}{{ i.sku }}{{ forloop.index }}{% endfor %}',
        },
      },
    };

    // Act
    const problems = templateProblems(template);

    // Assess
    expect(problems).toEqual([]);
  });
});

describe('SMS segment counting', () => {
  it.each([
    ['', 'GSM-7', 0, 0],
    ['a'.repeat(160), 'GSM-7', 160, 1],
    ['a'.repeat(161), 'GSM-7', 161, 2],
    ['a'.repeat(306), 'GSM-7', 306, 2],
    ['a'.repeat(307), 'GSM-7', 307, 3],
    ['€'.repeat(80), 'GSM-7', 160, 1],
    ['€'.repeat(81), 'GSM-7', 162, 2],
    ['Üöñéà {}[]~|^\\', 'GSM-7', 22, 1],
    ['ï is not GSM', 'UCS-2', 12, 1],
    ['中'.repeat(70), 'UCS-2', 70, 1],
    ['中'.repeat(71), 'UCS-2', 71, 2],
    ['😀'.repeat(35), 'UCS-2', 70, 1],
    ['😀'.repeat(36), 'UCS-2', 72, 2],
    [`${'a'.repeat(159)}ç`, 'UCS-2', 160, 3],
  ] as const)('case %#', (body, encoding, units, parts) => {
    // Act
    const count = countSms(body);

    // Assess
    expect(count).toMatchObject({ encoding, units, parts });
  });

  it('never splits an escape or a surrogate pair across parts', () => {
    // Act
    const gsm = countSms(`${'a'.repeat(152)}€${'a'.repeat(152)}`);
    const ucs = countSms(`${'中'.repeat(66)}😀${'中'.repeat(65)}`);

    // Assess: 152 + 2 does not fit 153, so the euro opens the second part
    expect(gsm).toMatchObject({ units: 306, parts: 3, characters: 305 });
    expect(ucs).toMatchObject({ units: 133, parts: 2, characters: 132 });
  });
});
