/**
 * The single table's physical shape, shared by the CDK app, the local stack and the entities.
 * Key templates live in the entities (shared/store/entities); this file names the attributes only.
 */
export const tableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'expiresAt',
  globalSecondaryIndexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  ],
} as const;

export type IndexName = (typeof tableDefinition.globalSecondaryIndexes)[number]['indexName'];

/** Write shards for keys that many writers hit at once (the all-customers listing index). */
export const CUSTOMER_LIST_SHARDS = 16;

export function tableName(stage: string): string {
  return `cohort-${stage}`;
}
