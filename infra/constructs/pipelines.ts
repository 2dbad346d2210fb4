import { Annotations, Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { queueConcurrency, type Trigger } from '../../functions/manifest.ts';
import { busSource } from './bus.ts';
import type { CohortFunction, Functions } from './functions.ts';
import type { Observability } from './observability.ts';
import { DeadLetterQueue, type Queues } from './queues.ts';

type QueueTrigger = Extract<Trigger, { kind: 'queue' }>;
type StreamTrigger = Extract<Trigger, { kind: 'stream' }>;
type BusTrigger = Extract<Trigger, { kind: 'bus' }>;

export interface PipelinesProps {
  functions: Functions;
  table: dynamodb.ITable;
  queues: Queues;
  bus: events.IEventBus;
  observability: Observability;
}

/**
 * The asynchronous paths: queue consumers, table stream consumers and event bus subscribers. Each one
 * reports partial batch failures or retries, and whatever it finally gives up on lands in an alarmed
 * dead-letter queue rather than disappearing. Everything here belongs to one function and is created in
 * that function's nested stack; the queues, the table and the bus it reads stay in the root stack.
 */
export class Pipelines extends Construct {
  constructor(scope: Construct, id: string, props: PipelinesProps) {
    super(scope, id);
    for (const [name, fn] of props.functions.entries()) {
      const trigger = fn.spec.trigger;
      if (trigger.kind === 'queue') this.consumeQueue(fn, trigger, props);
      else if (trigger.kind === 'stream') this.consumeStream(name, fn, trigger, props);
      else if (trigger.kind === 'bus') this.subscribe(name, fn, trigger, props);
    }
  }

  private consumeQueue(fn: CohortFunction, trigger: QueueTrigger, props: PipelinesProps): void {
    const work = props.queues.get(trigger.queue);
    warnOnShortVisibility(work, trigger.queue, work.queue, fn);
    fn.fn.addEventSource(
      new sources.SqsEventSource(work.queue, {
        batchSize: trigger.batchSize,
        maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
        // Only the failed messages return to the queue; the rest of the batch is not redone.
        reportBatchItemFailures: true,
        // The local runtime runs as many pollers, so what is measured locally is what runs here.
        maxConcurrency: queueConcurrency(trigger),
      }),
    );
  }

  private consumeStream(
    name: string,
    fn: CohortFunction,
    trigger: StreamTrigger,
    props: PipelinesProps,
  ): void {
    const failures = new DeadLetterQueue(props.functions.scopeOf(fn, 'Pipelines'), `${name}StreamFailures`, {
      description: `${name}: table stream records given up on`,
      observability: props.observability,
    });
    fn.fn.addEventSource(
      new sources.DynamoEventSource(props.table, {
        startingPosition: lambda.StartingPosition[trigger.startingPosition],
        batchSize: trigger.batchSize,
        maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        // Halving a failing batch isolates the poison record instead of blocking the shard behind it.
        bisectBatchOnError: true,
        // Bounded, so one bad record cannot stall the shard until the stream's 24-hour retention drops it.
        retryAttempts: 5,
        onFailure: new sources.SqsDlq(failures.queue),
      }),
    );
    Validations.of(fn.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Reading the table stream: dynamodb:ListStreams does not support resource-level permissions, so its resource must be "*"; the record-reading actions are scoped to the stream ARN.',
    });
  }

  private subscribe(name: string, fn: CohortFunction, trigger: BusTrigger, props: PipelinesProps): void {
    const scope = props.functions.scopeOf(fn, 'Pipelines');
    const failures = new DeadLetterQueue(scope, `${name}BusFailures`, {
      description: `${name}: bus events that could not be delivered or processed`,
      observability: props.observability,
    });
    // EventBridge invokes asynchronously: failed deliveries go to the target's dead-letter queue and
    // invocations that still fail after Lambda's own retries go to the same queue.
    fn.fn.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(failures.queue),
    });
    new events.Rule(scope, `${name}Rule`, {
      eventBus: props.bus,
      description: `${trigger.source ?? busSource}: ${trigger.detailTypes.join(', ')} to ${name}`,
      eventPattern: { source: [trigger.source ?? busSource], detailType: [...trigger.detailTypes] },
      targets: [
        new targets.LambdaFunction(fn.fn, {
          deadLetterQueue: failures.queue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });
  }
}

/**
 * AWS recommends a visibility timeout of at least six times the consumer's timeout, so a message is not
 * handed out again while Lambda still retries a throttled batch. A warning, not an error: the manifest
 * owns the numbers.
 */
function warnOnShortVisibility(scope: Construct, queueName: string, queue: sqs.Queue, fn: CohortFunction) {
  const visibility = (queue.node.defaultChild as sqs.CfnQueue).visibilityTimeout;
  const timeout = fn.fn.timeout?.toSeconds();
  if (typeof visibility === 'number' && timeout !== undefined && visibility < 6 * timeout) {
    Annotations.of(scope).addWarningV2(
      'cohort:queue-visibility',
      `Queue "${queueName}" has a visibility timeout of ${visibility} s, less than six times its consumer's timeout (${timeout} s)`,
    );
  }
}
