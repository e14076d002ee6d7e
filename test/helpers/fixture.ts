import { randomUUID } from 'node:crypto';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  type AwsOperationCall,
  AwsClients,
  type AwsSettings,
  type Item,
  settingsFromEnv,
  startEmulators,
} from '@coldkeep/shared';

/**
 * Where integration tests run: the embedded emulators (dynalite, s3rver) by default, or any
 * AWS-compatible endpoint with COLDKEEP_TEST_TARGET=aws (`env` is an alias): real AWS, LocalStack,
 * another emulator. Then the environment gives
 *   COLDKEEP_TEST_PROFILE (else AWS_PROFILE), COLDKEEP_TEST_REGION (else AWS_REGION…),
 *   COLDKEEP_TEST_BUCKET (else a bucket is made for the run and deleted after it),
 *   COLDKEEP_TEST_PREFIX (default "coldkeep-test"; each run writes under <prefix>/<run id>/),
 *   COLDKEEP_ENDPOINT_URL* (none: the services' real endpoints).
 * Every table and object a run creates is deleted when its target stops, failed tests included.
 */
export type TestTargetKind = 'embedded' | 'aws';

export interface TestTargetConfig {
  kind: TestTargetKind;
  /** aws only: region, profile and endpoints from the environment. */
  settings: AwsSettings;
  /** aws only: a bucket the run may write in, under `runPrefix`. */
  bucket?: string;
  /** The key prefix of this run: unique, under COLDKEEP_TEST_PREFIX. */
  runPrefix: string;
}

/** Which target the environment asks for; reads nothing but `env`, calls nothing. */
export function testTargetConfig(env: NodeJS.ProcessEnv = process.env): TestTargetConfig {
  const runPrefix = `${(env.COLDKEEP_TEST_PREFIX ?? 'coldkeep-test').replace(/\/+$/, '')}/${runId()}`;
  const target = env.COLDKEEP_TEST_TARGET ?? 'embedded';
  if (target === 'embedded') return { kind: 'embedded', settings: {}, runPrefix };
  if (target !== 'aws' && target !== 'env') {
    throw new Error(
      `COLDKEEP_TEST_TARGET=${target}: use "aws" (alias "env"), or leave it out for the embedded emulators.`,
    );
  }
  const settings = settingsFromEnv(env);
  const profile = env.COLDKEEP_TEST_PROFILE ?? env.AWS_PROFILE;
  if (profile) settings.profile = profile;
  if (env.COLDKEEP_TEST_REGION) settings.region = env.COLDKEEP_TEST_REGION;
  return {
    kind: 'aws',
    settings,
    ...(env.COLDKEEP_TEST_BUCKET ? { bucket: env.COLDKEEP_TEST_BUCKET } : {}),
    runPrefix,
  };
}

/** "20261207T164500Z-1a2b3c4d": sorts by time, unique per run. */
function runId(): string {
  return `${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}-${randomUUID().slice(0, 8)}`;
}

/** This process's target, read once: test files register (or leave out) tests by it. */
export const TEST_TARGET = testTargetConfig();

/** Tests that need the embedded emulators (the fault proxy fronts only a loopback HTTP endpoint). */
export const onEmbedded = TEST_TARGET.kind === 'embedded';

/** `describe`/`test` for the embedded emulators only; on another target the tests are not registered at all. */
export function embeddedOnly<F extends (...args: never[]) => unknown>(register: F): F {
  return onEmbedded ? register : ((() => {}) as unknown as F);
}

/** A key prefix of this run: `<COLDKEEP_TEST_PREFIX>/<run id>/<name>`. */
export function underRun(name: string): string {
  return `${TEST_TARGET.runPrefix}/${name}`;
}

/**
 * What a run created, from the SDK calls it made (AwsSettings.onOperation): tables made by
 * CreateTable or ImportTable, objects written. `clean()` deletes them all, and whatever is under the run prefix.
 */
