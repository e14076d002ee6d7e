import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { itemToLine } from '../../tables/repository/itemLines';
import type { Item } from '../../tables/source/dynamoJson';

export interface TableComparison {
  equal: boolean;
  itemsA: number;
  itemsB: number;
  /** Items whose content differs or that exist on one side only. */
  differences: number;
}

/** A digest of an item that does not depend on attribute order. */
function itemDigest(item: Item): string {
  const sorted = (value: unknown): unknown => {
    if (value instanceof Uint8Array || Array.isArray(value) || !value || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
    );
  };
  return createHash('sha256')
    .update(itemToLine(sorted(item) as Item))
    .digest('base64');
}

async function digests(client: DynamoDBClient, table: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let start: Item | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) {
      const d = itemDigest(item);
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return counts;
}

/** Compares two tables item by item (order-free), reading both in full. */
export async function compareTables(client: DynamoDBClient, a: string, b: string): Promise<TableComparison> {
  const [left, right] = await Promise.all([digests(client, a), digests(client, b)]);
  let differences = 0;
  for (const [d, n] of left) differences += Math.abs(n - (right.get(d) ?? 0));
  for (const [d, n] of right) if (!left.has(d)) differences += n;
  const total = (m: Map<string, number>): number => [...m.values()].reduce((x, y) => x + y, 0);
  return { equal: differences === 0, itemsA: total(left), itemsB: total(right), differences };
}
