import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Names, NestedStack, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  type BucketAccess,
  envNames,
  type FunctionSpec,
  functionGroup,
  type QueueName,
  type TableAccess,
} from '../../functions/manifest.ts';
import { bundleAliases, esmRequireBanner, loweredSyntaxArgs, sdkExternal } from '../bundling.ts';
import { channelEnvironment, type StageSettings } from '../stages.ts';
import { defaultFunctionTimeout, defaultLogGroupProps } from './defaults.ts';
import type { Messaging } from './messaging.ts';
import type { Observability } from './observability.ts';
import type { Queues } from './queues.ts';

/** The repository root: manifest entries are relative to it, and it holds the lock file esbuild resolves from. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface CohortFunctionProps {
  name: string;
  spec: FunctionSpec;
  stage: string;
  settings: StageSettings;
}

/**
 * One Lambda function from the manifest with the project's defaults: Node.js 24 on Graviton, X-Ray,
 * its own log group with the stage's retention, and a role that starts with nothing but log writing.
 *
 * Access is added only through the `bind*` methods, each of which sets the environment variable the
 * handler reads and the IAM grant that makes it usable, together, so one is never there without the other
 * (the Powertools example app's `bindTable` pattern).
 */
export class CohortFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly spec: FunctionSpec;

  constructor(scope: Construct, id: string, props: CohortFunctionProps) {
    super(scope, id);
    const { spec, settings } = props;
    this.spec = spec;

    const logGroup = new logs.LogGroup(this, 'Logs', defaultLogGroupProps(settings));
    // An explicit role instead of the one Lambda would create: that one carries the
    // AWSLambdaBasicExecutionRole managed policy, which may write to any log group in the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Cohort ${props.stage} ${props.name}`,
    });
    logGroup.grantWrite(this.role);

    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(repoRoot, spec.entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: path.join(repoRoot, 'package-lock.json'),
      description: spec.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      // Graviton: cheaper per GB-second and at least as fast for this I/O-bound code.
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMb ?? settings.defaultMemoryMb,
      timeout:
        spec.timeoutSeconds === undefined ? defaultFunctionTimeout : Duration.seconds(spec.timeoutSeconds),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup,
      environment: {
        STAGE: props.stage,
        DEFAULT_PHONE_REGION: settings.defaultPhoneRegion,
        EVENT_RETENTION_DAYS: String(settings.eventRetentionDays),
        UNKNOWN_IDENTITY: settings.unknownIdentity,
        FILE_RETENTION_DAYS: String(settings.fileRetentionDays),
        EMAIL_DOUBLE_OPT_IN: String(settings.emailDoubleOptIn),
        ...(spec.resources.ses && { EMAIL_FROM: settings.senderEmail }),
        ...((spec.resources.ses || spec.resources.pinpoint) && channelEnvironment(settings.channels)),
        // Stack traces point at the TypeScript source rather than the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        // Local esbuild: synthesis must work on a machine without Docker, and in CI.
        forceDockerBundling: false,
        format: nodejs.OutputFormat.ESM,
        // Prefer the ESM builds of dependencies so tree shaking works on them.
        mainFields: ['module', 'main'],
        banner: esmRequireBanner,
        // ElectroDB's model validation (jsonschema) runs in the tests, not at every cold start; arrow
        // functions are lowered because V8 compiles function expressions passed to a call in one pass.
        esbuildArgs: {
          ...Object.fromEntries(Object.entries(bundleAliases).map(([pkg, file]) => [`--alias:${pkg}`, file])),
          ...loweredSyntaxArgs,
        },
        target: 'node24',
        minify: true,
        // No keepNames: it cost 15 KB and a call per function and class at init. The error classes set
        // their names as literals (shared/platform/errors.ts), so logs still name them.
        keepNames: false,
        sourceMap: true,
        sourceMapMode: nodejs.SourceMapMode.DEFAULT,
        // Line numbers are what the traces need; embedding the sources would double the bundle.
        sourcesContent: false,
        // The AWS SDK v3 is not bundled: the nodejs24.x runtime ships it (lib-dynamodb and util-dynamodb
        // included) and the functions' imports resolve to that copy. Bundled, it was the larger part of every
        // function's code and of its module init. The price: the SDK version that runs is the runtime's, not
        // the one the lock pins and the tests use. This is NodejsFunction's default for Node 24, spelled out
        // because bench/cold-start.ts mirrors it.
        externalModules: [sdkExternal],
        tsconfig: path.join(repoRoot, 'tsconfig.json'),
        // Bundle sizes are in cdk.out; a synth of every function should print problems, not a table each.
        logLevel: nodejs.LogLevel.WARNING,
      },
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so their resource must be "*".',
    });
  }

  /** TABLE_NAME plus read, or read and write, data access; never control-plane access. */
  bindTable(table: dynamodb.ITable, access: TableAccess): this {
    this.fn.addEnvironment(envNames.table, table.tableName);
    if (access === 'readwrite') table.grantReadWriteData(this.fn);
    else table.grantReadData(this.fn);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${tableArnOf(this, table)}/index/*]`,
      reason:
        "Access patterns go through the global secondary indexes of the single table; the wildcard covers that table's indexes and nothing else.",
    });
    return this;
  }

  /** The queue's URL under the manifest's naming rule plus permission to send to it, nothing more. */
  bindQueue(name: QueueName, queue: sqs.IQueue): this {
    this.fn.addEnvironment(envNames.queueUrl(name), queue.queueUrl);
    queue.grantSendMessages(this.fn);
    return this;
  }

  /**
   * FILES_BUCKET plus object access, spelled out rather than the bucket's `grant*` helpers (which add
   * tagging, retention, legal-hold and version actions nobody here uses): GetObject, and for `readwrite`
   * PutObject and DeleteObject too (a presigned upload URL carries its signer's permissions). ListBucket,
   * so that a missing object reads as 404 rather than 403. Never bucket configuration.
   */
  bindBucket(bucket: s3.IBucket, access: BucketAccess): this {
    this.fn.addEnvironment(envNames.bucket, bucket.bucketName);
    const objectActions =
      access === 'readwrite' ? ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] : ['s3:GetObject'];
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: objectActions, resources: [bucket.arnForObjects('*')] }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${bucketArnOf(this, bucket)}/*]`,
      reason:
        'Import and export files get generated keys under the imports/ and exports/ prefixes; the wildcard covers the objects of this one bucket.',
    });
    return this;
  }

  bindBus(bus: events.IEventBus): this {
    this.fn.addEnvironment(envNames.bus, bus.eventBusName);
    bus.grantPutEventsTo(this.fn);
    return this;
  }

  bindSes(messaging: Messaging): this {
    this.fn.addEnvironment(envNames.sesConfigurationSet, messaging.configurationSet.configurationSetName);
    messaging.grantSendEmail(this.fn);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]',
      reason:
        "Sender identities (domains, addresses) are verified by an admin outside the stack, so their names are unknown here; sending is still bound to this stage's configuration set.",
    });
    return this;
  }

  /** The link secret's ARN plus read access to that one secret; the value is fetched at run time. */
  bindLinkSecret(secret: secretsmanager.ISecret): this {
    this.fn.addEnvironment(envNames.linkSecretArn, secret.secretArn);
    secret.grantRead(this.fn);
    return this;
  }

  bindPinpoint(messaging: Messaging): this {
    this.fn.addEnvironment(envNames.pinpointApp, messaging.app.ref);
    messaging.grantSendMessages(this.fn);
    return this;
  }
}