export class CreatedResources {
  readonly tables = new Set<string>();
  readonly objects = new Set<string>();

  constructor(
    readonly bucket: string,
    readonly runPrefix: string,
  ) {}

  record(call: AwsOperationCall): void {
    const input = call.input as {
      TableName?: string;
      TableCreationParameters?: { TableName?: string };
      Bucket?: string;
      Key?: string;
    };
    if (call.service === 'dynamodb' && call.operation === 'CreateTable' && input.TableName) {
      this.tables.add(input.TableName);
    }
    if (call.service === 'dynamodb' && call.operation === 'ImportTable' && input.TableCreationParameters?.TableName) {
      this.tables.add(input.TableCreationParameters.TableName);
    }
    const writes = ['PutObject', 'CreateMultipartUpload', 'CopyObject'];
    if (call.service === 's3' && writes.includes(call.operation) && input.Bucket === this.bucket && input.Key) {
      this.objects.add(input.Key);
    }
  }

  /** Deletes every table and object recorded, and every object under the run prefix; names what it could not. */
  async clean(clients: AwsClients): Promise<string[]> {
    const problems: string[] = [];
    for (const table of this.tables) {
      await clients.dynamodb.send(new DeleteTableCommand({ TableName: table })).catch((err: unknown) => {
        if ((err as { name?: string }).name !== 'ResourceNotFoundException')
          problems.push(`table ${table}: ${String(err)}`);
      });
    }
    const keys = new Set([...this.objects, ...(await listKeys(clients.s3, this.bucket, `${this.runPrefix}/`))]);
    const all = [...keys];
    for (let i = 0; i < all.length; i += 1000) {
      const batch = all.slice(i, i + 1000);
      const answer = await clients.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      for (const failed of answer.Errors ?? []) problems.push(`object ${failed.Key}: ${failed.Code}`);
    }
    return problems;
  }
}

export interface TestTarget {
  kind: TestTargetKind;
  clients: AwsClients;
  settings: AwsSettings;
  bucket: string;
  /** The emulators' process id, when the target is the embedded emulators. */
  emulatorPid?: number;
  /** What the run created, deleted by `stop()`. */
  created: CreatedResources;
  stop(): Promise<void>;
}

export async function startTarget(config: TestTargetConfig = TEST_TARGET): Promise<TestTarget> {
  if (config.kind === 'aws') {
    const madeBucket = config.bucket === undefined;
    const bucket = config.bucket ?? uniqueName('coldkeep-test');
    const created = new CreatedResources(bucket, config.runPrefix);
    const settings: AwsSettings = { ...config.settings, onOperation: (call) => created.record(call) };
    const clients = new AwsClients(settings);
    if (madeBucket) await createBucket(clients.s3, bucket, clients.region);
    return {
      kind: 'aws',
      clients,
      settings,
      bucket,
      created,
      stop: async () => {
        try {
          const problems = await created.clean(clients);
          if (madeBucket && problems.length === 0) await clients.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
          if (problems.length) throw new Error(`Clean-up left ${problems.length} thing(s): ${problems.join('; ')}`);
        } finally {
          clients.destroy();
        }
      },
    };
  }
  const emulators = await startEmulators();
  const clients = new AwsClients(emulators.settings);
  const bucket = await createBucket(clients.s3, uniqueName('coldkeep-test'));
  return {
    kind: 'embedded',
    clients,
    settings: emulators.settings,
    bucket,
    emulatorPid: emulators.pid,
    // The emulators' data goes with them.
    created: new CreatedResources(bucket, config.runPrefix),
    stop: async () => {
      clients.destroy();
      await emulators.stop();
    },
  };
}

export function uniqueName(base: string): string {
  return `${base}-${randomUUID().slice(0, 8)}`;
}

export async function createBucket(s3: S3Client, bucket: string, region?: string): Promise<string> {
  // Outside us-east-1, S3 wants the bucket's region named.
  const location =
    region && region !== 'us-east-1'
      ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }
      : {};
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ...location }));
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
