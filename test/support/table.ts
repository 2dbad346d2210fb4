import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';

/** Direct access to the stack's table, for assertions about what is (not) stored. */
export function tableClient() {
  const env = inject('stackEnv');
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: env.DYNAMODB_ENDPOINT,
      region: env.AWS_REGION ?? 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  return { client, tableName: env.TABLE_NAME as string };
}

export async function scanAll(): Promise<Record<string, unknown>[]> {
  const { client, tableName } = tableClient();
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/**
 * The table without the items stream consumers write in the background as customers change (segment
 * membership states and time schedules), for tests that check a request wrote nothing: those items
 * are the consumers' answer to earlier writes, not the request's.
 */
export async function scanAllButBackground(): Promise<Record<string, unknown>[]> {
  return (await scanAll()).filter((item) => !String(item.__edb_e__).startsWith('segment'));
}