/**
 * A resource's ARN as cdk-nag prints it in a finding about a policy of `scope`: `<LogicalId.Arn>` in the
 * resource's own stack, and in a nested stack directly below it the parameter the CDK passes the ARN in,
 * named `referenceto<unique id>Arn` (aws-cdk-lib core/lib/private/refs.ts). A change in that naming fails
 * synthesis with the finding and the name to acknowledge, never silently.
 */
function printedArn(scope: Construct, cfn: dynamodb.CfnTable | s3.CfnBucket): string {
  const own = Stack.of(cfn);
  const here = Stack.of(scope);
  if (here === own) return `<${own.resolve(cfn.logicalId) as string}.Arn>`;
  if (here.nestedStackParent === own) return `<referenceto${Names.nodeUniqueId(cfn.node)}Arn>`;
  throw new Error(
    `${scope.node.path} is neither in the stack of ${cfn.node.path} nor nested directly below it`,
  );
}

/** The table's ARN as cdk-nag prints it in a finding about the table's indexes. */
function tableArnOf(scope: Construct, table: dynamodb.ITable): string {
  const cfn = table.node.defaultChild;
  if (!(cfn instanceof dynamodb.CfnTable)) throw new Error('bindTable expects a table defined in this app');
  return printedArn(scope, cfn);
}

/** The bucket's ARN as cdk-nag prints it in a finding about the bucket's objects. */
function bucketArnOf(scope: Construct, bucket: s3.IBucket): string {
  const cfn = bucket.node.defaultChild;
  if (!(cfn instanceof s3.CfnBucket)) throw new Error('bindBucket expects a bucket defined in this app');
  return printedArn(scope, cfn);
}

