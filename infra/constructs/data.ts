import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { tableDefinition, tableName } from '../../shared/store/table.ts';
import type { StageSettings } from '../stages.ts';
import { dataRemovalPolicy } from './defaults.ts';

export interface DataProps {
  stage: string;
  settings: StageSettings;
}

/**
 * The single table, built from the same definition the entities and the local stack use, so the keys
 * and indexes cannot drift between environments.
 */
export class Data extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const string = dynamodb.AttributeType.STRING;

    this.table = new dynamodb.Table(this, 'Table', {
      tableName: tableName(props.stage),
      partitionKey: { name: tableDefinition.partitionKey, type: string },
      sortKey: { name: tableDefinition.sortKey, type: string },
      // On demand: traffic is bursty (imports, campaign fan-out) and idle between bursts.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The stream feeds the change publisher; both images so erasures and diffs can be told apart.
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
      // AWS-managed KMS rather than the default AWS-owned key: key use shows up in CloudTrail, and
      // unlike a customer-managed key it needs no key policy for stream readers.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: dataRemovalPolicy(props.settings),
      // Where data is retained, a stray `cdk destroy` or console click must not delete the table either.
      deletionProtection: props.settings.retainData,
    });

    for (const index of tableDefinition.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: string },
        sortKey: { name: index.sortKey, type: string },
        // ALL: the entities read whole items from the indexes; projections would force a second read.
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
