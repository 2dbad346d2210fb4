import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { call } from '../support/api.ts';
import { useStackEnv } from '../support/stack-env.ts';
import { waitFor } from '../support/wait.ts';

useStackEnv();
const harness = await import('../support/send-harness.ts');
const { store } = await import('../../shared/store/service.ts');

const content = {
  sms: { body: '{{ customer.name }}，春季促销' },
  email: { subject: 'Spring sale', text: 'Hello {{ customer.name }}' },
};

async function draft(segmentId: string, topic: string, extra: object = {}) {
  return call('POST', '/v1/campaigns', {
    body: {
      name: 'Spring sale',
      topic,
      channels: ['sms', 'email'],
      audience: { include: [segmentId] },
      variants: [
        { id: 'a', content },
        { id: 'b', content },
      ],
      schedule: { kind: 'now' },
      ...extra,
    },
  });
}

describe('campaigns over HTTP', () => {
  it('refuses bad input naming the field, and writes nothing', async () => {
    // Prepare
    const before = await call('GET', '/v1/campaigns?limit=100');

    // Act
    const bad = await call('POST', '/v1/campaigns', {
      body: {
        name: '',
        channels: ['fax'],
        audience: { include: [] },
        variants: [],
        schedule: { kind: 'soon' },
      },
    });
    const unknownSegment = await draft('01K00000000000000000000000', 'promotions');
    const after = await call('GET', '/v1/campaigns?limit=100');

    // Assess
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['name', 'channels[0]', 'audience.include', 'variants', 'schedule.kind']),
    );
    expect(unknownSegment.status).toBe(400);
    expect(unknownSegment.body.errors).toEqual([
      { path: 'audience.include[0]', message: 'names no segment (01K00000000000000000000000)' },
    ]);
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('goes draft -> dry run -> test send -> submit -> approve by another key -> send -> completed, audited', async () => {
    // Prepare
    const tag = randomUUID().slice(0, 8);
    const population = await harness.seedPopulation({ n: 30, smsShare: 0.5, shards: 2, tag });
    // The estimate reads the shard counters: make the audience look large enough to need approval.
    await store()
      .entities.segmentShardCount.put({ segmentId: population.segmentId, shard: 1, count: 5000 })
      .go();
    const approverKey = (
      await call('POST', '/v1/api-keys', {
        body: { name: `approver ${tag}`, scopes: ['read', 'write', 'approve'] },
      })
    ).body.key as string;
    const writerKey = (
      await call('POST', '/v1/api-keys', { body: { name: `writer ${tag}`, scopes: ['write'] } })
    ).body.key as string;
    const testRecipients = population.customers.slice(0, 2).map((c) => c.customerId);

    // Act
    const created = await draft(population.segmentId, population.topic);
    const id = created.body.id as string;
    const path = `/v1/campaigns/${id}`;
    const noIfMatch = await call('PATCH', path, { body: { testRecipients } });
    const stale = await call('PATCH', path, { body: { testRecipients }, headers: { 'if-match': '"7"' } });
    const edited = await call('PATCH', path, { body: { testRecipients }, headers: { 'if-match': '"1"' } });
    const dry = await call('POST', `${path}/dry-run`);
    const testSend = await call('POST', `${path}/test-send`);
    const early = await call('POST', `${path}/approve`, { key: approverKey });
    const submitted = await call('POST', `${path}/submit`);
    const selfApproved = await call('POST', `${path}/approve`);
    const noScope = await call('POST', `${path}/approve`, { key: writerKey });
    const approved = await call('POST', `${path}/approve`, { key: approverKey });
    const scheduled = await call('POST', `${path}/schedule`);
    const done = await waitFor(
      async () => {
        const got = await call('GET', path);
        return got.body.status === 'completed' ? got.body : undefined;
      },
      'the campaign to complete',
      120_000,
    );
    const audit = await call('GET', `${path}/audit`);
    const results = await call('GET', `/v1/results/campaign/${id}`);
    const pauseCompleted = await call('POST', `${path}/pause`);

    // Assess
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect([noIfMatch.status, stale.status, edited.status]).toEqual([428, 412, 200]);
    expect(edited.body.version).toBe(2);
    expect(dry.status).toBe(200);
    expect(dry.body.result).toMatchObject({
      evaluated: 30,
      complete: true,
      byChannel: { sms: 15, email: 15 },
    });
    expect(dry.body.result.steps.at(-1)).toEqual({ step: 'send gate', removed: 0, remaining: 30 });
    expect(testSend.body.result).toMatchObject({ sent: 2 });
    expect(early.status).toBe(409);
    expect(submitted.body).toMatchObject({ status: 'submitted', approvalRequired: true });
    expect([selfApproved.status, noScope.status, approved.status]).toEqual([403, 403, 200]);
    expect(scheduled.status).toBe(200);
    expect(done.run).toMatchObject({ status: 'completed', recipients: 30, messagesDone: done.run.messages });
    expect(done.run.counts['o:sent']).toBe(30);
    expect((done.run.counts['v:a'] ?? 0) + (done.run.counts['v:b'] ?? 0)).toBe(30);
    // Results through shared/results: the 30 of the run, not the 2 of the test send; SMS delivered at send.
    expect(results.body.total.counts).toMatchObject({ targeted: 30, sent: 30, delivered: 15 });
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
      'created',
      'edited',
      'test-send',
      'submit',
      'approve',
      'schedule',
      'started',
      'run_completed',
    ]);
    expect(pauseCompleted.status).toBe(409);
  });

  it('pauses, resumes and cancels a scheduled campaign', async () => {
    // Prepare
    const tag = randomUUID().slice(0, 8);
    const population = await harness.seedPopulation({ n: 3, smsShare: 1, shards: 1, tag });
    const created = await draft(population.segmentId, population.topic, {
      schedule: { kind: 'at', at: '2099-01-01T00:00:00Z' },
    });
    const path = `/v1/campaigns/${created.body.id}`;
    await call('POST', `${path}/submit`);
    await call('POST', `${path}/approve`);
    await call('POST', `${path}/schedule`);

    // Act
    const paused = await call('POST', `${path}/pause`);
    const resumed = await call('POST', `${path}/resume`);
    const staleCancel = await call('POST', `${path}/cancel`, { headers: { 'if-match': '"1"' } });
    const cancelled = await call('POST', `${path}/cancel`, { body: { note: 'wrong date' } });
    const again = await call('POST', `${path}/resume`);

    // Assess
    expect(paused.body.status).toBe('paused');
    expect(resumed.body).toMatchObject({ status: 'scheduled', nextRunAt: '2099-01-01T00:00:00.000Z' });
    expect(staleCancel.status).toBe(412);
    expect(cancelled.body.status).toBe('cancelled');
    expect(again.status).toBe(409);
  });
});
