import { SQSClient } from '@aws-sdk/client-sqs';
import { sdkClientConfig } from './config.ts';

/** The SQS client, created on first use; a module of its own for the reason given in aws.ts. */
let sqs: SQSClient | undefined;

export function sqsClient(): SQSClient {
  sqs ??= new SQSClient(sdkClientConfig('SQS_ENDPOINT'));
  return sqs;
}
