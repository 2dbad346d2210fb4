import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../infra/local/event-bus.ts';
import type { LambdaHost } from '../../infra/local/lambda.ts';

/** A host with one bus rule that records what it is given; no handler files are loaded. */
function fakeHost(received: unknown[], byRule: Record<string, unknown[]> = {}): LambdaHost {
  return {
    functions: {},
    invoke: async (name, event) => {
      received.push(event);
      byRule[name] = [...(byRule[name] ?? []), event];
    },
    byTrigger: ((kind: string) =>
      kind === 'bus'
        ? [
            { name: 'rule', spec: {}, trigger: { kind: 'bus', detailTypes: ['customer.changed'] } },
            {
              name: 'ses',
              spec: {},
              trigger: { kind: 'bus', source: 'aws.ses', detailTypes: ['Email Bounced'] },
            },
          ]
        : []) as unknown as LambdaHost['byTrigger'],
    missingEntries: () => [],
  };
}

const silent = { info: () => {}, warn: () => {}, error: () => {} };

function put(entries: unknown[]) {
  return JSON.stringify({ Entries: entries });
}

describe('the local event bus', () => {
  it('delivers an event on the app bus to the rule that names its detail type, in the EventBridge shape', async () => {
    // Prepare
    const received: unknown[] = [];
    const bus = createEventBus({ host: fakeHost(received), busName: 'cohort-local', log: silent });

    // Act
    const answer = bus.handle(
      'AWSEvents.PutEvents',
      put([
        {
          EventBusName: 'cohort-local',
          Source: 'cohort',
          DetailType: 'customer.changed',
          Detail: '{"a":1}',
          Time: 1767225600,
        },
        { EventBusName: 'cohort-local', Source: 'cohort', DetailType: 'event.ingested', Detail: '{}' },
      ]),
    );
    await bus.idle();

    // Assess
    expect(answer.body).toMatchObject({
      FailedEntryCount: 0,
      Entries: [{ EventId: expect.any(String) }, { EventId: expect.any(String) }],
    });
    expect(received).toEqual([
      {
        version: '0',
        id: expect.any(String),
        'detail-type': 'customer.changed',
        source: 'cohort',
        account: '000000000000',
        time: '2026-01-01T00:00:00Z',
        region: 'us-east-1',
        resources: [],
        detail: { a: 1 },
      },
    ]);
    expect(bus.events().map((e) => e['detail-type'])).toEqual(['customer.changed', 'event.ingested']);
    expect(bus.events({ detailType: 'event.ingested' })).toHaveLength(1);
  });

  it('fails single entries as AWS does: bad detail, a reserved source, an unknown bus', async () => {
    // Prepare
    const received: unknown[] = [];
    const bus = createEventBus({ host: fakeHost(received), busName: 'cohort-local', log: silent });

    // Act
    const answer = bus.handle(
      'AWSEvents.PutEvents',
      put([
        { Source: 'cohort', DetailType: 'customer.changed', Detail: '[1]' },
        { Source: 'aws.events', DetailType: 'customer.changed', Detail: '{}' },
        { EventBusName: 'elsewhere', Source: 'cohort', DetailType: 'customer.changed', Detail: '{}' },
        { Source: 'cohort', Detail: '{}' },
      ]),
    );
    await bus.idle();

    // Assess
    expect(answer.body).toMatchObject({
      FailedEntryCount: 4,
      Entries: [
        { ErrorCode: 'InvalidArgument' },
        { ErrorCode: 'NotAuthorizedForSourceException' },
        { ErrorCode: 'ResourceNotFoundException' },
        { ErrorCode: 'InvalidArgument' },
      ],
    });
    expect(received).toEqual([]);
  });

  it('refuses other operations and more than 10 entries with an AWS JSON error', () => {
    // Prepare
    const bus = createEventBus({ host: fakeHost([]), busName: 'cohort-local', log: silent });

    // Act
    const other = bus.handle('AWSEvents.ListRules', '{}');
    const tooMany = bus.handle(
      'AWSEvents.PutEvents',
      put(Array.from({ length: 11 }, () => ({ Source: 's', DetailType: 'd', Detail: '{}' }))),
    );

    // Assess
    expect(other).toMatchObject({ statusCode: 400, errorType: 'UnknownOperationException' });
    expect(tooMany).toMatchObject({ statusCode: 400, errorType: 'ValidationException' });
  });

  it('delivers an injected AWS service event to the rule of its source only, and refuses what is not one', async () => {
    // Prepare
    const byRule: Record<string, unknown[]> = {};
    const bus = createEventBus({ host: fakeHost([], byRule), busName: 'cohort-local', log: silent });
    const bounce = { source: 'aws.ses', 'detail-type': 'Email Bounced', detail: { eventType: 'Bounce' } };

    // Act
    const injected = bus.inject(bounce);
    const sameTypeOtherSource = bus.handle(
      'AWSEvents.PutEvents',
      put([{ EventBusName: 'cohort-local', Source: 'cohort', DetailType: 'Email Bounced', Detail: '{}' }]),
    );
    const notAws = bus.inject({ ...bounce, source: 'cohort' });
    const noDetail = bus.inject({ source: 'aws.ses', 'detail-type': 'Email Bounced' });
    await bus.idle();

    // Assess
    expect('event' in injected && injected.event.source).toBe('aws.ses');
    expect(sameTypeOtherSource.body).toMatchObject({ FailedEntryCount: 0 });
    expect(byRule.ses).toEqual([
      expect.objectContaining({ source: 'aws.ses', detail: { eventType: 'Bounce' } }),
    ]);
    expect(byRule.rule).toBeUndefined();
    expect(notAws).toEqual({ error: 'source must be aws.*' });
    expect(noDetail).toEqual({ error: 'detail must be a JSON object' });
  });
});
