import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { schemaFromDescription, type TableSchema } from './tableSchema';

export async function listTables(client: DynamoDBClient, signal?: AbortSignal): Promise<string[]> {
  const names: string[] = [];
  try {
    let start: string | undefined;
    do {
      const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }), {
        abortSignal: signal,
      });
      names.push(...(page.TableNames ?? []));
      start = page.LastEvaluatedTableName;
    } while (start);
  } catch (err) {
    throw fromAwsError(err, { doing: 'list tables', region: await client.config.region() });
  }
  return names;
}

/** Describes a table and its TTL setting, as a schema restore can recreate. */
export async function describeTable(
  client: DynamoDBClient,
  tableName: string,
  signal?: AbortSignal,
): Promise<TableSchema> {
  const region = await client.config.region();
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }), { abortSignal: signal });
    if (!Table) throw new Error(`DescribeTable returned no table for ${tableName}`);
    const ttl = await client
      .send(new DescribeTimeToLiveCommand({ TableName: tableName }), { abortSignal: signal })
      .then((r) => r.TimeToLiveDescription)
      // Some DynamoDB-compatible stores (and narrow IAM policies) lack DescribeTimeToLive; TTL is then unknown, not fatal.
      .catch(() => undefined);
    return schemaFromDescription(Table, ttl);
  } catch (err) {
    throw fromAwsError(err, { doing: `describe table ${tableName}`, table: tableName, region });
  }
}
