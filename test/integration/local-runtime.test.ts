import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PinpointClient, SendMessagesCommand } from '@aws-sdk/client-pinpoint';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayRequestAuthorizerEventV2,
  DynamoDBStreamEvent,
  EventBridgeEvent,
  ScheduledEvent,
  SQSEvent,
} from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { functions } from '../../functions/manifest.ts';
import { localCredentials, localRegion } from '../../infra/local/aws-constants.ts';
import type { Logger } from '../../infra/local/log.ts';
import { type ProvisionedQueue, provisionQueues, provisionTable } from '../../infra/local/provision.ts';
import { type LocalRuntime, startRuntime } from '../../infra/local/runtime.ts';
import { fixtureFunctions, fixtureQueueSpec, heldQueueSpec } from '../support/fixtures/functions.ts';
import { callsOf } from '../support/fixtures/recorder.ts';
import { mostHeldAtOnce } from '../support/fixtures/sqs-handler.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The local runtime against the real engines of the stack the global set-up started, driven by a
 * fixture function table: its own queue and table, so nothing here touches the real functions' data.
 */

const suffix = randomUUID().slice(0, 8);
const queueName = `fixture-${suffix}`;
const heldQueueName = `fixture-held-${suffix}`;
const tableName = `cohort-fixture-${suffix}`;
const clientConfig = { region: localRegion, credentials: localCredentials };

let runtime: LocalRuntime;
let queue: ProvisionedQueue;
let heldQueue: ProvisionedQueue;
let sqs: SQSClient;
let dynamo: DynamoDBClient;
const loggedErrors: string[] = [];
const log: Logger = {
  info: () => {},
  warn: (message) => loggedErrors.push(message),
  error: (message) => loggedErrors.push(message),
};

beforeAll(async () => {
  const env = inject('stackEnv');
  const endpoints = {
    dynamodb: env.DYNAMODB_ENDPOINT ?? '',
    sqs: env.SQS_ENDPOINT ?? '',
    ses: env.SES_ENDPOINT ?? '',
  };
  sqs = new SQSClient({ ...clientConfig, endpoint: endpoints.sqs });
  dynamo = new DynamoDBClient({ ...clientConfig, endpoint: endpoints.dynamodb });
  await provisionTable(endpoints.dynamodb, tableName);
  const queues = await provisionQueues(endpoints.sqs, {
    [queueName]: fixtureQueueSpec,
    [heldQueueName]: heldQueueSpec,
  });
  queue = queues[queueName] as ProvisionedQueue;
  heldQueue = queues[heldQueueName] as ProvisionedQueue;
  runtime = await startRuntime({
    functions: fixtureFunctions(queueName, heldQueueName),
    tableName,
    queues,
    endpoints,
    schedules: false,
    applyEnv: false,
    log,
    streamRetryAttempts: 2,
  });
});

afterAll(async () => {
  await runtime?.stop();
  await dynamo?.send(new DeleteTableCommand({ TableName: tableName }));
  sqs?.destroy();
  dynamo?.destroy();
});

/** waitFor with the condition read as a boolean too: false means not yet. */
function until<T>(
  what: string,
  probe: () => T | false | undefined | Promise<T | false | undefined>,
): Promise<T> {
  return waitFor(async () => {
    const value = await probe();
    return value === false ? undefined : value;
  }, what);
}

function get(path: string, headers: Record<string, string> = {}) {
  return fetch(`${runtime.url}${path}`, { headers });
}

