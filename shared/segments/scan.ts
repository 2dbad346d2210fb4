import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../platform/aws.ts';
import { tableNameFromEnv } from '../platform/config.ts';
import { tableDefinition } from '../store/table.ts';
import {
  addCustomerItem,
  type CustomerItems,
  customerIdOfKey,
  emptyCustomerItems,
  readCustomerItems,
} from './subjects.ts';

/**
 * Reads the customer base a page at a time from one parallel-scan segment of the table, whole customer
 * partitions at a time: DynamoDB returns a partition's items together and in sort-key order, so a page is
 * a run of complete partitions, except that its last partition may go on in the next page. That one is
 * held back and the page ends before it (or, when it is the page's only partition, read by a query), so
 * no customer is ever evaluated on half its items (a profile missing would read as "gone").
 */

const { partitionKey, sortKey } = tableDefinition;
type Key = Record<string, unknown>;

export interface CustomerPage {
  customers: CustomerItems[];
  /** Where the next page starts, as JSON; '' when the scan segment is done. */
  next: string;
  /** Items the scan read, customers' or not (the page's cost). */
  scanned: number;
}

export async function scanCustomers(
  segment: number,
  totalSegments: number,
  startKey: string | undefined,
  limit: number,
): Promise<CustomerPage> {
  const result = await documentClient().send(
    new ScanCommand({
      TableName: tableNameFromEnv(),
      Segment: segment,
      TotalSegments: totalSegments,
      Limit: limit,
      FilterExpression: 'begins_with(#pk, :cust)',
      ExpressionAttributeNames: { '#pk': partitionKey },
      ExpressionAttributeValues: { ':cust': 'CUST#' },
      ...(startKey && { ExclusiveStartKey: JSON.parse(startKey) as Key }),
    }),
  );
  const items = result.Items ?? [];
  const groups: { pk: string; items: Key[] }[] = [];
  for (const item of items) {
    const pk = String(item[partitionKey]);
    const last = groups[groups.length - 1];
    if (last?.pk === pk) last.items.push(item);
    else groups.push({ pk, items: [item] });
  }
  const lastKey = result.LastEvaluatedKey;
  let next = lastKey ? JSON.stringify(lastKey) : '';
  const tail = groups[groups.length - 1];
  let tailItems: CustomerItems | undefined;
  if (lastKey && tail && lastKey[partitionKey] === tail.pk) {
    groups.pop();
    const previous = groups[groups.length - 1];
    if (previous) {
      const end = previous.items[previous.items.length - 1] as Key;
      next = JSON.stringify({ [partitionKey]: end[partitionKey], [sortKey]: end[sortKey] });
    } else {
      // A partition larger than a page: read it whole, and go on after its last item.
      const customerId = customerIdOfKey(tail.pk) as string;
      tailItems = await readCustomerItems(customerId);
      next = JSON.stringify(await lastKeyOf(tail.pk));
    }
  }
  const customers = groups.map((g) => {
    const into = emptyCustomerItems(customerIdOfKey(g.pk) as string);
    for (const item of g.items) addCustomerItem(into, item);
    return into;
  });
  if (tailItems) customers.push(tailItems);
  return { customers, next, scanned: result.ScannedCount ?? items.length };
}

async function lastKeyOf(pk: string): Promise<Key> {
  const result = await documentClient().send(
    new QueryCommand({
      TableName: tableNameFromEnv(),
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': partitionKey },
      ExpressionAttributeValues: { ':pk': pk },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const item = result.Items?.[0] ?? {};
  return { [partitionKey]: item[partitionKey] ?? pk, [sortKey]: item[sortKey] };
}
