import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  envNames,
  type FunctionSpec,
  functions,
  queueConcurrency,
  queues,
} from '../../functions/manifest.ts';
import { buildApp, type CohortStack } from '../../infra/stack.ts';
import { stages } from '../../infra/stages.ts';
import { tableDefinition } from '../../shared/store/table.ts';
import {
  allowedActions,
  type CfnResource,
  flattenedTemplate,
  functionLogicalId,
  logicalId,
  property,
  removeAssembly,
  resourceById,
  resourcesOfType,
} from './support.ts';

/**
 * The dev stack exactly as `npx cdk synth -c stage=dev` builds it, bundling included, synthesized once and
 * read as one template with its nested stacks merged in (support.ts `flattenedTemplate`). Synthesis itself
 * fails on any unacknowledged cdk-nag finding, so every test here also implies that.
 */
const settings = stages.dev;
const specs = Object.entries(functions) as [string, FunctionSpec][];
const writeActions = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

let app: App;
let stack: CohortStack;
let template: Template;
let assemblyDirectory: string;

beforeAll(() => {
  ({ app, stack } = buildApp({ stage: 'dev' }));
  const assembly = app.synth();
  assemblyDirectory = assembly.directory;
  template = Template.fromJSON(flattenedTemplate(assembly.directory, stack));
});

afterAll(() => {
  if (app) removeAssembly(app);
});

function triggerOf(name: keyof typeof functions) {
  return (functions[name] as FunctionSpec).trigger;
}

function workQueueId(name: string): string {
  return logicalId(
    stack,
    stack.node.findChild('Queues').node.findChild(name).node.findChild('Queue').node.defaultChild,
  );
}

function alarmsOnQueue(queueId: string): CfnResource[] {
  return resourcesOfType(template, 'AWS::CloudWatch::Alarm')
    .map(([, alarm]) => alarm)
    .filter((alarm) => {
      const dimensions = (alarm.Properties?.Dimensions ?? []) as { Name: string; Value: unknown }[];
      return (
        alarm.Properties?.MetricName === 'ApproximateNumberOfMessagesVisible' &&
        dimensions.some((d) => d.Name === 'QueueName' && JSON.stringify(d.Value).includes(`"${queueId}"`))
      );
    });
}

describe('table', () => {
  it('is on demand, recoverable, streamed, expiring and encrypted, with the GSIs of the table definition', () => {
    // Prepare
    const indexes = tableDefinition.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    }));

    // Act
    const tables = template.findResources('AWS::DynamoDB::Table');

    // Assess
    expect(Object.keys(tables)).toHaveLength(1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'cohort-dev',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
        { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: indexes,
    });
  });

  it('is deleted with the dev stack, which keeps no data', () => {
    // Act
    const [[, table] = ['', undefined]] = resourcesOfType(template, 'AWS::DynamoDB::Table');

    // Assess
    expect(table?.DeletionPolicy).toBe('Delete');
    expect(table?.Properties?.DeletionProtectionEnabled).toBe(false);
  });
});

