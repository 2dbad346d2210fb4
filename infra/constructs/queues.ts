import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueName, QueueSpec } from '../../functions/manifest.ts';
import { deadLetterRetention, queueDefaults } from './defaults.ts';
import type { Observability } from './observability.ts';

export interface DeadLetterQueueProps {
  /** What ends up here, for the alarm's description. */
  description: string;
  observability: Observability;
}

/**
 * A dead-letter queue that cannot be forgotten: encrypted, TLS-only, kept for the longest SQS allows,
 * and alarmed from the first message.
 */
export class DeadLetterQueue extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', { ...queueDefaults, retentionPeriod: deadLetterRetention });
    // cdk-nag recognises a dead-letter queue only through a redrive policy or a function's DeadLetterConfig,
    // not as a stream, Scheduler or EventBridge failure destination.
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter destination, watched by an alarm; a dead-letter queue behind it would only move the same messages further from the alarm.',
    });
    props.observability.alarmOnDeadLetters(this, 'Alarm', this.queue, props.description);
  }
}

export interface WorkQueueProps {
  name: string;
  spec: QueueSpec;
  observability: Observability;
}

/** A work queue from the manifest with its dead-letter queue and both alarms. */
export class WorkQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    const { spec, observability } = props;
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetter', {
      description: `${props.name} (${spec.description})`,
      observability,
    }).queue;
    this.queue = new sqs.Queue(this, 'Queue', {
      ...queueDefaults,
      visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: spec.maxReceiveCount },
    });
    observability.alarmOnQueueDepth(this, 'DepthAlarm', this.queue, `${props.name} (${spec.description})`);
  }
}

export interface QueuesProps {
  queues: Readonly<Record<QueueName, QueueSpec>>;
  observability: Observability;
}

/** Every queue the manifest declares, looked up by name when functions bind or consume them. */
export class Queues extends Construct {
  private readonly byName = new Map<QueueName, WorkQueue>();

  constructor(scope: Construct, id: string, props: QueuesProps) {
    super(scope, id);
    for (const [name, spec] of Object.entries(props.queues) as [QueueName, QueueSpec][]) {
      this.byName.set(name, new WorkQueue(this, name, { name, spec, observability: props.observability }));
    }
  }

  get(name: QueueName): WorkQueue {
    const queue = this.byName.get(name);
    if (!queue) throw new Error(`Queue "${name}" is not declared in functions/manifest.ts`);
    return queue;
  }

  all(): WorkQueue[] {
    return [...this.byName.values()];
  }
}
