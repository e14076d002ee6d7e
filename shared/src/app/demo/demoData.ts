import { BatchWriteItemCommand, CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { listTables } from '../../tables/source/describeTable';
import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { runPool } from '../../base/jobs/pool';
import { studentItems } from './studentData';

export const DEMO_BUCKET = 'coldkeep-demo';
export const DEMO_TABLE = 'studentData';

/** On fresh emulators: the demo bucket, and the studentData table filled with `itemCount` students. */
export async function createDemoData(clients: AwsClients, itemCount: number, signal?: AbortSignal): Promise<void> {
  await clients.s3.send(new CreateBucketCommand({ Bucket: DEMO_BUCKET }), { abortSignal: signal });
  await createStudentTable(clients, itemCount, signal);
}

/**
 * On emulators that keep their data (the desktop app's demo mode): the demo bucket and table,
 * each made only when it is not there yet, so a restart keeps what the user backed up and changed.
 */
export async function ensureDemoData(clients: AwsClients, itemCount: number, signal?: AbortSignal): Promise<void> {
  await clients.s3
    .send(new CreateBucketCommand({ Bucket: DEMO_BUCKET }), { abortSignal: signal })
    .catch((err: { name?: string }) => {
      if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
    });
  if (!(await listTables(clients.dynamodb, signal)).includes(DEMO_TABLE)) {
    await createStudentTable(clients, itemCount, signal);
  }
}

async function createStudentTable(clients: AwsClients, itemCount: number, signal?: AbortSignal): Promise<void> {
  await clients.dynamodb.send(
    new CreateTableCommand({
      TableName: DEMO_TABLE,
      KeySchema: [{ AttributeName: 'StudentId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'StudentId', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
    { abortSignal: signal },
  );
  const items = studentItems(itemCount);
  const batches = Array.from({ length: Math.ceil(items.length / 25) }, (_, i) => items.slice(i * 25, i * 25 + 25));
  await runPool(
    batches,
    8,
    async (batch, batchSignal) => {
      const result = await clients.dynamodb.send(
        new BatchWriteItemCommand({
          RequestItems: { [DEMO_TABLE]: batch.map((Item) => ({ PutRequest: { Item } })) },
        }),
        { abortSignal: batchSignal },
      );
      if (Object.keys(result.UnprocessedItems ?? {}).length) {
        throw new ColdkeepError('EmulatorFailed', 'The local DynamoDB left items unprocessed while loading the demo.');
      }
    },
    signal,
  );
}
