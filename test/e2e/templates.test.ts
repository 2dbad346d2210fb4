import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { call } from '../support/api.ts';
import { useStackEnv } from '../support/stack-env.ts';
import { scanAll } from '../support/table.ts';

useStackEnv();
const { verifyLink } = await import('../../shared/consent/links.ts');

const unique = () => randomUUID().slice(0, 8);

await call('PUT', '/v1/attributes/favouriteStore', { body: { type: 'string' } });

function template(extra: object = {}) {
  return {
    name: `order shipped ${unique()}`,
    defaultLocale: 'en',
    variables: { 'event.orderId': { type: 'string', required: true }, 'event.total': { type: 'money' } },
    content: {
      email: {
        subject: 'Order {{ event.orderId }} shipped',
        html: '<p>Hi {{ customer.name }}, {{ event.total | money }} from {{ customer.attributes.favouriteStore }}</p><a href="{{ links.unsubscribe }}">unsubscribe</a>',
        text: 'Hi {{ customer.name }}',
      },
      sms: { body: 'Order {{ event.orderId }} shipped' },
    },
    locales: {
      zh: {
        sms: {
          body: '{{ customer.name }}，您的订单{{ event.orderId }}已发货 🎉 金额{{ event.total | money }}',
        },
      },
    },
    ...extra,
  };
}

async function templateItems(): Promise<number> {
  return (await scanAll()).filter((i) => String(i.pk).startsWith('TEMPLATE#')).length;
}

