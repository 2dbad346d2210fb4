import { App, CfnOutput, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import {
  type FunctionSpec,
  functions as manifestFunctions,
  queues as manifestQueues,
  type QueueName,
  type QueueSpec,
} from '../functions/manifest.ts';
import { Api } from './constructs/api.ts';
import { Bus } from './constructs/bus.ts';
import { Data } from './constructs/data.ts';
import { Files } from './constructs/files.ts';
import { Functions } from './constructs/functions.ts';
import { Messaging } from './constructs/messaging.ts';
import { Observability } from './constructs/observability.ts';
import { Pipelines } from './constructs/pipelines.ts';
import { Queues } from './constructs/queues.ts';
import { Schedules } from './constructs/schedules.ts';
import { Secrets } from './constructs/secrets.ts';
import { type StageSettings, stageSettings } from './stages.ts';

/** Stages that deploy to AWS; `local` is served by `npm start` and has no stack. */
export const deployableStages = ['dev', 'staging', 'prod'] as const;
export type DeployableStage = (typeof deployableStages)[number];

export interface CohortStackProps extends StackProps {
  stage: DeployableStage;
  settings: StageSettings;
  /** The function manifest; tests may pass a variant, the app always uses functions/manifest.ts. */
  functions?: Readonly<Record<string, FunctionSpec>>;
  queues?: Readonly<Record<QueueName, QueueSpec>>;
}

/**
 * One stage of Cohort. Environment-agnostic on purpose (no account or region, no lookups), so it
 * synthesizes offline and deploys to whichever account the caller's credentials point at.
 *
 * The stateful and shared resources live here, at the paths they always had (a new logical id would
 * replace the table or the bucket); the functions and everything that belongs to one function live in
 * one nested stack per group (see Functions), which keeps every stack far from CloudFormation's 500
 * resources. References from a nested stack to this one become parameters, the other way outputs.
 */
export class CohortStack extends Stack {
  constructor(scope: Construct, id: string, props: CohortStackProps) {
    const { stage, settings, functions: specs, queues: queueSpecs, ...stackProps } = props;
    super(scope, id, {
      description: `Cohort customer management and engagement platform (${stage})`,
      // Stages that keep their data must not be deletable by a single mistaken command.
      terminationProtection: settings.retainData,
      ...stackProps,
    });

    const observability = new Observability(this, 'Observability', { stage, settings });
    const { table } = new Data(this, 'Data', { stage, settings });
    const { bucket } = new Files(this, 'Files', { stage, settings });
    const { bus } = new Bus(this, 'Events', { stage });
    const queues = new Queues(this, 'Queues', { queues: queueSpecs ?? manifestQueues, observability });
    const messaging = new Messaging(this, 'Messaging', { stage, bus, observability });
    const secrets = new Secrets(this, 'Secrets', { stage, settings });
    const functions = new Functions(this, 'Functions', {
      specs: specs ?? manifestFunctions,
      stage,
      settings,
      table,
      bucket,
      queues,
      bus,
      messaging,
      observability,
      linkSecret: secrets.linkSecret,
    });
    const api = new Api(this, 'Api', { stage, settings, functions });
    // Links point at the API (or the stage's custom domain), known only once the API exists.
    for (const [, fn] of functions.entries()) {
      if (fn.spec.resources.linkSecret)
        fn.fn.addEnvironment('PUBLIC_BASE_URL', settings.publicBaseUrl ?? api.url);
    }
    new Pipelines(this, 'Pipelines', { functions, table, queues, bus, observability });
    new Schedules(this, 'Schedules', { stage, functions, observability });

    new CfnOutput(this, 'ApiUrl', { value: api.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'EventBusName', { value: bus.eventBusName });
    new CfnOutput(this, 'FilesBucketName', { value: bucket.bucketName });
  }
}

export interface BuildAppOptions {
  /** Overrides `-c stage=...`; tests pass it, the CLI does not. */
  stage?: string;
  /**
   * Run esbuild for every function (default). Tests that only read the template can skip it; the
   * stack is otherwise identical.
   */
  bundle?: boolean;
  functions?: Readonly<Record<string, FunctionSpec>>;
  queues?: Readonly<Record<QueueName, QueueSpec>>;
}

/**
 * Builds the CDK app for one stage, with cdk-nag's AWS Solutions checks applied. `infra/bin/app.ts`
 * and the infra tests both go through here, so the tests check what `cdk synth` produces.
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: CohortStack } {
  const context: Record<string, unknown> = {};
  if (options.stage !== undefined) context.stage = options.stage;
  // An empty list of stacks to bundle is how `cdk synth --exclusively` skips asset bundling.
  if (options.bundle === false) context['aws:cdk:bundling-stacks'] = [];
  const app = new App({ context });

  const stage = deployableStage(app.node.tryGetContext('stage'));
  const { settings } = stageSettings(stage);
  const stack = new CohortStack(app, `Cohort-${stage}`, {
    stage,
    settings,
    functions: options.functions,
    queues: options.queues,
  });
  Tags.of(stack).add('project', 'cohort');
  Tags.of(stack).add('stage', stage);

  // A finding fails synthesis; deliberate exceptions are acknowledged next to the construct they concern.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

function deployableStage(value: unknown): DeployableStage {
  const name = typeof value === 'string' ? value : undefined;
  if (!deployableStages.includes(name as DeployableStage)) {
    const hint = name === 'local' ? ' (the local stage runs with `npm start`, not the CDK)' : '';
    throw new Error(
      `Unknown stage "${name ?? ''}"${hint}: pass -c stage=<${deployableStages.join('|')}> to cdk, e.g. npx cdk synth -c stage=dev`,
    );
  }
  return name as DeployableStage;
}