describe('queue poller', () => {
  it('deletes the messages a handler processed and redelivers only the one it reported as failed', async () => {
    // Prepare
    const keepId = `keep-${randomUUID()}`;
    const retryId = `retry-${randomUUID()}`;

    // Act
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: JSON.stringify({ id: keepId }),
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'fixture' } },
      }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: JSON.stringify({ id: retryId, failOnce: true }),
      }),
    );
    const deliveriesOf = (id: string) =>
      callsOf<SQSEvent>('sqs')
        .flatMap((event) => event.Records)
        .filter((record) => record.body.includes(id));
    await until('the failed message to come back once', () => deliveriesOf(retryId).length >= 2);
    await until('the queue to be empty', async () => {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queue.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Attributes?.ApproximateNumberOfMessages === '0' &&
        Attributes.ApproximateNumberOfMessagesNotVisible === '0'
      );
    });

    // Assess
    const kept = deliveriesOf(keepId);
    expect(kept).toHaveLength(1);
    expect(deliveriesOf(retryId).map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(kept[0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      messageAttributes: {
        kind: { stringValue: 'fixture', dataType: 'String', stringListValues: [], binaryListValues: [] },
      },
      attributes: { ApproximateReceiveCount: '1' },
    });
    expect(kept[0]?.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(kept[0]?.receiptHandle).toBeTruthy();
  });

  it('moves a message that keeps failing to the dead-letter queue after maxReceiveCount receives', async () => {
    // Prepare
    const id = `poison-${randomUUID()}`;

    // Act
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify({ id, failAlways: true }) }),
    );
    const deadLettered = await until('the message in the dead-letter queue', async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      return Messages?.find((m) => m.Body?.includes(id));
    });

    // Assess
    expect(deadLettered.Body).toContain(id);
    const receives = callsOf<SQSEvent>('sqs')
      .flatMap((event) => event.Records)
      .filter((record) => record.body.includes(id));
    expect(receives).toHaveLength(fixtureQueueSpec.maxReceiveCount);
  });

  it('runs up to maxConcurrency batches at once and still hands each message over once', async () => {
    // Prepare
    const together = 3;
    const ids = Array.from({ length: together }, () => `held-${randomUUID()}`);
    const deliveriesOf = (id: string) =>
      callsOf<SQSEvent>('sqs')
        .flatMap((event) => event.Records)
        .filter((record) => record.body.includes(id));

    // Act: one message at a time, each sent once the previous one is in the handler, so each is a batch;
    // the handler lets them go only when all three are in it at once
    for (const id of ids) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: heldQueue.url,
          MessageBody: JSON.stringify({ id, hold: together }),
        }),
      );
      await until(`${id} in the handler`, () => deliveriesOf(id).length > 0);
    }
    await until('the queue to be empty', async () => {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: heldQueue.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Attributes?.ApproximateNumberOfMessages === '0' &&
        Attributes.ApproximateNumberOfMessagesNotVisible === '0'
      );
    });

    // Assess
    expect(mostHeldAtOnce()).toBe(together);
    for (const id of ids) expect(deliveriesOf(id), id).toHaveLength(1);
  });
});

describe('stream poller', () => {
  it('hands a new item to the stream handler with its NewImage, in the Lambda record shape', async () => {
    // Prepare
    const pk = `fixture#${randomUUID()}`;

    // Act
    await dynamo.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: pk },
          sk: { S: 'profile' },
          name: { S: '王芳' },
          photo: { B: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    const record = await until('the stream record', () =>
      callsOf<DynamoDBStreamEvent>('stream')
        .flatMap((event) => event.Records)
        .find((r) => r.dynamodb?.Keys?.pk?.S === pk),
    );

    // Assess
    expect(record).toMatchObject({
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        Keys: { pk: { S: pk }, sk: { S: 'profile' } },
        NewImage: { pk: { S: pk }, name: { S: '王芳' }, photo: { B: 'AQID' } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(record.eventSourceARN).toMatch(
      new RegExp(`^arn:aws:dynamodb:us-east-1:\\d{12}:table/${tableName}/stream/`),
    );
    expect(typeof record.dynamodb?.ApproximateCreationDateTime).toBe('number');
    expect(record.dynamodb?.SequenceNumber).toBeTruthy();
  });

  it('retries a record the handler reported as failed, from that record on', async () => {
    // Prepare
    const pk = `fixture#${randomUUID()}`;

    // Act
    await dynamo.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: pk }, sk: { S: 'a' }, failOnce: { BOOL: true } },
      }),
    );
    const deliveries = () =>
      callsOf<DynamoDBStreamEvent>('stream')
        .flatMap((event) => event.Records)
        .filter((r) => r.dynamodb?.Keys?.pk?.S === pk);
    await until('the failed record to be delivered again', () => deliveries().length >= 2);

    // Assess
    const [first, second] = deliveries();
    expect(second?.dynamodb?.SequenceNumber).toBe(first?.dynamodb?.SequenceNumber);
  });

  it('says it has caught up only once the handler has finished with every change written before', async () => {
    // Prepare
    const pks = Array.from({ length: 5 }, () => `fixture#${randomUUID()}`);

    // Act
    for (const pk of pks) {
      await dynamo.send(
        new PutItemCommand({ TableName: tableName, Item: { pk: { S: pk }, sk: { S: 'c' } } }),
      );
    }
    const written = Date.now();
    const caughtUp = await until('the stream consumer to catch up', async () => {
      const { streams } = (await (await get('/_local/streams')).json()) as {
        streams: { functionName: string; caughtUpAt: string | null }[];
      };
      const at = streams.find((s) => s.functionName === 'streamFixture')?.caughtUpAt;
      return at && Date.parse(at) > written ? at : false;
    });

    // Assess: at that moment every record had been handed over.
    const delivered = new Set(
      callsOf<DynamoDBStreamEvent>('stream')
        .flatMap((event) => event.Records)
        .map((r) => r.dynamodb?.Keys?.pk?.S),
    );
    expect(pks.filter((pk) => !delivered.has(pk))).toEqual([]);
    expect(Date.parse(caughtUp)).toBeLessThanOrEqual(Date.now());
  });
});

