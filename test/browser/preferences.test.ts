import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/api.ts';
import { chromiumArgs, chromiumPath } from '../support/chromium.ts';
import { useStackEnv } from '../support/stack-env.ts';

/**
 * The preference page and the unsubscribe page in a real browser (Debian's Chromium, headless, driven
 * by playwright-core) against the shared local stack: languages, editing and saving, field errors,
 * a tampered link, accessibility (axe-core) and one-click unsubscribe.
 */
useStackEnv();
const { preferenceUrl, unsubscribeUrl } = await import('../../shared/consent/links.ts');
const { mayContact } = await import('../../shared/consent/gate.ts');

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const unique = () => randomUUID().slice(0, 8);
// Generous: the first page of a run also loads the functions' modules.
const WAIT = { timeout: 30_000 };

let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs, headless: true });
  // The pages forbid scripts by CSP; axe-core is injected by the test, so the context bypasses it.
  context = await browser.newContext({ bypassCSP: true, locale: 'en-US' });
  context.setDefaultTimeout(WAIT.timeout);
  context.setDefaultNavigationTimeout(WAIT.timeout);
  const declared = await call('PUT', '/v1/topics/newsletter', {
    body: { name: { en: 'Newsletter', zh: '新闻简报' }, channels: ['email', 'sms'] },
  });
  expect([200, 201]).toContain(declared.status);
}, 900_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
});

interface AxeResult {
  violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[];
}

