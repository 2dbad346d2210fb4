import { randomUUID } from 'node:crypto';
import { ulid } from 'ulid';
import { describe, expect, inject, it } from 'vitest';
import { call } from '../support/api.ts';
import { sesEvent, sesMessage } from '../support/ses-events.ts';
import { useStackEnv } from '../support/stack-env.ts';
import { waitFor } from '../support/wait.ts';

useStackEnv();
const { unsubscribeUrl } = await import('../../shared/consent/links.ts');

const unique = () => randomUUID().slice(0, 8);

async function postToBus(events: unknown[]) {
  const response = await fetch(`${inject('apiUrl')}/_local/bus/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  return response.status;
}

describe('results over HTTP', () => {
  it('counts SES events and a one-click unsubscribe against the campaign, per variant, with rates', async () => {
    // Prepare
    const campaignId = ulid();
    const created = await call('POST', '/v1/customers', { body: { email: `res-${unique()}@example.com` } });
    const customerId = created.body.id as string;
    await call('PUT', `/v1/customers/${customerId}/consents`, {
      body: { consents: [{ channel: 'email', status: 'opted_in' }] },
    });
    const a = sesMessage({ address: created.body.email, customerId, campaignId, variant: 'A', tier: 'A' });
    const b = sesMessage({
      address: `b-${unique()}@example.com`,
      customerId: ulid(),
      campaignId,
      variant: 'B',
    });
    const url = await unsubscribeUrl(customerId, 'email', '*', `campaign:${campaignId}`);

    // Act
    const posted = await postToBus([
      sesEvent('delivery', a),
      sesEvent('open', a),
      sesEvent('click', a),
      sesEvent('delivery', b),
      sesEvent('delivery', b),
    ]);
    const unsubscribe = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
    const first = await unsubscribe();
    const second = await unsubscribe();
    const results = await waitFor(async () => {
      const answer = await call('GET', `/v1/results/campaign/${campaignId}`);
      return answer.body?.total?.counts?.clicked === 1 && answer.body.total.counts.delivered === 2
        ? answer
        : undefined;
    }, 'the results to count the events');

    // Assess
    expect(posted).toBe(202);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(results.status).toBe(200);
    expect(results.body.total.counts).toEqual({
      sent: 2,
      delivered: 2,
      opened: 1,
      clicked: 1,
      unsubscribed: 1,
    });
    expect(results.body.total.rates).toMatchObject({ deliveryRate: 1, openRate: 0.5, clickRate: 0.5 });
    expect(results.body.variants.map((v: { variant: string }) => v.variant)).toEqual(['A', 'B']);
    expect(results.body.rows).toContainEqual(
      expect.objectContaining({ variant: 'A', tier: 'A', channel: 'email', run: '-' }),
    );
    expect(results.body.significance.map((s: { metric: string }) => s.metric)).toEqual(['opened', 'clicked']);
  });

  it('answers bad input with 400 naming the field, an unknown source with 404, no key with 401', async () => {
    // Act
    const badKind = await call('GET', '/v1/results/newsletter/01KAB');
    const badId = await call('GET', `/v1/results/campaign/${encodeURIComponent('a#b')}`);
    const badQuery = await call('GET', '/v1/results/campaign/01KAB?run=a%20b&x=1');
    const unknown = await call('GET', `/v1/results/campaign/${ulid()}`);
    const anonymous = await call('GET', `/v1/results/campaign/${ulid()}`, { key: null });

    // Assess
    expect(badKind.status).toBe(400);
    expect(badKind.headers.get('content-type')).toBe('application/problem+json');
    expect(badKind.body.errors).toEqual([
      { path: 'path.kind', message: 'must be one of campaign, automation, transactional' },
    ]);
    expect(badId.status).toBe(400);
    expect(badId.body.errors.map((e: { path: string }) => e.path)).toEqual(['path.sourceId']);
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'query.run',
      'query.x',
    ]);
    expect(unknown.status).toBe(404);
    expect(anonymous.status).toBe(401);
  });
});