describe('functions', () => {
  it('builds exactly one Node.js 24 arm64 function per manifest entry', () => {
    // Act
    const lambdas = resourcesOfType(template, 'AWS::Lambda::Function');

    // Assess
    expect(lambdas).toHaveLength(specs.length);
    for (const [, fn] of lambdas) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
      });
    }
  });

  it('takes memory and timeout from the manifest or the stage default, and logs to a log group with the stage retention', () => {
    for (const [name, spec] of specs) {
      // Act
      const fn = resourceById(template, functionLogicalId(stack, name));
      const logGroupId = property<{ LogGroup: { Ref: string } }>(fn, 'LoggingConfig').LogGroup.Ref;

      // Assess
      expect(property(fn, 'MemorySize'), name).toBe(spec.memoryMb ?? settings.defaultMemoryMb);
      expect(property(fn, 'Timeout'), name).toBe(spec.timeoutSeconds ?? 10);
      expect(property(resourceById(template, logGroupId), 'RetentionInDays'), name).toBe(
        settings.logRetentionDays,
      );
    }
  });

  it('gives every function the stage environment and only the resource variables it declares', () => {
    for (const [name, spec] of specs) {
      // Act
      const fn = resourceById(template, functionLogicalId(stack, name));
      const variables = property<{ Variables: Record<string, unknown> }>(fn, 'Environment').Variables;

      // Assess
      expect(variables, name).toMatchObject({
        STAGE: 'dev',
        DEFAULT_PHONE_REGION: settings.defaultPhoneRegion,
        EVENT_RETENTION_DAYS: String(settings.eventRetentionDays),
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(envNames.table in variables, `${name} ${envNames.table}`).toBe(
        spec.resources.table !== undefined,
      );
      expect(envNames.bus in variables, `${name} ${envNames.bus}`).toBe(spec.resources.bus !== undefined);
      for (const queue of Object.keys(queues) as (keyof typeof queues)[]) {
        expect(envNames.queueUrl(queue) in variables, `${name} ${queue}`).toBe(
          spec.resources.queues?.[queue] !== undefined,
        );
      }
    }
  });

  /** Where the synthesized assembly keeps a function's bundle. */
  function assetDirectoryOf(name: string): string {
    const fn = resourceById(template, functionLogicalId(stack, name));
    const s3Key = property<{ S3Key: string }>(fn, 'Code').S3Key;
    return join(assemblyDirectory, `asset.${s3Key.replace(/\.zip$/, '')}`);
  }

  it('bundles each function as ESM with a require shim and a source map', () => {
    // Prepare
    const assetDirectory = assetDirectoryOf('openapi');

    // Act
    const code = readFileSync(join(assetDirectory, 'index.mjs'), 'utf8');

    // Assess
    expect(code.startsWith("import { createRequire as __cohortCreateRequire } from 'node:module';")).toBe(
      true,
    );
    expect(existsSync(join(assetDirectory, 'index.mjs.map'))).toBe(true);
  });

  it('lowers arrow functions to function expressions, which V8 compiles in one pass where they are called', () => {
    // Prepare
    const assetDirectory = assetDirectoryOf('customersGet');

    // Act
    const code = readFileSync(join(assetDirectory, 'index.mjs'), 'utf8');

    // Assess: the unlowered bundle has hundreds (ElectroDB's module wrappers, zod, the schema builders).
    expect(code.match(/=>/g) ?? []).toEqual([]);
    expect(code).toMatch(/=\w+\(function\(\w+,\w+\)\{/);
  });

  it('leaves the AWS SDK to the Lambda runtime: imported by the bundle, not part of it', () => {
    // Prepare
    const assetDirectory = assetDirectoryOf('customersGet');

    // Act
    const code = readFileSync(join(assetDirectory, 'index.mjs'), 'utf8');
    const { sources } = JSON.parse(readFileSync(join(assetDirectory, 'index.mjs.map'), 'utf8')) as {
      sources: string[];
    };

    // Assess
    expect(code).toMatch(/from\s*"@aws-sdk\/lib-dynamodb"/);
    expect(sources.filter((source) => source.includes('node_modules/@aws-sdk/'))).toEqual([]);
    expect(sources.some((source) => source.includes('shared/platform/aws.ts'))).toBe(true);
  });
  it('bundles without ElectroDB model validation (jsonschema), and the bundle loads and answers', () => {
    // Prepare: the bundle imports the SDK, which Lambda provides; here it resolves through a link.
    const assetDirectory = assetDirectoryOf('customersGet');
    const { sources } = JSON.parse(readFileSync(join(assetDirectory, 'index.mjs.map'), 'utf8')) as {
      sources: string[];
    };
    if (!existsSync(join(assetDirectory, 'node_modules'))) {
      symlinkSync(join(process.cwd(), 'node_modules'), join(assetDirectory, 'node_modules'), 'dir');
    }

    // Act: import it as Lambda would at a cold start, then invoke it with an id the route refuses before
    // any AWS call, which runs the minified, lowered middleware, validation and error mapping.
    const event = {
      version: '2.0',
      routeKey: 'GET /v1/customers/{customerId}',
      rawPath: '/v1/customers/not-an-id',
      headers: {},
      isBase64Encoded: false,
      pathParameters: { customerId: 'not-an-id' },
      requestContext: {
        requestId: 'r1',
        http: { method: 'GET', path: '/v1/customers/not-an-id' },
        authorizer: { lambda: { authenticated: 'true', keyId: 'k1', keyName: 'test', scopes: 'read' } },
      },
    };
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        [
          `const m = await import(${JSON.stringify(join(assetDirectory, 'index.mjs'))});`,
          `const context = { awsRequestId: 'r1', getRemainingTimeInMillis: () => 3000 };`,
          `const answer = await m.handler(${JSON.stringify(event)}, context);`,
          'process.stdout.write(JSON.stringify(answer));',
        ].join('\n'),
      ],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', TABLE_NAME: 'cohort-test' },
      },
    );

    // Assess
    expect(sources.filter((source) => source.includes('node_modules/jsonschema/'))).toEqual([]);
    expect(sources.some((source) => source.endsWith('infra/bundling/jsonschema-accept-all.cjs'))).toBe(true);
    expect(child.stderr).toBe('');
    const answer = JSON.parse(child.stdout) as { statusCode: number; body: string };
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({
      status: 400,
      errors: [{ path: 'path.customerId', message: 'must be a customer id (26-character ULID)' }],
    });
  });
});

