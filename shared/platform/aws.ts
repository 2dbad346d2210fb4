import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from './config.ts';

/**
 * SDK clients, created once per process (module scope in a Lambda) and pointed at the local engines
 * when the local stack sets their endpoints.
 */
let dynamo: DynamoDBDocumentClient | undefined;
let sqs: SQSClient | undefined;
let eventBridge: EventBridgeClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  if (!dynamo) {
    const c = config();
    const raw = new DynamoDBClient({
      ...(c.AWS_REGION && { region: c.AWS_REGION }),
      ...(c.DYNAMODB_ENDPOINT && { endpoint: c.DYNAMODB_ENDPOINT }),
    });
    dynamo = DynamoDBDocumentClient.from(raw, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
  }
  return dynamo;
}

export function sqsClient(): SQSClient {
  if (!sqs) {
    const c = config();
    sqs = new SQSClient({
      ...(c.AWS_REGION && { region: c.AWS_REGION }),
      ...(c.SQS_ENDPOINT && { endpoint: c.SQS_ENDPOINT }),
    });
  }
  return sqs;
}

export function eventBridgeClient(): EventBridgeClient {
  if (!eventBridge) {
    const c = config();
    eventBridge = new EventBridgeClient({
      ...(c.AWS_REGION && { region: c.AWS_REGION }),
      ...(c.EVENTBRIDGE_ENDPOINT && { endpoint: c.EVENTBRIDGE_ENDPOINT }),
    });
  }
  return eventBridge;
}