/** CloudWatch metric math takes at most 10 metrics in an alarm. */
const ERROR_ALARM_GROUP = 10;

export interface FunctionsProps {
  specs: Readonly<Record<string, FunctionSpec>>;
  stage: string;
  settings: StageSettings;
  table: dynamodb.ITable;
  bucket: s3.IBucket;
  queues: Queues;
  bus: events.IEventBus;
  messaging: Messaging;
  observability: Observability;
  linkSecret: secretsmanager.ISecret;
}

/** Group names become construct ids and nested stack names: short, lower case, no surprises. */
const groupNamePattern = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * Every function in the manifest, with exactly the resources it declares bound and an error alarm, deployed
 * in one nested stack per group (see `functionGroup` in the manifest). A stack holds at most 500 resources;
 * a function with its role, policy, log group, trigger and alarm share takes five to eight, so one stack of
 * every function would not last, while a group per domain stays far below the limit and the root stack
 * keeps only the stateful, shared resources.
 */
export class Functions extends Construct {
  private readonly byName = new Map<string, CohortFunction>();
  private readonly byGroup = new Map<string, FunctionGroup>();

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const grouped = new Map<string, [string, FunctionSpec][]>();
    for (const [name, spec] of Object.entries(props.specs)) {
      const group = functionGroup(name, spec);
      if (!groupNamePattern.test(group)) {
        throw new Error(
          `Function "${name}" has group "${group}"; a group is ${groupNamePattern} (e.g. "customer")`,
        );
      }
      grouped.set(group, [...(grouped.get(group) ?? []), [name, spec]]);
    }
    for (const [group, specs] of grouped) {
      const stack = new FunctionGroup(this, group, { ...props, group, specs });
      this.byGroup.set(group, stack);
      for (const [name, fn] of stack.entries()) this.byName.set(name, fn);
    }
  }

  get(name: string): CohortFunction {
    const fn = this.byName.get(name);
    if (!fn) throw new Error(`Function "${name}" is not declared in the manifest`);
    return fn;
  }

  entries(): [string, CohortFunction][] {
    return [...this.byName.entries()];
  }

  /** The nested stacks, by group name. */
  groups(): [string, FunctionGroup][] {
    return [...this.byGroup.entries()];
  }

  /**
   * Where to put what belongs to one function (its route, event source, bus rule, schedule): a construct
   * named `id` in the function's own nested stack, so it is created, replaced and deleted with it.
   */
  scopeOf(fn: CohortFunction, id: string): Construct {
    const stack = Stack.of(fn);
    return stack.node.tryFindChild(id) ?? new Construct(stack, id);
  }
}

export interface FunctionGroupProps extends Omit<FunctionsProps, 'specs'> {
  group: string;
  specs: [string, FunctionSpec][];
}

/** One group's functions in a nested stack of their own, with their error alarms. */
export class FunctionGroup extends NestedStack {
  readonly group: string;
  private readonly byName = new Map<string, CohortFunction>();

  constructor(scope: Construct, id: string, props: FunctionGroupProps) {
    super(scope, id, { description: `Cohort ${props.stage}: ${props.group} functions` });
    this.group = props.group;
    for (const [name, spec] of props.specs) {
      const fn = new CohortFunction(this, name, {
        name,
        spec,
        stage: props.stage,
        settings: props.settings,
      });
      const { resources } = spec;
      if (resources.table) fn.bindTable(props.table, resources.table);
      if (resources.bucket) fn.bindBucket(props.bucket, resources.bucket);
      for (const queue of Object.keys(resources.queues ?? {}) as QueueName[]) {
        fn.bindQueue(queue, props.queues.get(queue).queue);
      }
      if (resources.bus) fn.bindBus(props.bus);
      if (resources.ses) fn.bindSes(props.messaging);
      if (resources.pinpoint) fn.bindPinpoint(props.messaging);
      if (resources.linkSecret) fn.bindLinkSecret(props.linkSecret);
      this.byName.set(name, fn);
    }
    // One alarm per ten functions rather than one each, to keep the stack small; an alarm names the
    // functions whose errors it sums, so it still says where to look.
    const all = [...this.byName.entries()];
    for (let i = 0; i < all.length; i += ERROR_ALARM_GROUP) {
      props.observability.alarmOnFunctionErrors(
        this,
        `ErrorsAlarm${i / ERROR_ALARM_GROUP}`,
        all.slice(i, i + ERROR_ALARM_GROUP).map(([name, fn]) => ({ name, fn: fn.fn })),
      );
    }
  }

  entries(): [string, CohortFunction][] {
    return [...this.byName.entries()];
  }
}
