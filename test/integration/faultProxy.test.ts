import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ScanCommand,
  ThrottlingException,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { AwsClients, EMULATOR_CREDENTIALS, startEmulators, type RunningEmulators } from '@coldkeep/shared';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../helpers/faultProxy';

const BUCKET = 'fault-proxy';
let emulators: RunningEmulators;
let direct: AwsClients;

before(async () => {
  emulators = await startEmulators();
  direct = new AwsClients(emulators.settings);
  for (const name of ['fp-scan', 'fp-a', 'fp-b', 'fp-c']) await createTable(name);
  await putItems('fp-scan', 40);
  await direct.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

after(async () => {
  direct?.destroy();
  await emulators?.stop();
});

async function createTable(name: string): Promise<void> {
  await direct.dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  for (let i = 0; i < 100; i++) {
    const { Table } = await direct.dynamodb.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${name} did not become ACTIVE`);
}

const put = (id: string): WriteRequest => ({ PutRequest: { Item: { id: { S: id }, pad: { S: 'x'.repeat(200) } } } });
const del = (id: string): WriteRequest => ({ DeleteRequest: { Key: { id: { S: id } } } });
const idOf = (r: WriteRequest): string | undefined => r.PutRequest?.Item?.['id']?.S ?? r.DeleteRequest?.Key?.['id']?.S;

async function putItems(table: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 25) {
    const batch = Array.from({ length: Math.min(25, count - i) }, (_, j) =>
      put(`item-${String(i + j).padStart(3, '0')}`),
    );
    await direct.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: batch } }));
  }
}

/** The ids really stored in a table, read straight from the emulator. */
async function storedIds(table: string): Promise<string[]> {
  const { Items = [] } = await direct.dynamodb.send(new ScanCommand({ TableName: table }));
  return Items.map((item) => item['id']?.S ?? '?').sort();
}

/** 'ok' or the error's name, to compare a run of calls in one assertion. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (err) {
    return (err as Error).name;
  }
}

/** A promise and whether it has settled yet. */
function watched<T>(promise: Promise<T>): { promise: Promise<T>; settled: boolean } {
  const state = { promise, settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

/** A few turns of the event loop (setImmediate, which the fake timers leave alone). */
async function turns(count = 20): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits for an event the proxy counts (polling on setImmediate, so fake timers do not stop it). */
async function until(happened: () => boolean): Promise<void> {
  while (!happened()) await turns(1);
}

/** What the SDK puts on its errors (service errors and the network ones it wraps). */
interface SdkError extends Error {
  code?: string;
  $fault?: string;
  $metadata: { httpStatusCode?: number; attempts?: number };
}

async function rejection(call: Promise<unknown>): Promise<SdkError> {
  try {
    await call;
  } catch (err) {
    return err as SdkError;
  }
  assert.fail('expected the call to fail');
}

type DynamoConfig = ConstructorParameters<typeof DynamoDBClient>[0];

async function withDynamo(
  rules: FaultRule[],
  fn: (client: DynamoDBClient, proxy: FaultProxy) => Promise<void>,
  config: Partial<DynamoConfig> = {},
): Promise<void> {
  const proxy = await startFaultProxy(emulators.endpoints.dynamodb, rules);
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: proxy.url,
    credentials: EMULATOR_CREDENTIALS,
    maxAttempts: 1,
    ...config,
  });
  try {
    await fn(client, proxy);
  } finally {
    client.destroy();
    await proxy.stop();
  }
}

async function withS3(rules: FaultRule[], fn: (client: S3Client, proxy: FaultProxy) => Promise<void>): Promise<void> {
  const proxy = await startFaultProxy(emulators.endpoints.s3, rules);
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: proxy.url,
    credentials: EMULATOR_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
  try {
    await fn(client, proxy);
  } finally {
    client.destroy();
    await proxy.stop();
  }
}

/** A retry strategy that retries at once and records how the SDK classified each error. */
function recordingRetryStrategy(maxAttempts: number, errorTypes: string[]) {
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous: { getRetryCount(): number }, info: { errorType: string }) => {
      errorTypes.push(info.errorType);
      if (previous.getRetryCount() + 1 >= maxAttempts) throw new Error('out of attempts');
      return token(previous.getRetryCount() + 1);
    },
    recordSuccess: () => undefined,
  };
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

test('dynamoThrottle: ProvisionedThroughputExceededException on schedule, then normal forwarding', async () => {
  const rules: FaultRule[] = [{ match: { operation: 'Scan' }, action: { kind: 'dynamoThrottle' }, after: 1, times: 2 }];
  await withDynamo(rules, async (client, proxy) => {
    const scan = () => client.send(new ScanCommand({ TableName: 'fp-scan' }));
    // Another operation does not match and does not count.
    const described = await client.send(new DescribeTableCommand({ TableName: 'fp-scan' }));
    assert.equal(described.Table?.TableName, 'fp-scan');

    assert.equal((await scan()).Count, 40);
    const err = await rejection(scan());
    assert.ok(err instanceof ProvisionedThroughputExceededException, `got ${err.name}`);
    assert.equal(err.name, 'ProvisionedThroughputExceededException');
    assert.equal(err.$metadata.httpStatusCode, 400);
    assert.equal(err.$fault, 'client');
    assert.match(err.message, /provisioned throughput for the table was exceeded/);
    assert.equal(await outcome(scan()), 'ProvisionedThroughputExceededException');
    assert.equal((await scan()).Count, 40);

    assert.deepEqual(
      { ...proxy.stats, requests: undefined },
      { received: 5, forwarded: 3, injected: { dynamoThrottle: 2 }, requests: undefined },
    );
  });
});

test('dynamoThrottle: ThrottlingException and RequestLimitExceeded, `every`, and the SDK retries them as throttling', async () => {
  const rules: FaultRule[] = [
    {
      match: { operation: 'GetItem' },
      action: { kind: 'dynamoThrottle', errorType: 'ThrottlingException' },
      every: 2,
      times: 2,
    },
  ];
  const key = { id: { S: 'item-007' } };
  await withDynamo(rules, async (client, proxy) => {
    const get = () => client.send(new GetItemCommand({ TableName: 'fp-scan', Key: key }));
    const err = await rejection(get());
    assert.ok(err instanceof ThrottlingException, `got ${err.name}`);
    assert.equal(err.$metadata.httpStatusCode, 400);
    const rest = [];
    for (let i = 0; i < 4; i++) rest.push(await outcome(get()));
    assert.deepEqual(rest, ['ok', 'ThrottlingException', 'ok', 'ok']);

    proxy.setRules([
      { match: { operation: 'GetItem' }, action: { kind: 'dynamoThrottle', errorType: 'RequestLimitExceeded' } },
    ]);
    const limit = await rejection(get());
    assert.ok(limit instanceof RequestLimitExceeded, `got ${limit.name}`);
    assert.equal((await get()).Item?.['id']?.S, 'item-007');
  });

  // With retries on, the SDK classifies the fault as THROTTLING and the call succeeds on the third attempt.
  const errorTypes: string[] = [];
  const retrying: FaultRule[] = [{ match: { operation: 'GetItem' }, action: { kind: 'dynamoThrottle' }, times: 2 }];
  await withDynamo(
    retrying,
    async (client, proxy) => {
      const result = await client.send(new GetItemCommand({ TableName: 'fp-scan', Key: key }));
      assert.equal(result.Item?.['id']?.S, 'item-007');
      assert.equal(result.$metadata.attempts, 3);
      assert.deepEqual(errorTypes, ['THROTTLING', 'THROTTLING']);
      assert.equal(proxy.stats.forwarded, 1);
    },
    { maxAttempts: 3, retryStrategy: recordingRetryStrategy(3, errorTypes) },
  );
});

test('unprocessedItems: only the forwarded half is written; retrying the UnprocessedItems writes the rest', async () => {
  const rules: FaultRule[] = [{ match: {}, action: { kind: 'unprocessedItems' } }];
  await withDynamo(rules, async (client, proxy) => {
    const first = await client.send(
      new BatchWriteItemCommand({
        RequestItems: { 'fp-a': ['a0', 'a1', 'a2', 'a3', 'a4'].map(put), 'fp-b': ['b0', 'b1'].map(put) },
      }),
    );
    const unprocessed = first.UnprocessedItems ?? {};
    assert.deepEqual(Object.keys(unprocessed).sort(), ['fp-a', 'fp-b']);
    assert.deepEqual(unprocessed['fp-a']?.map(idOf), ['a1', 'a3']);
    assert.deepEqual(unprocessed['fp-b']?.map(idOf), ['b1']);
    // Held-back items come back whole, as sent.
    assert.equal(unprocessed['fp-a']?.[0]?.PutRequest?.Item?.['pad']?.S, 'x'.repeat(200));
    assert.deepEqual(await storedIds('fp-a'), ['a0', 'a2', 'a4']);
    assert.deepEqual(await storedIds('fp-b'), ['b0']);

    // The rule fired once: the retry goes through untouched.
    const second = await client.send(new BatchWriteItemCommand({ RequestItems: unprocessed }));
    assert.deepEqual(second.UnprocessedItems, {});
    assert.deepEqual(await storedIds('fp-a'), ['a0', 'a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(await storedIds('fp-b'), ['b0', 'b1']);
    assert.deepEqual(
      { ...proxy.stats, requests: undefined },
      { received: 2, forwarded: 2, injected: { unprocessedItems: 1 }, requests: undefined },
    );

    // Other operations never match an unprocessedItems rule.
    proxy.setRules(rules);
    assert.equal((await client.send(new ScanCommand({ TableName: 'fp-a' }))).Count, 5);
    assert.equal(proxy.stats.injected.unprocessedItems, 1);
  });
});

test('unprocessedItems: fraction 1 holds back everything, a single item is held back, deletes are forwarded', async () => {
  await direct.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { 'fp-c': [put('c0')] } }));
  await withDynamo([{ match: {}, action: { kind: 'unprocessedItems', fraction: 1 } }], async (client, proxy) => {
    const all = await client.send(
      new BatchWriteItemCommand({ RequestItems: { 'fp-c': [put('c1'), put('c2'), del('c0')] } }),
    );
    assert.deepEqual(all.UnprocessedItems?.['fp-c']?.map(idOf), ['c1', 'c2', 'c0']);
    assert.equal(proxy.stats.forwarded, 0, 'nothing reaches the emulator');
    assert.deepEqual(await storedIds('fp-c'), ['c0']);

    proxy.setRules([{ match: { operation: 'BatchWriteItem' }, action: { kind: 'unprocessedItems' } }]);
    const single = await client.send(new BatchWriteItemCommand({ RequestItems: { 'fp-c': [put('c1')] } }));
    assert.deepEqual(single.UnprocessedItems?.['fp-c']?.map(idOf), ['c1']);
    assert.deepEqual(await storedIds('fp-c'), ['c0']);

    proxy.setRules([{ match: { operation: 'BatchWriteItem' }, action: { kind: 'unprocessedItems' } }]);
    const mixed = await client.send(new BatchWriteItemCommand({ RequestItems: { 'fp-c': [del('c0'), put('c1')] } }));
    assert.deepEqual(mixed.UnprocessedItems, { 'fp-c': [put('c1')] });
    assert.deepEqual(await storedIds('fp-c'), []);
    assert.deepEqual(
      { ...proxy.stats, requests: undefined },
      { received: 3, forwarded: 1, injected: { unprocessedItems: 3 }, requests: undefined },
    );
  });
});

test('s3SlowDown and s3InternalError reach the SDK as SlowDown (503) and InternalError (500)', async () => {
  const body = 'hello through the proxy';
  const rules: FaultRule[] = [
    { match: { method: 'PUT', pathIncludes: `/${BUCKET}/slow.txt` }, action: { kind: 's3SlowDown' } },
    { match: { method: 'GET' }, action: { kind: 's3InternalError' } },
  ];
  await withS3(rules, async (client, proxy) => {
    const putSlow = () => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'slow.txt', Body: body }));
    const slow = await rejection(putSlow());
    assert.equal(slow.name, 'SlowDown');
    assert.equal(slow.$metadata.httpStatusCode, 503);
    assert.equal(slow.$fault, 'server');
    assert.match(slow.message, /reduce your request rate/);
    const missing = await rejection(direct.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'slow.txt' })));
    assert.equal(missing.name, 'NotFound', 'the faulted PUT must not have been stored');

    assert.equal(await outcome(putSlow()), 'ok');
    const get = () => client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'slow.txt' }));
    const internal = await rejection(get());
    assert.equal(internal.name, 'InternalError');
    assert.equal(internal.$metadata.httpStatusCode, 500);
    assert.equal(await (await get()).Body?.transformToString(), body);

    // A HEAD answer has no body to carry the code: the SDK only sees the status (real S3 behaves the same).
    proxy.setRules([{ match: { method: 'HEAD' }, action: { kind: 's3SlowDown' } }]);
    const head = await rejection(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'slow.txt' })));
    assert.equal(head.name, 'Unknown');
    assert.equal(head.$metadata.httpStatusCode, 503);
    assert.deepEqual(
      { ...proxy.stats, requests: undefined },
      { received: 5, forwarded: 2, injected: { s3SlowDown: 2, s3InternalError: 1 }, requests: undefined },
    );
  });
});

test('s3Error: an S3 error answer of the given status and code; nothing reaches the emulator', async () => {
  const rules: FaultRule[] = [
    {
      match: { method: 'PUT', pathIncludes: `/${BUCKET}/denied.txt` },
      action: { kind: 's3Error', status: 403, code: 'AccessDenied', message: 'Access Denied' },
    },
  ];
  await withS3(rules, async (client, proxy) => {
    const put = () => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'denied.txt', Body: 'no' }));
    const denied = await rejection(put());
    assert.equal(denied.name, 'AccessDenied');
    assert.equal(denied.$metadata.httpStatusCode, 403);
    assert.equal(denied.$fault, 'client');
    assert.equal(denied.message, 'Access Denied');
    const missing = await rejection(direct.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'denied.txt' })));
    assert.equal(missing.name, 'NotFound', 'the refused PUT must not have been stored');
    assert.equal(await outcome(put()), 'ok');
    assert.deepEqual(
      { ...proxy.stats, requests: undefined },
      { received: 2, forwarded: 1, injected: { s3Error: 1 }, requests: undefined },
    );
  });
});

test('S3 query matching: multipart CreateMultipartUpload (uploads) and UploadPart (partNumber), streamed 5 MiB part', async () => {
  const part1 = randomBytes(5 * 1024 * 1024);
  const part2 = randomBytes(1000);
  const rules: FaultRule[] = [
    { match: { method: 'POST', query: 'uploads' }, action: { kind: 's3InternalError' } },
    { match: { query: 'partNumber=1' }, action: { kind: 's3SlowDown' } },
  ];
  await withS3(rules, async (client, proxy) => {
    const create = () => client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'multi.bin' }));
    assert.equal(await outcome(create()), 'InternalError');
    const { UploadId } = await create();
    assert.ok(UploadId);
    const upload = (PartNumber: number, Body: Buffer) =>
      client.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'multi.bin', UploadId, PartNumber, Body }));
    assert.equal(await outcome(upload(1, part1)), 'SlowDown');
    const { ETag: etag1 } = await upload(1, part1);
    const { ETag: etag2 } = await upload(2, part2);
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'multi.bin',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: etag1 },
            { PartNumber: 2, ETag: etag2 },
          ],
        },
      }),
    );
    const stored = await direct.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'multi.bin' }));
    const bytes = await stored.Body!.transformToByteArray();
    assert.equal(bytes.length, part1.length + part2.length);
    assert.equal(sha256(bytes), sha256(Buffer.concat([part1, part2])));
    assert.deepEqual(proxy.stats.injected, { s3InternalError: 1, s3SlowDown: 1 });
    assert.equal(proxy.stats.forwarded, 4);
  });
});

test('resetMidBody: a DynamoDB Scan fails (ECONNRESET after the head), the SDK retries it as TRANSIENT', async () => {
  await withDynamo([{ match: { operation: 'Scan' }, action: { kind: 'resetMidBody' } }], async (client, proxy) => {
    const err = await rejection(client.send(new ScanCommand({ TableName: 'fp-scan' })));
    assert.equal(err.code, 'ECONNRESET');
    assert.match(err.message, /^aborted/);
    // The head (200) had arrived: the SDK fails while deserializing the cut body.
    assert.equal(err.$metadata?.httpStatusCode, 200);
    assert.equal((await client.send(new ScanCommand({ TableName: 'fp-scan' }))).Count, 40);
    assert.deepEqual(
      { ...proxy.stats, requests: undefined },
      { received: 2, forwarded: 2, injected: { resetMidBody: 1 }, requests: undefined },
    );
  });

  const errorTypes: string[] = [];
  await withDynamo(
    [{ match: { operation: 'Scan' }, action: { kind: 'resetMidBody' } }],
    async (client) => {
      const result = await client.send(new ScanCommand({ TableName: 'fp-scan' }));
      assert.equal(result.Count, 40);
      assert.equal(result.$metadata.attempts, 2);
      assert.deepEqual(errorTypes, ['TRANSIENT']);
    },
    { maxAttempts: 2, retryStrategy: recordingRetryStrategy(2, errorTypes) },
  );
});

test('resetMidBody: an S3 GetObject body breaks after the given bytes; a PutObject (empty answer) fails', async () => {
  const data = randomBytes(200_000);
  await direct.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big.bin', Body: data }));
  const rules: FaultRule[] = [
    { match: { method: 'GET', pathIncludes: '/big.bin' }, action: { kind: 'resetMidBody', afterBytes: 65_536 } },
    { match: { method: 'PUT', pathIncludes: '/reset.txt' }, action: { kind: 'resetMidBody' } },
  ];
  await withS3(rules, async (client, proxy) => {
    // The SDK resolves as soon as the head arrives; the failure surfaces while the body is read.
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'big.bin' }));
    assert.equal(got.ContentLength, data.length);
    let received = 0;
    const err = await rejection(
      (async () => {
        for await (const chunk of got.Body as AsyncIterable<Buffer>) received += chunk.length;
      })(),
    );
    assert.equal(err.code, 'ECONNRESET');
    assert.equal(err.message, 'aborted');
    assert.ok(received > 0 && received <= 65_536, `received ${received} bytes`);

    // No head at all: the SDK's node handler names a reset like a timeout.
    const putErr = await rejection(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'reset.txt', Body: 'x' })));
    assert.equal(putErr.code, 'ECONNRESET');
    assert.equal(putErr.name, 'TimeoutError');
    assert.equal(putErr.$metadata?.httpStatusCode, undefined);

    // A cut beyond the body still withholds its last byte.
    proxy.setRules([{ match: { method: 'GET' }, action: { kind: 'resetMidBody', afterBytes: 10_000_000 } }]);
    const almost = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'big.bin' }));
    received = 0;
    const late = await rejection(
      (async () => {
        for await (const chunk of almost.Body as AsyncIterable<Buffer>) received += chunk.length;
      })(),
    );
    assert.equal(late.code, 'ECONNRESET');
    assert.ok(received < data.length, `received ${received} bytes`);

    const again = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'big.bin' }));
    assert.equal(sha256(await again.Body!.transformToByteArray()), sha256(data));
    assert.deepEqual(proxy.stats.injected, { resetMidBody: 3 });
  });
});

// A stop() that waited for a delay would hang on the fake clock: the test's timeout turns that into a failure.
const stopsOnItsOwn = { timeout: 60_000 };

test(
  'delay: the call waits, a client timeout turns it into TimeoutError, stop() cancels a pending delay',
  stopsOnItsOwn,
  async (t) => {
    // Fake setTimeout: the proxy's delays, its lifetime and the SDK's request timeout run on ticks,
    // not on the wall clock (the emulator runs in a process of its own, on real time).
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const describe = new DescribeTableCommand({ TableName: 'fp-scan' });
    await withDynamo(
      [{ match: { operation: 'DescribeTable' }, action: { kind: 'delay', ms: 300 } }],
      async (client, proxy) => {
        const call = watched(client.send(describe));
        await until(() => proxy.stats.injected.delay === 1);
        t.mock.timers.tick(299);
        await turns();
        assert.deepEqual(
          { forwarded: proxy.stats.forwarded, answered: call.settled },
          { forwarded: 0, answered: false },
        );
        t.mock.timers.tick(1);
        assert.equal((await call.promise).Table?.TableName, 'fp-scan');
        assert.equal(proxy.stats.forwarded, 1);
      },
    );

    await withDynamo(
      [{ match: { operation: 'DescribeTable' }, action: { kind: 'delay', ms: 2000 } }],
      async (client, proxy) => {
        const call = outcome(client.send(describe));
        await until(() => proxy.stats.injected.delay === 1);
        // 100 ms of the 2000: the client gives up first.
        t.mock.timers.tick(100);
        assert.equal(await call, 'TimeoutError');
        assert.equal(proxy.stats.forwarded, 0);
      },
      { requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true } },
    );

    const proxy = await startFaultProxy(emulators.endpoints.dynamodb, [
      { match: {}, action: { kind: 'delay', ms: 10_000 } },
    ]);
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: proxy.url,
      credentials: EMULATOR_CREDENTIALS,
      maxAttempts: 1,
    });
    try {
      const pending = outcome(client.send(describe));
      await until(() => proxy.stats.injected.delay === 1);
      // No time passes: stop() ends without waiting for the delay, and the call with it.
      await proxy.stop();
      assert.notEqual(await pending, 'ok');
      t.mock.timers.tick(10_000);
      await turns();
      assert.equal(proxy.stats.forwarded, 0);
    } finally {
      client.destroy();
      await proxy.stop();
    }
  },
);

test('bounds: loopback http targets only, finite counts, capped delays, a limited lifetime', async (t) => {
  await assert.rejects(startFaultProxy('http://10.0.0.1:8000'), RangeError);
  await assert.rejects(startFaultProxy('https://127.0.0.1:8000'), RangeError);
  await assert.rejects(
    startFaultProxy('http://127.0.0.1:1', [{ match: {}, action: { kind: 'delay', ms: 60_000 } }]),
    RangeError,
  );
  await assert.rejects(
    startFaultProxy('http://127.0.0.1:1', [{ match: {}, action: { kind: 's3Error', status: 200, code: 'OK' } }]),
    RangeError,
  );

  // The lifetime on a fake clock: serving at 99 ms, closed at 100 ms.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const proxy = await startFaultProxy(emulators.endpoints.dynamodb, [], { lifetimeMs: 100 });
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: proxy.url,
    credentials: EMULATOR_CREDENTIALS,
    maxAttempts: 1,
  });
  try {
    assert.match(proxy.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.throws(() => proxy.setRules([{ match: {}, action: { kind: 's3SlowDown' }, times: Infinity }]), RangeError);
    assert.throws(() => proxy.setRules([{ match: {}, action: { kind: 's3SlowDown' }, every: 0 }]), RangeError);
    const describe = new DescribeTableCommand({ TableName: 'fp-scan' });
    t.mock.timers.tick(99);
    assert.equal((await client.send(describe)).Table?.TableName, 'fp-scan');
    t.mock.timers.tick(1);
    const err = await rejection(client.send(describe));
    assert.match(`${err.code ?? ''} ${err.message}`, /ECONNREFUSED/);
  } finally {
    client.destroy();
    await proxy.stop();
  }
});

// A plain HTTP server in front of which the proxy's forwarding can be checked byte for byte.
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

async function startEcho(): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      // Answers in two chunks without a Content-Length (chunked), echoing the body twice.
      res.writeHead(201, { 'x-echo': 'yes', 'content-type': 'application/octet-stream' });
      res.write(body);
      setTimeout(() => res.end(body), 20);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer; error?: Error }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      const done = (error?: Error) =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          ...(error ? { error } : {}),
        });
      res.on('end', () => done());
      res.on('error', (err) => done(err));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('forwarding is faithful (method, path, query, Host, headers, chunked bodies both ways) and resets cut chunked answers', async () => {
  const echo = await startEcho();
  const proxy = await startFaultProxy(echo.url);
  try {
    const body = randomBytes(300_000);
    const host = new URL(proxy.url).host;
    const answer = await rawRequest(
      proxy.url,
      'PATCH',
      '/some%20path/x?b=2&a=1&flag',
      { 'x-amz-meta-color': 'blue', 'content-type': 'text/odd', 'transfer-encoding': 'chunked' },
      body,
    );
    assert.equal(answer.status, 201);
    assert.equal(answer.headers['x-echo'], 'yes');
    assert.equal(answer.headers['transfer-encoding'], 'chunked');
    assert.equal(sha256(answer.body), sha256(Buffer.concat([body, body])));
    const [first] = echo.seen;
    assert.equal(first?.method, 'PATCH');
    assert.equal(first?.url, '/some%20path/x?b=2&a=1&flag');
    assert.equal(first?.headers.host, host, 'the Host the client signed is kept');
    assert.equal(first?.headers['x-amz-meta-color'], 'blue');
    assert.equal(first?.headers['content-type'], 'text/odd');
    assert.equal(sha256(first?.body ?? Buffer.alloc(0)), sha256(body));

    proxy.setRules([{ match: { method: 'PATCH', query: 'flag' }, action: { kind: 'resetMidBody', afterBytes: 1000 } }]);
    const cut = await rawRequest(proxy.url, 'PATCH', '/x?flag', {}, Buffer.alloc(5000, 7)).catch((err: Error) => ({
      status: 0,
      headers: {},
      body: Buffer.alloc(0),
      error: err,
    }));
    assert.ok(cut.error, 'the answer must not complete');
    assert.ok(cut.body.length <= 1000, `got ${cut.body.length} bytes`);

    // On the wire it is a reset (RST: the socket errors with ECONNRESET), not a clean close (FIN).
    proxy.setRules([{ match: { method: 'PATCH' }, action: { kind: 'resetMidBody', afterBytes: 10 } }]);
    const wire = await new Promise<{ data: string; error?: string }>((resolve) => {
      let data = '';
      const socket = connect(Number(new URL(proxy.url).port), '127.0.0.1', () =>
        socket.write(`PATCH /wire HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\n\r\nhello`),
      );
      socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
      socket.on('error', (err: NodeJS.ErrnoException) => resolve({ data, error: err.code ?? 'no code' }));
      socket.on('end', () => resolve({ data }));
    });
    assert.equal(wire.error, 'ECONNRESET');
    assert.match(wire.data, /^HTTP\/1\.1 201 /);
    assert.deepEqual(
      { ...proxy.stats, requests: undefined },
      { received: 3, forwarded: 3, injected: { resetMidBody: 2 }, requests: undefined },
    );
  } finally {
    await proxy.stop();
    await new Promise((resolve) => echo.server.close(resolve));
  }
});
