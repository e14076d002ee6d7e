import { BatchWriteItemCommand, CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { runPool } from '../../base/jobs/pool';
import { studentItems } from './studentData';

export const DEMO_BUCKET = 'coldkeep-demo';
export const DEMO_TABLE = 'studentData';

/** On fresh emulators: the demo bucket, and the studentData table filled with `itemCount` students. */
export async function createDemoData(clients: AwsClients, itemCount: number, signal?: AbortSignal): Promise<void> {
  await clients.s3.send(new CreateBucketCommand({ Bucket: DEMO_BUCKET }), { abortSignal: signal });
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