describe('least privilege', () => {
  it('lets a function that only reads the table read it and nothing more', () => {
    for (const [name] of specs.filter(([, spec]) => spec.resources.table === 'read')) {
      // Act
      const allowed = allowedActions(template, stack, name);

      // Assess
      expect(allowed.has('dynamodb:Query'), name).toBe(true);
      for (const action of writeActions) expect(allowed.has(action), `${name} ${action}`).toBe(false);
    }
  });

  it('lets a function that writes the table write it', () => {
    for (const [name] of specs.filter(([, spec]) => spec.resources.table === 'readwrite')) {
      // Act
      const allowed = allowedActions(template, stack, name);

      // Assess
      for (const action of writeActions) expect(allowed.has(action), `${name} ${action}`).toBe(true);
    }
  });

  it('gives the OpenAPI function nothing but its own logs and traces', () => {
    // Act
    const allowed = [...allowedActions(template, stack, 'openapi').keys()].sort();

    // Assess
    expect(allowed).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('lets only the functions that declare a queue send to it', () => {
    // Prepare
    const queueId = workQueueId('erasure');

    for (const [name, spec] of specs) {
      // Act
      const sendsTo = allowedActions(template, stack, name).get('sqs:SendMessage') ?? [];
      const sendsToErasure = sendsTo.some((resource) => JSON.stringify(resource).includes(`"${queueId}"`));

      // Assess
      expect(sendsToErasure, name).toBe(spec.resources.queues?.erasure === 'send');
    }
  });

  it('lets only the functions that declare the bus publish on it', () => {
    for (const [name, spec] of specs) {
      // Act
      const publishes = allowedActions(template, stack, name).has('events:PutEvents');

      // Assess
      expect(publishes, name).toBe(spec.resources.bus === 'put');
    }
  });

  it('lets only the functions that declare the link secret read it, and gives them its ARN and the public URL', () => {
    // Prepare
    const secretId = logicalId(
      stack,
      stack.node.findChild('Secrets').node.findChild('LinkSecret').node.defaultChild,
    );

    for (const [name, spec] of specs) {
      // Act
      const reads = allowedActions(template, stack, name).get('secretsmanager:GetSecretValue') ?? [];
      const readsSecret = reads.some((resource) => JSON.stringify(resource).includes(`"${secretId}"`));
      const fn = resourceById(template, functionLogicalId(stack, name));
      const variables = property<{ Variables: Record<string, unknown> }>(fn, 'Environment').Variables;

      // Assess
      expect(readsSecret, name).toBe(spec.resources.linkSecret === 'read');
      expect(reads.length, name).toBe(readsSecret ? reads.length : 0);
      expect(JSON.stringify(variables[envNames.linkSecretArn] ?? null).includes(secretId), name).toBe(
        spec.resources.linkSecret === 'read',
      );
      expect('PUBLIC_BASE_URL' in variables, name).toBe(spec.resources.linkSecret === 'read');
      expect('LINK_SECRET' in variables, `${name} never the secret itself`).toBe(false);
    }
  });
});

describe('link secret', () => {
  it('is generated by Secrets Manager, not written in the template', () => {
    // Act
    const secrets = resourcesOfType(template, 'AWS::SecretsManager::Secret');

    // Assess
    expect(secrets).toHaveLength(1);
    expect(secrets[0]?.[1].Properties).toMatchObject({
      Name: 'cohort-dev/link-secret',
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    expect(secrets[0]?.[1].Properties?.SecretString).toBeUndefined();
  });
});

describe('queues', () => {
  it('gives every manifest queue its visibility timeout and a redrive policy to an alarmed dead-letter queue', () => {
    for (const [name, spec] of Object.entries(queues)) {
      // Prepare
      const queueId = workQueueId(name);

      // Act
      const queue = template.toJSON().Resources[queueId] as CfnResource;
      const redrive = queue.Properties?.RedrivePolicy as {
        deadLetterTargetArn: { 'Fn::GetAtt': [string, string] };
        maxReceiveCount: number;
      };
      const deadLetterId = redrive.deadLetterTargetArn['Fn::GetAtt'][0];

      // Assess
      expect(queue.Properties?.VisibilityTimeout, name).toBe(spec.visibilityTimeoutSeconds);
      expect(redrive.maxReceiveCount, name).toBe(spec.maxReceiveCount);
      expect(alarmsOnQueue(deadLetterId).map((alarm) => alarm.Properties?.Threshold)).toEqual([
        settings.dlqAlarmThreshold,
      ]);
      expect(alarmsOnQueue(queueId).map((alarm) => alarm.Properties?.Threshold)).toEqual([
        settings.queueDepthAlarmThreshold,
      ]);
    }
  });

  it('has every queue either redrive to a dead-letter queue or be an alarmed dead-letter queue itself', () => {
    // Act
    const all = resourcesOfType(template, 'AWS::SQS::Queue');

    // Assess
    expect(all.length).toBeGreaterThan(0);
    for (const [id, queue] of all) {
      const redrives = queue.Properties?.RedrivePolicy !== undefined;
      expect(redrives || alarmsOnQueue(id).length > 0, id).toBe(true);
      expect(queue.Properties?.SqsManagedSseEnabled, id).toBe(true);
    }
  });

  it('rejects plain-text access to every queue', () => {
    // Act
    const queueCount = resourcesOfType(template, 'AWS::SQS::Queue').length;
    const tlsPolicies = template.findResources('AWS::SQS::QueuePolicy', {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
    });

    // Assess
    expect(Object.keys(tlsPolicies)).toHaveLength(queueCount);
  });

  it('sends every alarm to the encrypted alarm topic', () => {
    // Prepare
    const [[topicId, topic] = ['', undefined]] = resourcesOfType(template, 'AWS::SNS::Topic');

    // Act
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');

    // Assess
    expect(topic?.Properties?.KmsMasterKeyId).toBeDefined();
    for (const [id, alarm] of alarms) expect(alarm.Properties?.AlarmActions, id).toEqual([{ Ref: topicId }]);
  });
});

describe('HTTP API', () => {
  it('has a route for every http trigger, behind the authorizer unless public', () => {
    // Prepare
    const [[authorizerId] = ['']] = resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer');
    const routes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route');
    const resources = template.toJSON().Resources as Record<string, CfnResource>;
    const httpSpecs = specs.filter(([, spec]) => spec.trigger.kind === 'http');

    for (const [name, spec] of httpSpecs) {
      const trigger = spec.trigger;
      if (trigger.kind !== 'http') continue;

      // Act
      const matching = routes.filter(
        ([, r]) => r.Properties?.RouteKey === `${trigger.method} ${trigger.path}`,
      );
      const [[, route] = ['', undefined]] = matching;
      // The route's target is "integrations/<integration id>"; the integration names the function.
      const target = JSON.stringify(route?.Properties?.Target);
      const integration = Object.entries(resources).find(
        ([id, resource]) => resource.Type === 'AWS::ApiGatewayV2::Integration' && target.includes(`"${id}"`),
      )?.[1];

      // Assess
      expect(matching, name).toHaveLength(1);
      if (trigger.scope === 'public') {
        expect(route?.Properties?.AuthorizationType, name).toBe('NONE');
        expect(route?.Properties?.AuthorizerId, name).toBeUndefined();
      } else {
        expect(route?.Properties, name).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: authorizerId },
        });
      }
      expect(JSON.stringify(integration?.Properties?.IntegrationUri), name).toContain(
        `"${functionLogicalId(stack, name)}"`,
      );
    }
    expect(routes).toHaveLength(httpSpecs.length);
  });

  it('authorizes with the manifest authorizer: simple responses, its identity source and cache time', () => {
    // Prepare
    const trigger = triggerOf('authorizer');
    if (trigger.kind !== 'authorizer') throw new Error('the manifest authorizer changed kind');

    // Assess
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      IdentitySource: [trigger.identitySource],
      AuthorizerResultTtlInSeconds: trigger.cacheTtlSeconds,
    });
    const [[, authorizer] = ['', undefined]] = resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer');
    expect(JSON.stringify(authorizer?.Properties?.AuthorizerUri)).toContain(
      `"${functionLogicalId(stack, 'authorizer')}"`,
    );
  });

  it('logs access to a log group and throttles at the stage limits', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      DefaultRouteSettings: {
        ThrottlingRateLimit: settings.apiRateLimit,
        ThrottlingBurstLimit: settings.apiBurstLimit,
      },
    });
  });
});

