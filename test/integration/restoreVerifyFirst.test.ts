import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AwsClients,
  backupTable,
  ColdkeepError,
  type Item,
  parseManifest,
  restoreTable,
  type RunningEmulators,
  startEmulators,
} from '@coldkeep/shared';
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { assertSameItems, createBucket, createTable, putItems, scanAll, uniqueName } from '../helpers/fixture';

/**
 * Verify first and exact accounting, through the fault proxy: a damaged file that arrives last
 * writes nothing at all; a write that fails while others are in flight is reported as a scan of
 * the target finds it.
 */
describe('restore: verify every file first, count exactly what DynamoDB acknowledged', () => {
  let emulators: RunningEmulators;
  let dynamoProxy: FaultProxy;
  let s3Proxy: FaultProxy;
  let clients: AwsClients;
  let direct: AwsClients;
  let bucket: string;

  before(async () => {
    emulators = await startEmulators();
    dynamoProxy = await startFaultProxy(emulators.endpoints.dynamodb);
    s3Proxy = await startFaultProxy(emulators.endpoints.s3);
    direct = new AwsClients(emulators.settings);
    clients = new AwsClients({
      ...emulators.settings,
      endpoints: { dynamodb: dynamoProxy.url, s3: s3Proxy.url },
      maxAttempts: 1,
    });
    bucket = await createBucket(direct.s3, uniqueName('verify-first'));
  });
  after(async () => {
    clients?.destroy();
    direct?.destroy();
    await dynamoProxy?.stop();
    await s3Proxy?.stop();
    await emulators?.stop();
  });

  async function backupOf(
    count: number,
    segments: number,
  ): Promise<{ items: Item[]; uri: string; dir: string; keys: string[] }> {
    const table = uniqueName('vf');
    const items = Array.from({ length: count }, (_, i) => ({
      pk: { S: `v${i}` },
      n: { N: String(i) },
      t: { BOOL: true },
    }));
    await createTable(direct.dynamodb, { TableName: table });
    await putItems(direct.dynamodb, table, items);
    const backup = await backupTable(direct, { table, bucket, segments });
    const manifestBody = await direct.s3.send(new GetObjectCommand({ Bucket: bucket, Key: backup.manifestKey }));
    const manifest = parseManifest(await manifestBody.Body!.transformToString(), 'manifest');
    const dir = backup.manifestKey.replace(/manifest\.json$/, '');
    return { items, uri: backup.uri, dir, keys: manifest.files.map((f) => dir + f.key) };
  }

  async function tableExists(name: string): Promise<boolean> {
    return direct.dynamodb.send(new DescribeTableCommand({ TableName: name })).then(
      () => true,
      (err: { name?: string }) => {
        if (err.name === 'ResourceNotFoundException') return false;
        throw err;
      },
    );
  }

  test('a damaged file that is the last to arrive leaves the target untouched: no table, no item', async () => {
    const { uri, keys } = await backupOf(1200, 4);
    assert.equal(keys.length, 4);
    // One BOOL flipped in the first file, still valid gzip: only its checksum can tell.
    const damagedKey = keys[0]!;
    const original = await direct.s3.send(new GetObjectCommand({ Bucket: bucket, Key: damagedKey }));
    const text = gunzipSync(Buffer.from(await original.Body!.transformToByteArray())).toString();
    await direct.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: damagedKey,
        Body: gzipSync(text.replace('"BOOL":true', '"BOOL":false')),
      }),
    );
    // It arrives last: the three good files are downloaded (and, on per-file code, written) first.
    s3Proxy.setRules([
      {
        match: { method: 'GET', pathIncludes: damagedKey.split('/').pop()! },
        action: { kind: 'delay', ms: 1500 },
        times: 10,
      },
    ]);

    for (const stagingReserveBytes of [undefined, Number.MAX_SAFE_INTEGER]) {
      const target = uniqueName('vf-damaged');
      const error = await restoreTable(clients, {
        source: { uri },
        target,
        ...(stagingReserveBytes !== undefined ? { stagingReserveBytes } : {}),
      }).then(
        () => assert.fail('a damaged backup must not restore'),
        (err: unknown) => err,
      );
      assert.ok(error instanceof ColdkeepError);
      assert.equal(error.code, 'ChecksumMismatch');
      assert.match(error.message, /Nothing was written to "vf-damaged-[^"]+": the restore stopped while verifying/);
      assert.equal(error.details?.['itemsWritten'], 0);
      assert.equal(error.details?.['createdTable'], false);
      const verify = error.details?.['verify'] as { strategy: string };
      assert.equal(verify.strategy, stagingReserveBytes ? 'hash-then-reread' : 'staged');
      const files = error.details?.['files'] as { key: string; outcome: string; items: number }[];
      assert.deepEqual(
        files.map((f) => [f.outcome, f.items]),
        [
          ['damaged', 0],
          ['not-written', 0],
          ['not-written', 0],
          ['not-written', 0],
        ],
      );
      assert.equal(await tableExists(target), false, 'the target table was not even created');
    }

    // Into an existing, empty table: it stays empty.
    const existing = uniqueName('vf-existing');
    await createTable(direct.dynamodb, { TableName: existing });
    await assert.rejects(restoreTable(clients, { source: { uri }, target: existing }), { code: 'ChecksumMismatch' });
    assert.deepEqual(await scanAll(direct.dynamodb, existing), []);
    s3Proxy.setRules([]);
  });

  test('the plan says how the files were proven and what it cost: staged (downloaded once) or hashed, then read again', async () => {
    const { items, uri } = await backupOf(700, 3);
    const staged = await restoreTable(clients, { source: { uri }, target: uniqueName('vf-staged') });
    assert.equal(staged.verify?.strategy, 'staged');
    assert.equal(staged.verify?.files, 3);
    assert.equal(staged.verify?.records, items.length);
    assert.equal(staged.verify?.bytesDownloaded, staged.verify?.bytes);
    assert.equal(staged.countedItems, items.length);

    const twiceTarget = uniqueName('vf-twice');
    const twice = await restoreTable(clients, {
      source: { uri },
      target: twiceTarget,
      stagingReserveBytes: Number.MAX_SAFE_INTEGER,
    });
    assert.equal(twice.verify?.strategy, 'hash-then-reread');
    assert.equal(twice.verify?.bytesDownloaded, 2 * twice.verify!.bytes);
    assert.equal(twice.itemsWritten, items.length);
    assertSameItems(await scanAll(direct.dynamodb, twiceTarget), items);

    const perFile = await restoreTable(clients, {
      source: { uri },
      target: uniqueName('vf-per-file'),
      verify: 'per-file',
    });
    assert.equal(perFile.verify?.strategy, 'per-file');
    assert.equal(perFile.itemsWritten, items.length);
  });

  test('a failure in the Nth BatchWriteItem while others are in flight: the report equals a scan of the target', async () => {
    const { uri } = await backupOf(2400, 4);
    dynamoProxy.setRules([
      {
        match: { operation: 'BatchWriteItem' },
        action: { kind: 'dynamoError', errorType: 'AccessDeniedException', message: 'not allowed (injected)' },
        after: 12,
        times: 1,
      },
      // Every other write lands at once but is acknowledged late: many are in flight when the 13th fails.
      { match: { operation: 'BatchWriteItem' }, action: { kind: 'delayAnswer', ms: 400 }, times: 1000 },
    ]);
    const target = uniqueName('vf-failed-write');
    const error = await restoreTable(clients, {
      source: { uri },
      target,
      fileConcurrency: 4,
      writeConcurrency: 4,
    }).then(
      () => assert.fail('the injected error must fail the restore'),
      (err: unknown) => err,
    );
    dynamoProxy.setRules([]);
    assert.ok(error instanceof ColdkeepError, String(error));
    assert.equal(dynamoProxy.stats.injected.dynamoError, 1);
    const inTable = (await scanAll(direct.dynamodb, target)).length;
    assert.ok(inTable > 0);
    assert.equal(error.details?.['itemsWritten'], inTable, error.message);
    const files = error.details?.['files'] as { outcome: string; items: number }[];
    assert.equal(
      files.reduce((n, f) => n + f.items, 0),
      inTable,
    );
    assert.ok(files.some((f) => f.outcome === 'partial'));
    assert.match(
      error.message,
      new RegExp(`${inTable} items were written to "${target}" \\(each acknowledged by DynamoDB\\)`),
    );
    assert.match(error.message, /files? in part \(.+: \d+ items/);
    assert.match(error.message, new RegExp(`The table "${target}" was created by this restore and was left in place`));
    assert.match(error.message, /--resume/);
    assert.equal(error.details?.['tableLeft'], true);
  });
});
