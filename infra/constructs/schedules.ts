import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import type { Functions } from './functions.ts';
import type { Observability } from './observability.ts';
import { DeadLetterQueue } from './queues.ts';

export interface SchedulesProps {
  stage: string;
  functions: Functions;
  observability: Observability;
}

/**
 * One EventBridge Scheduler schedule per manifest function with a schedule trigger, in a group of its
 * own so a stage's schedules can be listed, paused or deleted together.
 */
export class Schedules extends Construct {
  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    const scheduled = props.functions.entries().filter(([, fn]) => fn.spec.trigger.kind === 'schedule');
    if (scheduled.length === 0) return;

    const group = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: `cohort-${props.stage}`,
      // A group holds no data, and a retained one would block redeploying the stage under the same name.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const failures = new DeadLetterQueue(this, 'Failures', {
      description: 'scheduled invocations Scheduler could not deliver',
      observability: props.observability,
    });

    for (const [name, fn] of scheduled) {
      const trigger = fn.spec.trigger;
      if (trigger.kind !== 'schedule') continue;
      // Our own role rather than the shared one the target would create at stack level: it can only be
      // assumed by Scheduler on behalf of this account, and its acknowledgement below stays next to it.
      // In the function's nested stack; the group and the dead-letter queue are shared, in the root stack.
      const scope = props.functions.scopeOf(fn, 'Schedules');
      const role = new iam.Role(scope, `${name}Role`, {
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
        }),
      });
      const fnLogicalId = Stack.of(scope).resolve((fn.fn.node.defaultChild as lambda.CfnFunction).logicalId);
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${fnLogicalId}.Arn>:*]`,
        reason:
          'lambda:InvokeFunction on the scheduled function and its versions and aliases ("<arn>:*"), as the CDK Lambda grant writes it; no other function is reachable.',
      });
      new scheduler.Schedule(scope, name, {
        scheduleGroup: group,
        description: trigger.description,
        schedule: scheduler.ScheduleExpression.expression(trigger.expression),
        target: new targets.LambdaInvoke(fn.fn, {
          role,
          deadLetterQueue: failures.queue,
          // A run that cannot be delivered within the hour is superseded by the next one anyway.
          maxEventAge: Duration.hours(1),
          retryAttempts: 3,
        }),
      });
    }
  }
}
