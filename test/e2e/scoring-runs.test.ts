import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { call } from '../support/api.ts';
import { waitFor } from '../support/wait.ts';

const unique = () => randomUUID().slice(0, 8);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
const today = new Date().toISOString().slice(0, 10);

async function busEvents(detailType: string): Promise<{ detail: Record<string, unknown> }[]> {
  const answer = await fetch(`${inject('apiUrl')}/_local/bus?detailType=${detailType}&limit=10000`);
  return ((await answer.json()) as { events: { detail: Record<string, unknown> }[] }).events;
}

describe('rescoring runs over HTTP', () => {
  it('scores a base of customers: RFM, tiers, lifecycle, CLV and churn, with reports and bus events', async () => {
    // Prepare: 50 customers, from a heavy recent buyer to a one-off buyer of a year and a half ago.
    const tag = unique();
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const created = await call('POST', '/v1/customers', { body: { email: `run-${tag}-${i}@example.com` } });
      ids.push(created.body.id);
      const orders = Array.from({ length: 1 + (i % 6) }, (_, j) => ({
        id: `run-${tag}-${i}-${j}`,
        customer: { id: created.body.id },
        occurredAt: daysAgo(2 + ((i * 11) % 500) + j * 20),
        amount: 20 + ((i * 37) % 400),
        currency: 'CNY',
      }));
      expect((await call('POST', '/v1/orders', { body: { orders } })).status).toBe(200);
    }
    await waitFor(async () => {
      const last = await call('GET', `/v1/customers/${ids[49]}`);
      return last.body.computed?.orders === 2 ? true : undefined;
    }, 'the aggregates of the base');
    // Act
    const started = await call('POST', '/v1/scoring/runs');
    const run = await waitFor(
      async () => {
        const answer = await call('GET', `/v1/scoring/runs/${started.body.id}`);
        if (answer.body.status === 'failed') throw new Error(answer.body.error);
        return answer.body.status === 'completed' ? answer.body : undefined;
      },
      'the rescoring run to complete',
      120_000,
    );
    const profiles = await Promise.all(ids.map((id) => call('GET', `/v1/customers/${id}`)));
    const rfm = await call('GET', '/v1/reports/distribution?of=rfmGroup');
    const lifecycle = await call('GET', '/v1/reports/distribution?of=lifecycle');
    const series = await call('GET', `/v1/reports/timeseries?of=tier&from=${today}&to=${today}`);
    const clusters = await call('GET', '/v1/reports/clusters?k=3');
    const badReport = await call('GET', '/v1/reports/distribution?of=shoeSize');
    const badRange = await call('GET', '/v1/reports/timeseries?of=tier&from=2026-02-01&to=2026-01-01');
    const tierEvents = (await busEvents('customer.tier_changed')).filter((e) => e.detail.runId === run.id);
    const stageEvents = (await busEvents('customer.lifecycle_changed')).filter(
      (e) => e.detail.runId === run.id,
    );
    const again = await call('POST', '/v1/scoring/runs');
    // Assess
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`/v1/scoring/runs/${started.body.id}`);
    expect(run.progress.customersScored).toBeGreaterThanOrEqual(50);
    expect(run.customersChanged).toBeGreaterThanOrEqual(50);
    expect(run.model.bgnbd.r).toBeGreaterThan(0);
    for (const p of profiles) {
      const scores = p.body.computed.scores;
      expect(scores.rfm.recency).toBeGreaterThanOrEqual(1);
      expect(scores.rfm.recency).toBeLessThanOrEqual(5);
      expect(['A', 'B', 'C']).toContain(scores.abc);
      expect(Number.isFinite(scores.clv.predicted)).toBe(true);
      expect(scores.churn.score).toBeGreaterThanOrEqual(0);
      // The projection onto the profile the list filters by, without a version bump.
      expect(p.body.tier).toBe(scores.valueTier);
      expect(p.body.lifecycleStage).toBe(scores.lifecycle.stage);
      expect(p.body.version).toBe(1);
    }
    const stages = new Set(profiles.map((p) => p.body.lifecycleStage));
    expect(stages.has('lapsed') || stages.has('at_risk')).toBe(true);
    expect(stages.has('new') || stages.has('active') || stages.has('loyal')).toBe(true);
    expect(rfm.body.day).toBe(today);
    expect(rfm.body.total).toBeGreaterThanOrEqual(50);
    expect(Object.values(lifecycle.body.counts).reduce((a: number, b) => a + Number(b), 0)).toBe(
      lifecycle.body.total,
    );
    expect(series.body.items).toHaveLength(1);
    expect(series.body.items[0].counts.A).toBeGreaterThan(0);
    expect(clusters.status).toBe(200);
    expect(clusters.body.k).toBe(3);
    expect(clusters.body.clusters.reduce((a: number, c: { size: number }) => a + c.size, 0)).toBe(
      clusters.body.sampled,
    );
    const ours = new Set(ids);
    expect(tierEvents.filter((e) => ours.has(String(e.detail.customerId))).length).toBeGreaterThanOrEqual(
      100,
    );
    expect(stageEvents.filter((e) => ours.has(String(e.detail.customerId)))).toHaveLength(50);
    expect(badReport.status).toBe(400);
    expect(badReport.body.errors[0].path).toBe('query.of');
    expect(badRange.status).toBe(400);
    expect(badRange.body.errors[0].path).toBe('query.from');
    expect(again.status).toBe(202);
    // A second run over unchanged data writes no customer's scores again.
    const second = await waitFor(
      async () => {
        const answer = await call('GET', `/v1/scoring/runs/${again.body.id}`);
        return answer.body.status === 'completed' ? answer.body : undefined;
      },
      'the second run to complete',
      120_000,
    );
    const rescored = await Promise.all(ids.map((id) => call('GET', `/v1/customers/${id}`)));
    expect(second.progress.customersScored).toBeGreaterThanOrEqual(50);
    expect(rescored.map((p) => p.body.computed.scores.runId)).toEqual(ids.map(() => run.id));
  }, 240_000);
});
