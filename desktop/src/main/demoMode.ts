import { join } from 'node:path';
import { BatchWriteItemCommand, CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  AwsClients,
  DEMO_BUCKET,
  DEMO_TABLE,
  listTables,
  type RunningEmulators,
  startEmulators,
  studentItems,
} from '@coldkeep/shared';

export interface DemoEnvironment {
  emulators: RunningEmulators;
  bucket: string;
  table: string;
}

/**
 * Local demo mode: the embedded emulators (DynamoDB, S3, SES on 127.0.0.1) with data kept in the
 * app's data folder, a bucket and a small student table to back up, so every page can be tried
 * without an AWS account.
 */
export async function startDemo(dataDir: string, items = 200): Promise<DemoEnvironment> {
  const emulators = await startEmulators({ dataDir: join(dataDir, 'demo'), dynamodbOnDisk: true });
  const clients = new AwsClients(emulators.settings);
  try {
    await clients.s3.send(new CreateBucketCommand({ Bucket: DEMO_BUCKET })).catch((err: { name?: string }) => {
      if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
    });
    if (!(await listTables(clients.dynamodb)).includes(DEMO_TABLE)) await loadStudents(clients.dynamodb, items);
  } catch (err) {
    await emulators.stop();
    throw err;
  } finally {
    clients.destroy();
  }
  return { emulators, bucket: DEMO_BUCKET, table: DEMO_TABLE };
}

async function loadStudents(dynamodb: DynamoDBClient, count: number): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: DEMO_TABLE,
      KeySchema: [{ AttributeName: 'StudentId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'StudentId', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const items = studentItems(count);
  for (let i = 0; i < items.length; i += 25) {
    await dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: { [DEMO_TABLE]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  }
}
