import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ScanCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { range, runPool } from '../../base/jobs/pool';
import type { IndexSchema, TableSchema, Throughput } from '../source/tableSchema';

export interface TargetState {
  exists: boolean;
  empty: boolean;
  keySchema?: { AttributeName?: string; KeyType?: string }[];
  writeCapacityUnits?: number;
}

export async function inspectTarget(client: DynamoDBClient, table: string, signal?: AbortSignal): Promise<TargetState> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }), { abortSignal: signal });
    const sample = await client.send(new ScanCommand({ TableName: table, Limit: 1, Select: 'COUNT' }), {
      abortSignal: signal,
    });
    const provisioned = Table?.BillingModeSummary?.BillingMode !== 'PAY_PER_REQUEST';
    return {
      exists: true,
      // A Limit-1 scan that stops early still says whether anything is there.
      empty: (sample.Count ?? 0) === 0 && !sample.LastEvaluatedKey,
      keySchema: Table?.KeySchema,
      ...(provisioned && Table?.ProvisionedThroughput?.WriteCapacityUnits
        ? { writeCapacityUnits: Table.ProvisionedThroughput.WriteCapacityUnits }
        : {}),
    };
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') return { exists: false, empty: true };
    throw fromAwsError(err, { doing: `inspect table ${table}`, table });
  }
}

/** A restore must not mix items into a table keyed differently from the backup. */
export function assertSameKeys(target: string, actual: TargetState['keySchema'], schema: TableSchema): void {
  const describe = (keys: { AttributeName?: string; KeyType?: string }[] | undefined): string =>
    (keys ?? []).map((k) => `${k.AttributeName}(${k.KeyType})`).join(', ');
  if (describe(actual) !== describe(schema.keySchema)) {
    throw new ColdkeepError(
      'InvalidInput',
      `Table "${target}" is keyed ${describe(actual)}, the backup ${describe(schema.keySchema)}.`,
      { hint: 'Restore into a new table instead: {setting:target=NEW_NAME} creates it from the saved schema.' },
    );
  }
}

function throughput(t: Throughput | undefined) {
  return t ? { ReadCapacityUnits: t.readCapacityUnits, WriteCapacityUnits: t.writeCapacityUnits } : undefined;
}

function index(i: IndexSchema, provisioned: boolean) {
  return {
    IndexName: i.indexName,
    KeySchema: i.keySchema,
    Projection: i.projection,
    ...(provisioned && i.provisionedThroughput ? { ProvisionedThroughput: throughput(i.provisionedThroughput) } : {}),
  };
}

/** CreateTable input that recreates the saved schema under a (possibly new) name. TTL comes after the load. */
export function createTableInput(schema: TableSchema, tableName: string): CreateTableCommandInput {
  const provisioned = schema.billingMode === 'PROVISIONED';
  return {
    TableName: tableName,
    KeySchema: schema.keySchema,
    AttributeDefinitions: schema.attributeDefinitions,
    BillingMode: schema.billingMode,
    ...(provisioned ? { ProvisionedThroughput: throughput(schema.provisionedThroughput) } : {}),
    ...(schema.globalSecondaryIndexes.length
      ? { GlobalSecondaryIndexes: schema.globalSecondaryIndexes.map((i) => index(i, provisioned)) }
      : {}),
    ...(schema.localSecondaryIndexes.length
      ? { LocalSecondaryIndexes: schema.localSecondaryIndexes.map((i) => index(i, false)) }
      : {}),
    ...(schema.stream?.enabled
      ? { StreamSpecification: { StreamEnabled: true, StreamViewType: schema.stream.viewType } }
      : {}),
    ...(schema.sse?.type === 'KMS' && schema.sse.kmsKeyArn
      ? { SSESpecification: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: schema.sse.kmsKeyArn } }
      : {}),
    ...(schema.tableClass ? { TableClass: schema.tableClass } : {}),
    ...(schema.deletionProtection ? { DeletionProtectionEnabled: true } : {}),
  };
}

export async function createTableFromSchema(
  client: DynamoDBClient,
  schema: TableSchema,
  tableName: string,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(schema, tableName)), { abortSignal: signal });
    await waitUntilTableExists(
      { client, maxWaitTime: 900, minDelay: 1, maxDelay: 10, abortSignal: signal },
      { TableName: tableName },
    );
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceInUseException') {
      throw new ColdkeepError('TableExists', `Table "${tableName}" was created by someone else meanwhile.`, {
        hint: 'Run the restore again; it will write into the existing table only with {setting:overwrite}.',
        cause: err,
      });
    }
    throw fromAwsError(err, { doing: `create table ${tableName}`, table: tableName });
  }
}

export async function applyTtl(client: DynamoDBClient, schema: TableSchema, tableName: string): Promise<void> {
  if (!schema.ttl?.enabled) return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: schema.ttl.attributeName, Enabled: true },
    }),
  );
}

/** Counts a table's items exactly with a parallel COUNT scan. */
export async function countItems(
  client: DynamoDBClient,
  table: string,
  segments: number,
  signal?: AbortSignal,
): Promise<number> {
  let total = 0;
  await runPool(
    range(segments),
    Math.min(segments, 8),
    async (segment) => {
      let start: Record<string, never> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: table,
            Select: 'COUNT',
            Segment: segment,
            TotalSegments: segments,
            ExclusiveStartKey: start,
            ConsistentRead: true,
          }),
          { abortSignal: signal },
        );
        total += page.Count ?? 0;
        start = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (start);
    },
    signal,
  );
  return total;
}
