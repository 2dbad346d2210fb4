import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageSettings } from '../stages.ts';
import { dataRemovalPolicy } from './defaults.ts';

export interface ObservabilityProps {
  stage: string;
  settings: StageSettings;
}

/**
 * Where alarms go: one encrypted SNS topic per stage that operators subscribe to (email, chat, paging).
 * The alarm helpers keep thresholds and actions consistent across queues and functions; each alarm is
 * created next to what it watches, so it moves with it.
 */
export class Observability extends Construct {
  readonly alarmTopic: sns.Topic;
  private readonly settings: StageSettings;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.settings = props.settings;

    // A customer-managed key because CloudWatch cannot publish to a topic encrypted with the
    // AWS-managed aws/sns key: its key policy cannot be extended to the CloudWatch principal.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the Cohort ${props.stage} alarm topic`,
      enableKeyRotation: true,
      removalPolicy: dataRemovalPolicy(props.settings),
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Cohort ${props.stage} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
  }

  /** Any message in a dead-letter queue means work was given up on; someone must look. */
  alarmOnDeadLetters(scope: Construct, id: string, queue: sqs.IQueue, description: string): cloudwatch.Alarm {
    return this.notify(
      new cloudwatch.Alarm(scope, id, {
        alarmDescription: `Messages in dead-letter queue: ${description}`,
        metric: queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: this.settings.dlqAlarmThreshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** A backlog that keeps growing means consumers are failing or too slow. */
  alarmOnQueueDepth(scope: Construct, id: string, queue: sqs.IQueue, description: string): cloudwatch.Alarm {
    return this.notify(
      new cloudwatch.Alarm(scope, id, {
        alarmDescription: `Work queue backlog: ${description}`,
        metric: queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: this.settings.queueDepthAlarmThreshold,
        // Three periods so a burst that is drained quickly does not page anyone.
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /**
   * Handlers turn expected failures into responses or partial batch failures, so an invocation error
   * is a crash or a timeout: worth a look every time.
   */
  alarmOnFunctionErrors(
    scope: Construct,
    id: string,
    functions: { name: string; fn: lambda.IFunction }[],
  ): cloudwatch.Alarm {
    const usingMetrics = Object.fromEntries(
      functions.map(({ fn }, i) => [
        `e${i}`,
        fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      ]),
    );
    return this.notify(
      new cloudwatch.Alarm(scope, id, {
        alarmDescription: `Invocation errors in one of: ${functions.map((f) => f.name).join(', ')}`,
        metric: new cloudwatch.MathExpression({
          // A function that did not run has no data points; FILL makes it count as zero errors in the sum.
          expression: `SUM([${Object.keys(usingMetrics)
            .map((m) => `FILL(${m}, 0)`)
            .join(', ')}])`,
          usingMetrics,
          period: Duration.minutes(5),
          label: 'errors',
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  private notify(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    const action = new actions.SnsAction(this.alarmTopic);
    alarm.addAlarmAction(action);
    // Recovery is news too: it tells whoever was paged that they can stop.
    alarm.addOkAction(action);
    return alarm;
  }
}