describe('asynchronous triggers', () => {
  it('maps every queue trigger with partial batch failures and the manifest’s concurrency', () => {
    for (const [name, spec] of specs) {
      const trigger = spec.trigger;
      if (trigger.kind !== 'queue') continue;
      // Prepare
      const queueId = workQueueId(trigger.queue);

      // Assess
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: functionLogicalId(stack, name) },
        EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        BatchSize: trigger.batchSize,
        MaximumBatchingWindowInSeconds: trigger.maxBatchingWindowSeconds,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        // As many as the local runtime runs pollers.
        ScalingConfig: { MaximumConcurrency: queueConcurrency(trigger) },
      });
    }
  });

  it('maps every stream trigger with partial batch failures, bisection, bounded retries and an alarmed failure queue', () => {
    for (const [name, spec] of specs) {
      const trigger = spec.trigger;
      if (trigger.kind !== 'stream') continue;
      // Prepare
      const tableId = logicalId(
        stack,
        stack.node.findChild('Data').node.findChild('Table').node.defaultChild,
      );

      // Act
      const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').filter(
        ([, m]) => property<{ Ref: string }>(m, 'FunctionName').Ref === functionLogicalId(stack, name),
      );
      const [[, mapping] = ['', undefined]] = mappings;
      const failureQueue = property<{ OnFailure: { Destination: { 'Fn::GetAtt': [string] } } }>(
        mapping,
        'DestinationConfig',
      ).OnFailure.Destination['Fn::GetAtt'][0];

      // Assess
      expect(mappings, name).toHaveLength(1);
      expect(mapping?.Properties, name).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
        StartingPosition: trigger.startingPosition,
        BatchSize: trigger.batchSize,
        MaximumBatchingWindowInSeconds: trigger.maxBatchingWindowSeconds,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 5,
      });
      expect(alarmsOnQueue(failureQueue), name).toHaveLength(1);
    }
  });

  it('schedules every schedule trigger with its expression', () => {
    // Prepare
    const scheduled = specs.filter(([, spec]) => spec.trigger.kind === 'schedule');

    // Assess
    template.resourceCountIs('AWS::Scheduler::Schedule', scheduled.length);
    for (const [name, spec] of scheduled) {
      if (spec.trigger.kind !== 'schedule') continue;
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: spec.trigger.expression,
        State: 'ENABLED',
        Target: Match.objectLike({
          Arn: { 'Fn::GetAtt': [functionLogicalId(stack, name), 'Arn'] },
          DeadLetterConfig: Match.anyValue(),
        }),
      });
    }
  });
});

describe('events and messaging', () => {
  it('has the stage event bus', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'cohort-dev' });
  });

  it('has an SES configuration set with reputation metrics whose events reach the Cohort bus', () => {
    // Assess
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      Name: 'cohort-dev',
      ReputationOptions: { ReputationMetricsEnabled: true },
    });
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: Match.objectLike({ Enabled: true, EventBridgeDestination: Match.anyValue() }),
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: {
        source: ['aws.ses'],
        detail: { mail: { tags: { 'ses:configuration-set': ['cohort-dev'] } } },
      },
    });
  });

  it('has an End User Messaging (Pinpoint) app for push and SMS', () => {
    template.hasResourceProperties('AWS::Pinpoint::App', { Name: 'cohort-dev' });
    template.hasResourceProperties('AWS::Pinpoint::SMSChannel', { Enabled: true });
  });

  it('outputs the API URL, the table name, the event bus name and the files bucket', () => {
    // Act
    const outputs = Object.keys(template.toJSON().Outputs ?? {});

    // Assess
    expect(outputs).toEqual(
      expect.arrayContaining(['ApiUrl', 'TableName', 'EventBusName', 'FilesBucketName']),
    );
  });
});
