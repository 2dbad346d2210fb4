import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { StageSettings } from '../stages.ts';

/**
 * Secure defaults shared by the constructs, in the spirit of aws-solutions-constructs
 * `core/lib/*-defaults.ts`: a caller may tighten them but never has to remember them.
 */

/** Retention for every log group the stack owns; one mapping so a new stage value fails to compile. */
const retention: Record<StageSettings['logRetentionDays'], logs.RetentionDays> = {
  7: logs.RetentionDays.ONE_WEEK,
  14: logs.RetentionDays.TWO_WEEKS,
  30: logs.RetentionDays.ONE_MONTH,
  90: logs.RetentionDays.THREE_MONTHS,
  365: logs.RetentionDays.ONE_YEAR,
};

export function logRetention(settings: StageSettings): logs.RetentionDays {
  return retention[settings.logRetentionDays];
}

/** Data that outlives a deleted stack in staging and prod; dev tears down cleanly. */
export function dataRemovalPolicy(settings: StageSettings): RemovalPolicy {
  return settings.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

export function defaultLogGroupProps(settings: StageSettings): logs.LogGroupProps {
  return {
    retention: logRetention(settings),
    removalPolicy: dataRemovalPolicy(settings),
  };
}

/**
 * SSE-SQS rather than a customer-managed KMS key: messages are still encrypted at rest, and no key policy
 * has to be kept in step with the Lambda, EventBridge and Scheduler principals that write to the queues.
 * A queue policy refuses any request not made over TLS.
 */
export const queueDefaults = {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
} as const satisfies sqs.QueueProps;

/** The longest SQS allows, so an operator has two weeks to inspect and re-drive a poison message. */
export const deadLetterRetention = Duration.days(14);

/** Default timeout for a function that does not set its own: API Gateway gives up at 30 s anyway. */
export const defaultFunctionTimeout = Duration.seconds(10);