describe('API Gateway', () => {
  it('builds a payload 2.0 event: decoded path parameters, query string, lower-case headers, authorizer context', async () => {
    // Prepare
    const path = '/fixture/items/a%20b%2Fc?tag=x&tag=y&name=%E7%8E%8B%E8%8A%B3';

    // Act
    const response = await get(path, {
      Authorization: 'Bearer allow-ada',
      'X-Custom-Header': 'Hello',
      Cookie: 'c1=1; c2=2',
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('x-fixture')).toBe('echo');
    expect(response.headers.getSetCookie()).toEqual(['first=1; Path=/', 'second=2; Path=/']);
    const event = (await response.json()) as APIGatewayProxyEventV2WithLambdaAuthorizer<{
      principal: string;
    }>;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /fixture/items/{itemId}',
      rawPath: '/fixture/items/a%20b%2Fc',
      rawQueryString: 'tag=x&tag=y&name=%E7%8E%8B%E8%8A%B3',
      cookies: ['c1=1', 'c2=2'],
      pathParameters: { itemId: 'a b/c' },
      queryStringParameters: { tag: 'x,y', name: '王芳' },
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        stage: '$default',
        routeKey: 'GET /fixture/items/{itemId}',
        http: {
          method: 'GET',
          path: '/fixture/items/a%20b%2Fc',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
        },
        authorizer: { lambda: { principal: 'ada', scopes: 'read' } },
      },
    });
    expect(event.headers['x-custom-header']).toBe('Hello');
    expect(event.headers.authorization).toBe('Bearer allow-ada');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.requestContext.requestId).toBeTruthy();
    expect(event.requestContext.timeEpoch).toBeGreaterThan(0);
    expect(event.body).toBeUndefined();
  });

  it('gives the authorizer a REQUEST event and caches its answer per Authorization value', async () => {
    // Prepare
    const token = `Bearer allow-${randomUUID()}`;
    const authorizerCalls = () =>
      callsOf<APIGatewayRequestAuthorizerEventV2>('authorizer').filter((e) => e.identitySource[0] === token);

    // Act
    const first = await get('/fixture/items/1', { Authorization: token });
    const second = await get('/fixture/items/2', { Authorization: token });

    // Assess
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(authorizerCalls()).toHaveLength(1);
    expect(authorizerCalls()[0]).toMatchObject({
      version: '2.0',
      type: 'REQUEST',
      identitySource: [token],
      routeKey: 'GET /fixture/items/{itemId}',
      routeArn: expect.stringMatching(
        /^arn:aws:execute-api:us-east-1:\d{12}:\w+\/\$default\/GET\/fixture\/items\/\{itemId\}$/,
      ),
      pathParameters: { itemId: '1' },
    });
  });

  it('answers 401 without calling the authorizer when the Authorization header is missing', async () => {
    // Prepare
    const callsBefore = callsOf('authorizer').length;

    // Act
    const response = await get('/fixture/items/1');

    // Assess
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    expect(callsOf('authorizer')).toHaveLength(callsBefore);
  });

  it('answers 403 when the authorizer denies', async () => {
    // Act
    const response = await get('/fixture/items/1', { Authorization: `Bearer deny-${randomUUID()}` });

    // Assess
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Forbidden' });
  });

  it('answers 404 for an unknown path and for a known path with another method', async () => {
    // Act
    const unknown = await get('/fixture/nothing-here');
    const wrongMethod = await fetch(`${runtime.url}/fixture/plain`, { method: 'DELETE' });

    // Assess
    expect([unknown.status, wrongMethod.status]).toEqual([404, 404]);
    expect(await unknown.json()).toEqual({ message: 'Not Found' });
  });

  it('passes a JSON body as text and a binary body as base64', async () => {
    // Act
    const json = await fetch(`${runtime.url}/fixture/items/9`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '李伟' }),
    });
    const binary = await fetch(`${runtime.url}/fixture/items/9`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0, 255, 1]),
    });

    // Assess
    expect(await json.json()).toMatchObject({ body: '{"name":"李伟"}', isBase64Encoded: false });
    expect(await binary.json()).toMatchObject({ body: 'AP8B', isBase64Encoded: true });
  });

  it('maps a bare string result to 200 JSON and a thrown error to a plain 500', async () => {
    // Act
    const plain = await get('/fixture/plain');
    const failing = await get('/fixture/failing');

    // Assess
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await plain.json()).toEqual({ plain: true });
    expect(failing.status).toBe(500);
    expect(await failing.json()).toEqual({ message: 'Internal Server Error' });
    expect(loggedErrors.some((line) => line.includes('httpFailing'))).toBe(true);
  });

  it('answers 413 above API Gateway’s 10 MB payload limit', async () => {
    // Act
    const response = await fetch(`${runtime.url}/fixture/items/big`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(10 * 1024 * 1024 + 1),
    });

    // Assess
    expect(response.status).toBe(413);
  });
});