/** Serious and critical accessibility violations on the page, as axe-core reports them. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axeSource });
  const result = await page.evaluate(() =>
    (globalThis as unknown as { axe: { run: () => Promise<AxeResult> } }).axe.run(),
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function newCustomer() {
  const created = await call('POST', '/v1/customers', {
    body: { email: `browser-${unique()}@example.com`, name: '王芳 <b>', locale: 'zh-CN' },
  });
  expect(created.status).toBe(201);
  const consent = await call('PUT', `/v1/customers/${created.body.id}/consents`, {
    body: { consents: [{ channel: 'email', status: 'opted_in' }] },
  });
  expect(consent.status).toBe(200);
  return created.body as { id: string; email: string };
}

describe('the preference page in Chromium', () => {
  it('renders in Chinese and English, saves consents, frequency and a new email, and is accessible', async () => {
    // Prepare
    const c = await newCustomer();
    const page = await context.newPage();
    const newEmail = `moved-${unique()}@example.com`;

    // Act: the customer's locale picks Chinese
    const opened = await page.goto(await preferenceUrl(c.id));
    const zhLang = await page.getAttribute('html', 'lang');
    const zhHeading = await page.textContent('h1');
    const zhName = await page.inputValue('#name');
    const zhViolations = await seriousViolations(page);
    // Act: the language switch
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForSelector('html[lang="en"]', WAIT);
    const enHeading = await page.textContent('h1');
    const enViolations = await seriousViolations(page);
    // Act: edit and save. The email channel is on, so its topics show ticked until unticked.
    const topicShownOn = await page.isChecked('#topic-newsletter-email');
    await page.getByLabel('Email', { exact: true }).first().fill(newEmail);
    await page.locator('#topic-newsletter-email').uncheck();
    await page.getByLabel('Text messages (SMS)').first().check();
    await page.getByLabel('At most once a week').check();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.waitForSelector('[role="status"]', WAIT);
    const notice = await page.textContent('[role="status"]');
    const savedEmail = await page.inputValue('#email');
    const topicChecked = await page.isChecked('#topic-newsletter-email');
    const smsChecked = await page.isChecked('#channel-sms');

    // Assess: the page
    expect(opened?.status()).toBe(200);
    expect(zhLang).toBe('zh-CN');
    expect(zhHeading).toBe('您的消息偏好');
    expect(zhName).toBe('王芳 <b>');
    expect(zhViolations).toEqual([]);
    expect(enHeading).toBe('Your communication preferences');
    expect(enViolations).toEqual([]);
    expect(topicShownOn).toBe(true);
    expect(notice).toContain('Your preferences are saved.');
    expect(savedEmail).toBe(newEmail);
    expect(topicChecked).toBe(false);
    expect(smsChecked).toBe(true);
    // Assess: the change, seen through the API and the gate
    const customer = await call('GET', `/v1/customers/${c.id}`);
    expect(customer.body).toMatchObject({ email: newEmail, locale: 'zh-CN' });
    const consents = await call('GET', `/v1/customers/${c.id}/consents`);
    expect(consents.body.frequency).toBe('weekly');
    expect(consents.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          channel: 'email',
          topic: 'newsletter',
          status: 'opted_out',
          source: 'preference_page',
        }),
        expect.objectContaining({
          channel: 'sms',
          topic: '*',
          status: 'opted_in',
          source: 'preference_page',
        }),
      ]),
    );
    const audit = await call('GET', `/v1/customers/${c.id}/audit`);
    expect(audit.body.items[0]).toMatchObject({
      actor: { name: 'preference page' },
      fields: expect.arrayContaining(['email']),
    });
    expect(await mayContact({ customerId: c.id, channel: 'email', topic: 'newsletter' })).toMatchObject({
      allowed: false,
      reason: 'opted_out',
    });
    expect(await mayContact({ customerId: c.id, channel: 'email' })).toMatchObject({
      allowed: true,
      address: newEmail,
    });
    await page.close();
  });

  it('shows field errors tied to their inputs, without saving', async () => {
    // Prepare
    const c = await newCustomer();
    const page = await context.newPage();
    await page.goto(`${await preferenceUrl(c.id)}?lang=en`);

    // Act
    await page.fill('#email', 'not-an-email');
    await page.fill('#phone', '12');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.waitForSelector('#email-error', WAIT);
    const invalid = await page.getAttribute('#email', 'aria-invalid');
    const describedBy = await page.getAttribute('#email', 'aria-describedby');
    const phoneDescribedBy = await page.getAttribute('#phone', 'aria-describedby');
    const violations = await seriousViolations(page);
    const stored = await call('GET', `/v1/customers/${c.id}`);

    // Assess
    expect(invalid).toBe('true');
    expect(describedBy).toContain('email-error');
    expect(phoneDescribedBy).toContain('phone-error');
    expect(await page.textContent('#email-error')).toContain('name@example.com');
    expect(violations).toEqual([]);
    expect(stored.body.email).toBe(c.email);
    await page.close();
  });

  it('a tampered link shows the error page', async () => {
    // Prepare
    const c = await newCustomer();
    const url = await preferenceUrl(c.id);
    const page = await context.newPage();

    // Act
    const token = url.slice(url.lastIndexOf('/') + 1);
    const [body = '', signature = ''] = token.split('.');
    const tampered = `${body}.${signature[0] === 'x' ? 'y' : 'x'}${signature.slice(1)}`;
    const answer = await page.goto(url.replace(token, tampered));
    const heading = await page.textContent('h1');
    const violations = await seriousViolations(page);

    // Assess
    expect(answer?.status()).toBe(400);
    expect(heading).toBe('This link does not work');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('unsubscribes with the button of the unsubscribe page, and the gate says opted_out', async () => {
    // Prepare
    const c = await newCustomer();
    const page = await context.newPage();
    const before = await mayContact({ customerId: c.id, channel: 'email', topic: 'newsletter' });

    // Act
    await page.goto(await unsubscribeUrl(c.id, 'email', 'newsletter'));
    const question = await page.textContent('main p');
    const violations = await seriousViolations(page);
    await page.getByRole('button').click();
    await page.waitForSelector('[role="status"]', WAIT);
    const after = await mayContact({ customerId: c.id, channel: 'email', topic: 'newsletter' });

    // Assess
    expect(before).toMatchObject({ allowed: true });
    expect(question).toContain('新闻简报');
    expect(violations).toEqual([]);
    expect(await page.textContent('[role="status"]')).toContain('您已退订');
    expect(after).toMatchObject({ allowed: false, reason: 'opted_out' });
    await page.close();
  });
});