describe('templates over HTTP', () => {
  it('creates, reads, lists, replaces under If-Match and archives', async () => {
    // Prepare
    const body = template();

    // Act
    const created = await call('POST', '/v1/templates', { body });
    const id = created.body.id as string;
    const read = await call('GET', `/v1/templates/${id}`);
    const listed = await call('GET', '/v1/templates?limit=200');
    const updated = await call('PUT', `/v1/templates/${id}`, {
      body: { ...body, content: { sms: { body: 'New {{ event.orderId }}' } } },
      headers: { 'if-match': created.headers.get('etag') ?? '' },
    });
    const stale = await call('PUT', `/v1/templates/${id}`, { body, headers: { 'if-match': '"1"' } });
    const archived = await call('POST', `/v1/templates/${id}/archive`, { headers: { 'if-match': '"2"' } });
    const activeAfter = await call('GET', '/v1/templates?limit=200');
    const archivedList = await call('GET', '/v1/templates?status=archived&limit=200');
    const changeArchived = await call('PUT', `/v1/templates/${id}`, { body, headers: { 'if-match': '"3"' } });

    // Assess
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.headers.get('location')).toBe(`/v1/templates/${id}`);
    expect(read.body).toMatchObject({
      id,
      name: body.name,
      status: 'active',
      version: 1,
      locales: body.locales,
    });
    expect(listed.body.items.map((t: { id: string }) => t.id)).toContain(id);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ version: 2, content: { sms: { body: 'New {{ event.orderId }}' } } });
    expect(stale.status).toBe(412);
    expect(archived.body).toMatchObject({ status: 'archived', version: 3 });
    expect(activeAfter.body.items.map((t: { id: string }) => t.id)).not.toContain(id);
    expect(archivedList.body.items.map((t: { id: string }) => t.id)).toContain(id);
    expect(changeArchived.status).toBe(409);
  });

  it('answers bad templates with 400 naming each field, and stores nothing', async () => {
    // Prepare
    const before = await templateItems();

    // Act
    const unknownVariable = await call('POST', '/v1/templates', {
      body: template({ content: { sms: { body: 'Hi {{ customer.nmae }} {{ event.undeclared }}' } } }),
    });
    const badFilter = await call('POST', '/v1/templates', {
      body: template({ content: { email: { subject: '{{ customer.name | shout }}', text: 'x' } } }),
    });
    const brokenLiquid = await call('POST', '/v1/templates', {
      body: template({ locales: { 'zh-CN': { push: { title: '{% if %}', body: 'x' } } } }),
    });
    const shape = await call('POST', '/v1/templates', {
      body: {
        name: '',
        defaultLocale: 'not a locale',
        content: {},
        variables: { orderId: { type: 'uuid' } },
        extra: 1,
      },
    });
    const undeclaredTopic = await call('POST', '/v1/templates', {
      body: template({ topic: 'no-such-topic' }),
    });
    const after = await templateItems();

    // Assess
    expect(unknownVariable.status).toBe(400);
    expect(unknownVariable.headers.get('content-type')).toBe('application/problem+json');
    expect(unknownVariable.body.errors).toEqual([
      {
        path: 'content.sms.body',
        message: expect.stringContaining('"customer.nmae" is not a variable'),
      },
      {
        path: 'content.sms.body',
        message: expect.stringContaining('"event.undeclared" is not declared'),
      },
    ]);
    expect(badFilter.body.errors).toEqual([
      { path: 'content.email.subject', message: expect.stringContaining('undefined filter: shout') },
    ]);
    expect(brokenLiquid.body.errors[0]).toMatchObject({ path: 'locales.zh-CN.push.title' });
    expect(shape.status).toBe(400);
    expect(shape.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['name', 'defaultLocale', 'variables.orderId', 'extra']),
    );
    expect(undeclaredTopic.body.errors).toEqual([
      { path: 'topic', message: '"no-such-topic" is not a declared topic' },
    ]);
    expect(after).toBe(before);
  });

  it('renders for a customer in their locale, with SMS counts, escaping and a working unsubscribe link', async () => {
    // Prepare
    const customer = await call('POST', '/v1/customers', {
      body: {
        email: `tpl-${unique()}@example.com`,
        name: '张三 <b>',
        locale: 'zh-CN',
        attributes: { favouriteStore: '上海 & 北京' },
      },
    });
    const created = await call('POST', '/v1/templates', { body: template() });
    const path = `/v1/templates/${created.body.id}/render`;

    // Act
    const sms = await call('POST', path, {
      body: { customerId: customer.body.id, channel: 'sms', event: { orderId: 'A-1', total: 99.5 } },
    });
    const email = await call('POST', path, {
      body: {
        customerId: customer.body.id,
        channel: 'email',
        locale: 'en',
        event: { orderId: 'A-1', total: 99.5 },
      },
    });

    // Assess
    expect(sms.status).toBe(200);
    expect(sms.body).toMatchObject({
      locale: 'zh',
      channel: 'sms',
      content: {
        body: '张三 <b>，您的订单A-1已发货 🎉 金额¥99.50',
        sms: { encoding: 'UCS-2', parts: 1 },
      },
      warnings: [],
    });
    expect(email.body.content.html).toContain('Hi 张三 &lt;b&gt;, CN¥99.50 from 上海 &amp; 北京');
    const token = new URL(email.body.content.unsubscribeUrl as string).pathname.split('/').pop() ?? '';
    await expect(verifyLink(token, 'unsubscribe')).resolves.toMatchObject({
      customerId: customer.body.id,
      channel: 'email',
    });
    expect(email.body.content.html).toContain(`href="${email.body.content.unsubscribeUrl}"`);
  });

  it('answers a bad render request with 4xx naming the field', async () => {
    // Prepare
    const created = await call('POST', '/v1/templates', { body: template() });
    const customer = await call('POST', '/v1/customers', { body: { email: `r-${unique()}@example.com` } });
    const path = `/v1/templates/${created.body.id}/render`;

    // Act
    const badChannel = await call('POST', path, { body: { customerId: customer.body.id, channel: 'fax' } });
    const noCustomer = await call('POST', path, {
      body: { customerId: '01KABCDEFGHJKMNPQRSTVWXYZ0', channel: 'sms' },
    });
    const missingEvent = await call('POST', path, { body: { customerId: customer.body.id, channel: 'sms' } });
    const noPush = await call('POST', path, {
      body: { customerId: customer.body.id, channel: 'push', event: { orderId: 'A' } },
    });
    const noTemplate = await call('POST', '/v1/templates/01KABCDEFGHJKMNPQRSTVWXYZ0/render', {
      body: { customerId: customer.body.id, channel: 'sms' },
    });

    // Assess
    expect(badChannel.status).toBe(400);
    expect(badChannel.body.errors[0].path).toBe('channel');
    expect(noCustomer.status).toBe(422);
    expect(noCustomer.body.errors).toEqual([{ path: 'customerId', message: 'is not a customer' }]);
    expect(missingEvent.status).toBe(422);
    expect(missingEvent.body.errors).toEqual([
      { path: 'event.orderId', message: 'is required by the template' },
    ]);
    expect(noPush.status).toBe(422);
    expect(noPush.body.errors[0].path).toBe('channel');
    expect(noTemplate.status).toBe(404);
  });
});