describe('event bus', () => {
  it('records PutEvents from the real EventBridgeClient and delivers them to the matching rule', async () => {
    // Prepare
    const client = new EventBridgeClient({ ...clientConfig, endpoint: runtime.endpoints.eventbridge });
    const marker = randomUUID();

    // Act
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: runtime.env.EVENT_BUS_NAME,
            Source: 'cohort',
            DetailType: 'customer.changed',
            Detail: JSON.stringify({ marker }),
          },
          {
            EventBusName: runtime.env.EVENT_BUS_NAME,
            Source: 'cohort',
            DetailType: 'customer.changed',
            Detail: 'not json',
          },
        ],
      }),
    );
    const delivered = await until('the bus fixture to receive the event', () =>
      callsOf<EventBridgeEvent<string, { marker?: string }>>('bus').find((e) => e.detail.marker === marker),
    );
    const recorded = (await (await get('/_local/bus?detailType=customer.changed')).json()) as {
      events: { id: string; detail: { marker?: string } }[];
    };
    client.destroy();

    // Assess
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[0]?.EventId).toBeTruthy();
    expect(result.Entries?.[1]).toMatchObject({ ErrorCode: 'InvalidArgument' });
    expect(delivered).toMatchObject({
      version: '0',
      id: result.Entries?.[0]?.EventId,
      'detail-type': 'customer.changed',
      source: 'cohort',
      region: 'us-east-1',
      resources: [],
      detail: { marker },
    });
    expect(delivered.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(recorded.events.filter((e) => e.detail.marker === marker).map((e) => e.id)).toEqual([
      delivered.id,
    ]);
  });

  it('rejects more than 10 entries as AWS does', async () => {
    // Prepare
    const client = new EventBridgeClient({ ...clientConfig, endpoint: runtime.endpoints.eventbridge });
    const entries = Array.from({ length: 11 }, () => ({
      Source: 'cohort.test',
      DetailType: 'x',
      Detail: '{}',
    }));

    // Act
    const failure = await client
      .send(new PutEventsCommand({ Entries: entries }))
      .catch((error: Error) => error);
    client.destroy();

    // Assess
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe('ValidationException');
  });
});

describe('Pinpoint recorder', () => {
  it('records SendMessages from the real PinpointClient and answers with a MessageResponse', async () => {
    // Prepare
    const client = new PinpointClient({ ...clientConfig, endpoint: runtime.endpoints.pinpoint });
    const phone = `+86138${String(Date.now()).slice(-8)}`;

    // Act
    const { MessageResponse } = await client.send(
      new SendMessagesCommand({
        ApplicationId: runtime.env.PINPOINT_APP_ID,
        MessageRequest: {
          Addresses: { [phone]: { ChannelType: 'SMS' } },
          MessageConfiguration: { SMSMessage: { Body: '您的验证码是 123456', MessageType: 'TRANSACTIONAL' } },
        },
      }),
    );
    const { messages } = (await (await get('/_local/messages')).json()) as {
      messages: { address: string; channelType: string; message: { Body: string }; messageId: string }[];
    };
    client.destroy();

    // Assess
    expect(MessageResponse?.ApplicationId).toBe(runtime.env.PINPOINT_APP_ID);
    expect(MessageResponse?.Result?.[phone]).toMatchObject({ DeliveryStatus: 'SUCCESSFUL', StatusCode: 200 });
    const recorded = messages.find((m) => m.address === phone);
    expect(recorded).toMatchObject({ channelType: 'SMS', message: { Body: '您的验证码是 123456' } });
    expect(recorded?.messageId).toBe(MessageResponse?.Result?.[phone]?.MessageId);
  });
});

describe('scheduler', () => {
  it('fires a scheduled function on POST /_local/schedules/<name> with a Scheduled Event', async () => {
    // Act
    const response = await fetch(`${runtime.url}/_local/schedules/scheduleFixture`, { method: 'POST' });
    const body = (await response.json()) as { event: ScheduledEvent };

    // Assess
    expect(response.status).toBe(200);
    const received = callsOf<ScheduledEvent>('schedule').find((e) => e.id === body.event.id);
    expect(received).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      region: 'us-east-1',
      detail: {},
    });
    expect(received?.resources[0]).toMatch(/^arn:aws:events:us-east-1:\d{12}:rule\//);
  });

  it('answers 404 for a function without a schedule', async () => {
    // Act
    const response = await fetch(`${runtime.url}/_local/schedules/httpPlain`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(404);
  });
});

describe('the stack started by the global set-up', () => {
  it('is healthy and knows every function of the manifest', async () => {
    // Act
    const response = await fetch(`${inject('apiUrl')}/_local/health`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', functions: Object.keys(functions).length });
  });
});
