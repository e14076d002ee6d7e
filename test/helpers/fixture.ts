import { randomUUID } from 'node:crypto';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { AwsClients, type AwsSettings, type Item, settingsFromEnv, startEmulators } from '@coldkeep/shared';

/**
 * Where integration tests run: the embedded emulators by default, or any AWS-compatible
 * endpoint given by the environment (COLDKEEP_TEST_TARGET=env uses COLDKEEP_ENDPOINT_URL*,
 * AWS_PROFILE/AWS_REGION and friends, e.g. LocalStack or a real account).
 */
export interface TestTarget {
  clients: AwsClients;
  settings: AwsSettings;
  bucket: string;
  /** The emulators' process id, when the target is the embedded emulators. */
  emulatorPid?: number;
  stop(): Promise<void>;
}

export async function startTarget(): Promise<TestTarget> {
  if (process.env.COLDKEEP_TEST_TARGET === 'env') {
    const settings = settingsFromEnv();
    const clients = new AwsClients(settings);
    const bucket = process.env.COLDKEEP_TEST_BUCKET ?? (await createBucket(clients.s3, uniqueName('coldkeep-test')));
    return { clients, settings, bucket, stop: async () => clients.destroy() };
  }
  const emulators = await startEmulators();
  const clients = new AwsClients(emulators.settings);
  const bucket = await createBucket(clients.s3, uniqueName('coldkeep-test'));
  return {
    clients,
    settings: emulators.settings,
    bucket,
    emulatorPid: emulators.pid,
    stop: async () => {
      clients.destroy();
      await emulators.stop();
    },
  };
}

export function uniqueName(base: string): string {
  return `${base}-${randomUUID().slice(0, 8)}`;
}

export async function createBucket(s3: S3Client, bucket: string): Promise<string> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export async function createTable(
  dynamodb: DynamoDBClient,
  input: Partial<CreateTableCommandInput> & { TableName: string },
): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      ...input,
    }),
  );
  // dynalite turns a table ACTIVE on a timer: on a busy machine the first write can come first.
  for (let tries = 0; tries < 500; tries++) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: input.TableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Table ${input.TableName} did not become ACTIVE`);
}

/** Writes items 25 at a time (no fault proxy in the way, so nothing comes back unprocessed). */
export async function putItems(dynamodb: DynamoDBClient, table: string, items: Item[]): Promise<void> {
  const batches: Item[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  for (let i = 0; i < batches.length; i += 8) {
    await Promise.all(
      batches.slice(i, i + 8).map(async (batch) => {
        const result = await dynamodb.send(
          new BatchWriteItemCommand({ RequestItems: { [table]: batch.map((Item) => ({ PutRequest: { Item } })) } }),
        );
        if (Object.keys(result.UnprocessedItems ?? {}).length) throw new Error('unexpected UnprocessedItems');
      }),
    );
  }
}

export async function scanAll(dynamodb: DynamoDBClient, table: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function listKeys(s3: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** A stable, order-free fingerprint of a set of items, to compare tables. */
export function canonical(items: Item[]): string[] {
  const normalize = (v: unknown): unknown => {
    if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('base64') };
    if (Array.isArray(v)) return v.map(normalize);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, normalize((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return items.map((item) => JSON.stringify(normalize(item))).sort();
}

/** Asserts two sets of items are equal, order-free, and names only the first few differences. */
export function assertSameItems(actual: Item[], expected: Item[], message = 'items differ'): void {
  const a = canonical(actual);
  const e = canonical(expected);
  const expectedSet = new Set(e);
  const actualSet = new Set(a);
  const missing = e.filter((x) => !actualSet.has(x));
  const extra = a.filter((x) => !expectedSet.has(x));
  const cut = (list: string[]): string[] => list.slice(0, 3).map((s) => (s.length > 200 ? `${s.slice(0, 200)}…` : s));
  if (a.length !== e.length || missing.length || extra.length) {
    throw new Error(
      `${message}: ${a.length} items, expected ${e.length}; ${missing.length} missing ${JSON.stringify(cut(missing))}; ` +
        `${extra.length} unexpected ${JSON.stringify(cut(extra))}`,
    );
  }
}
