import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { queues as manifestQueues, type QueueSpec } from '../../functions/manifest.ts';
import { tableDefinition, tableName } from '../../shared/store/table.ts';
import { filePrefixes } from '../constructs/files.ts';
import { stages } from '../stages.ts';
import { localCredentials, localRegion } from './aws-constants.ts';

/**
 * Creates the table and the queues on the local engines through the same SDK calls a deployment
 * makes. Idempotent: what exists is left as it is, so a persisted data folder survives restarts.
 */

export interface ProvisionedTable {
  tableName: string;
  tableArn: string;
  streamArn: string;
  created: boolean;
}

export async function provisionTable(endpoint: string, name = tableName('local')): Promise<ProvisionedTable> {
  const client = new DynamoDBClient({ endpoint, region: localRegion, credentials: localCredentials });
  try {
    const existing = await describeTable(client, name);
    if (existing) return { ...existing, created: false };
    await client.send(new CreateTableCommand(createTableInput(name)));
    await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: name });
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
      }),
    );
    const created = await describeTable(client, name);
    if (!created) throw new Error(`Table ${name} was created but cannot be described`);
    return { ...created, created: true };
  } finally {
    client.destroy();
  }
}

/** The CreateTable input built from the shared table definition, as the CDK app builds the real one. */
export function createTableInput(name: string) {
  const keyNames = new Set<string>([tableDefinition.partitionKey, tableDefinition.sortKey]);
  for (const index of tableDefinition.globalSecondaryIndexes) {
    keyNames.add(index.partitionKey);
    keyNames.add(index.sortKey);
  }
  const attributeDefinitions: AttributeDefinition[] = [...keyNames].map((attributeName) => ({
    AttributeName: attributeName,
    AttributeType: 'S',
  }));
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: attributeDefinitions,
    KeySchema: [
      { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: tableDefinition.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' as const },
  };
}

async function describeTable(
  client: DynamoDBClient,
  name: string,
): Promise<Omit<ProvisionedTable, 'created'> | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (!Table?.TableArn || !Table.LatestStreamArn) {
      throw new Error(
        `Table ${name} exists without a stream; delete the local data folder (--reset) to rebuild it`,
      );
    }
    return { tableName: name, tableArn: Table.TableArn, streamArn: Table.LatestStreamArn };
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

export interface ProvisionedQueue {
  name: string;
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
}

/**
 * Creates every queue with its dead-letter queue `<name>-dlq` and a redrive policy, as the CDK app does.
 * CreateQueue is idempotent in SQS when the attributes match, so existing queues are looked up instead.
 */
export async function provisionQueues(
  endpoint: string,
  queues: Record<string, QueueSpec> = manifestQueues,
): Promise<Record<string, ProvisionedQueue>> {
  const client = new SQSClient({ endpoint, region: localRegion, credentials: localCredentials });
  try {
    const provisioned: Record<string, ProvisionedQueue> = {};
    for (const [name, spec] of Object.entries(queues)) {
      const dlq = await ensureQueue(client, `${name}-dlq`, {
        MessageRetentionPeriod: String(14 * 24 * 3600),
      });
      const queue = await ensureQueue(client, name, {
        VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlq.arn,
          maxReceiveCount: spec.maxReceiveCount,
        }),
      });
      provisioned[name] = { name, url: queue.url, arn: queue.arn, dlqUrl: dlq.url, dlqArn: dlq.arn };
    }
    return provisioned;
  } finally {
    client.destroy();
  }
}

async function ensureQueue(
  client: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const existing = await existingQueueUrl(client, name);
  // An existing queue takes the manifest's current settings, so editing the manifest needs no --reset.
  if (existing)
    await client.send(new SetQueueAttributesCommand({ QueueUrl: existing, Attributes: attributes }));
  const url = existing ?? (await createQueue(client, name, attributes));
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  if (!Attributes?.QueueArn) throw new Error(`Queue ${name} has no ARN`);
  return { url, arn: Attributes.QueueArn };
}

async function existingQueueUrl(client: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    if (error instanceof Error && /NonExistentQueue|QueueDoesNotExist/.test(error.name)) return undefined;
    throw error;
  }
}

async function createQueue(
  client: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
  return QueueUrl;
}

/** The local files bucket's name; in AWS the CDK app names it. */
export function filesBucketName(stage: string): string {
  return `cohort-${stage}-files`;
}

/**
 * Creates the files bucket with the lifecycle rules the CDK app gives it (fauxqs stores them without
 * enforcing them). Path-style, as everything local addresses S3.
 */
export async function provisionBucket(endpoint: string, name = filesBucketName('local')): Promise<string> {
  const client = new S3Client({
    endpoint,
    region: localRegion,
    credentials: localCredentials,
    forcePathStyle: true,
  });
  try {
    const exists = await client
      .send(new HeadBucketCommand({ Bucket: name }))
      .then(() => true)
      .catch(() => false);
    if (!exists) await client.send(new CreateBucketCommand({ Bucket: name }));
    const days = stages.local.fileRetentionDays;
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: name,
        LifecycleConfiguration: {
          Rules: Object.entries(filePrefixes).map(([id, prefix]) => ({
            ID: `expire-${id}`,
            Status: 'Enabled',
            Filter: { Prefix: prefix },
            Expiration: { Days: days },
          })),
        },
      }),
    );
    return name;
  } finally {
    client.destroy();
  }
}
