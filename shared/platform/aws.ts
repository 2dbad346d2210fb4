import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sdkClientConfig } from './config.ts';

/**
 * SDK clients, created once per process (module scope in a Lambda) and pointed at the local engines
 * when the local stack sets their endpoints.
 *
 * One module per client (this one for DynamoDB, sqs.ts, eventbridge.ts): the SDK is not bundled but
 * imported from the Lambda runtime, and esbuild keeps every import of an external package that the
 * function's import graph reaches, used or not. A function that reached a module importing all clients
 * would load all of them at init.
 */
let dynamo: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  if (!dynamo) {
    const raw = new DynamoDBClient(sdkClientConfig('DYNAMODB_ENDPOINT'));
    dynamo = DynamoDBDocumentClient.from(raw, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
  }
  return dynamo;
}
