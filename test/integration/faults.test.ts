import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AwsClients,
  backupTable,
  CancelledError,
  type ColdkeepError,
  type Item,
  itemToLine,
  restoreTable,
  type RunningEmulators,
  startEmulators,
} from '@coldkeep/shared';
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import {
  assertSameItems,
  createBucket,
  createTable,
  embeddedOnly,
  listKeys,
  putItems,
  scanAll,
  uniqueName,
} from '../helpers/fixture';

/**
 * Faults injected between Coldkeep and the emulators. The SDK's own retries are off
 * (maxAttempts 1), so every fault reaches Coldkeep's own backoff and retry logic.
 */
// The fault proxy fronts only a loopback HTTP endpoint: on another target (COLDKEEP_TEST_TARGET=aws) these are not registered.
embeddedOnly(describe)('backup and restore under injected faults', () => {
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
    bucket = await createBucket(direct.s3, uniqueName('faults'));
  });
  after(async () => {
    clients?.destroy();
    direct?.destroy();
    await dynamoProxy?.stop();
    await s3Proxy?.stop();
    await emulators?.stop();
  });

  async function seed(count: number, make: (i: number) => Item): Promise<{ table: string; items: Item[] }> {
    const table = uniqueName('faulty');
    const items = Array.from({ length: count }, (_, i) => make(i));
    await createTable(direct.dynamodb, { TableName: table });
    await putItems(direct.dynamodb, table, items);
    return { table, items };
  }

  test('throttled scans and UnprocessedItems are retried with backoff and nothing is lost', async () => {
    const { table, items } = await seed(3000, (i) => ({ pk: { S: `t${i}` }, v: { N: String(i) } }));
    dynamoProxy.setRules([
      { match: { operation: 'Scan' }, action: { kind: 'dynamoThrottle' }, times: 3 },
      {
        match: { operation: 'Scan' },
        action: { kind: 'dynamoThrottle', errorType: 'ThrottlingException' },
        after: 2,
        times: 2,
      },
      { match: { operation: 'BatchWriteItem' }, action: { kind: 'unprocessedItems', fraction: 0.5 }, times: 40 },
      { match: { operation: 'BatchWriteItem' }, action: { kind: 'dynamoThrottle' }, after: 45, times: 3 },
    ]);
    const backup = await backupTable(clients, { table, bucket, segments: 3, pageLimit: 250 });
    assert.equal(backup.itemCount, items.length);
    assert.ok(backup.throttledRequests >= 5, `throttles counted: ${backup.throttledRequests}`);

    const restored = uniqueName('faulty-restored');
    const report = await restoreTable(clients, { source: { uri: backup.uri }, target: restored });
    assert.equal(report.itemsWritten, items.length);
    assert.equal(report.countedItems, items.length);
    assert.equal(dynamoProxy.stats.injected.unprocessedItems, 40);
    assert.equal(dynamoProxy.stats.injected.dynamoThrottle, 8);
    dynamoProxy.setRules([]);
    assertSameItems(await scanAll(direct.dynamodb, restored), items);
  });

  test('a Scan answer damaged on the way (still valid JSON, wrong CRC32) is read again; the backup holds the true items', async () => {
    const { table, items } = await seed(600, (i) => ({ pk: { S: `c${i}` }, name: { S: `name number ${i}` } }));
    dynamoProxy.setRules([{ match: { operation: 'Scan' }, action: { kind: 'corruptBody' }, times: 2 }]);
    const backup = await backupTable(clients, { table, bucket, segments: 2, pageLimit: 100 });
    assert.equal(dynamoProxy.stats.injected.corruptBody, 2);
    dynamoProxy.setRules([]);
    assert.equal(backup.itemCount, items.length);
    const restored = uniqueName('crc-restored');
    await restoreTable(clients, { source: { uri: backup.uri }, target: restored });
    assertSameItems(await scanAll(direct.dynamodb, restored), items);
  });

  test('S3 SlowDown, InternalError and connections reset mid-download are retried and the data is intact', async () => {
    const { table, items } = await seed(1200, (i) => ({ pk: { S: `s${i}` }, blob: { B: randomBytes(64) } }));
    s3Proxy.setRules([
      { match: { method: 'PUT', pathIncludes: '/data/' }, action: { kind: 's3SlowDown' }, times: 2 },
      { match: { method: 'PUT', pathIncludes: '/data/' }, action: { kind: 's3InternalError' }, after: 3, times: 1 },
      { match: { method: 'PUT', pathIncludes: 'manifest.json' }, action: { kind: 's3SlowDown' }, times: 1 },
    ]);
    // An upload's body is a stream that cannot be replayed, so S3 faults on PUT are retried
    // per request by the SDK (adaptive mode); GETs are retried by Coldkeep itself.
    const retrying = new AwsClients({
      ...emulators.settings,
      endpoints: { dynamodb: dynamoProxy.url, s3: s3Proxy.url },
    });
    const backup = await backupTable(retrying, { table, bucket, segments: 4 }).finally(() => retrying.destroy());
    assert.equal(backup.itemCount, items.length);
    assert.deepEqual(s3Proxy.stats.injected, { s3SlowDown: 3, s3InternalError: 1 });

    s3Proxy.setRules([
      { match: { method: 'GET', pathIncludes: '/data/' }, action: { kind: 'resetMidBody' }, times: 2 },
      { match: { method: 'GET', pathIncludes: '/data/' }, action: { kind: 's3InternalError' }, after: 3, times: 1 },
    ]);
    const restored = uniqueName('s3faults-restored');
    const report = await restoreTable(clients, { source: { uri: backup.uri }, target: restored });
    assert.equal(report.countedItems, items.length);
    s3Proxy.setRules([]);
    assertSameItems(await scanAll(direct.dynamodb, restored), items);
  });

  test('cancel mid-backup aborts every multipart upload, removes finished files and writes no manifest', async () => {
    // Incompressible items, so data files pass the 5 MiB part size and go multipart.
    // One segment: its first file rolls over at 7 MiB of JSON and is finished; the cancel comes
    // once the second file is uploading parts, so its multipart upload is in flight.
    const { table } = await seed(14_000, (i) => ({ pk: { S: `c${i}` }, noise: { B: randomBytes(1024) } }));
    const rolloverBytes = 7 * 1024 * 1024;
    s3Proxy.setRules([
      { match: { method: 'PUT', query: 'partNumber' }, action: { kind: 'delay', ms: 150 }, times: 1000 },
    ]);
    const requestsBefore = s3Proxy.stats.requests.length;
    const controller = new AbortController();
    let cancelledAt = 0;
    let items = 0;
    // Watch the proxy, not the progress events: a page's progress comes once its lines are
    // handed to gzip, which may be before or after the upload's next request.
    const watch = setInterval(() => {
      const secondFileUploading = s3Proxy.stats.requests
        .slice(requestsBefore)
        .some((r) => r.method === 'PUT' && r.url.includes('0000-0002.json.gz?') && r.url.includes('partNumber'));
      if (secondFileUploading && !controller.signal.aborted) {
        cancelledAt = Math.max(items, 1);
        controller.abort();
      }
    }, 5);
    const error = await backupTable(
      clients,
      { table, bucket, segments: 1, prefix: 'cancelled', rolloverBytes },
      { signal: controller.signal, onProgress: (p) => (items = p.items) },
    ).then(
      () => assert.fail('a cancelled backup must not resolve'),
      (err: unknown) => err,
    );
    clearInterval(watch);
    s3Proxy.setRules([]);
    assert.ok(cancelledAt > 0, 'the backup was cancelled while running');
    assert.ok(error instanceof CancelledError, `expected CancelledError, got ${String(error)}`);
    const details = (error as ColdkeepError).details as {
      manifestWritten: boolean;
      leftBehind: string[];
      removedFiles: string[];
    };
    assert.equal(details.manifestWritten, false);
    assert.deepEqual(details.leftBehind, []);
    assert.equal(
      details.removedFiles.length,
      1,
      `the finished first data file was removed: ${JSON.stringify(details)} at ${cancelledAt}`,
    );

    const keys = await listKeys(direct.s3, bucket, 'cancelled/');
    assert.deepEqual(keys, [], 'nothing is left under the backup prefix: no manifest, no data');

    // Every multipart upload that was started was completed or aborted (s3rver has no
    // ListMultipartUploads, so the proxy's request log is the witness).
    const requests = s3Proxy.stats.requests.slice(requestsBefore);
    const started = requests.filter((r) => r.method === 'POST' && /[?&]uploads(=|&|$)/.test(r.url)).length;
    const uploadIdOf = (url: string): string | undefined => /[?&]uploadId=([^&]+)/.exec(url)?.[1];
    const finished = new Set(
      requests
        .filter((r) => (r.method === 'POST' || r.method === 'DELETE') && uploadIdOf(r.url))
        .map((r) => uploadIdOf(r.url)),
    );
    const aborted = requests.filter((r) => r.method === 'DELETE' && uploadIdOf(r.url)).length;
    assert.ok(started >= 1, `a multipart upload was started (${started})`);
    assert.ok(aborted >= 1, 'at least one upload was in flight and aborted');
    assert.equal(finished.size, started, 'every started multipart upload was completed or aborted');
  });

  test('a DynamoDB native export (manifest-summary.json + manifest-files.json) restores, with MD5s checked', async () => {
    const items: Item[] = Array.from({ length: 120 }, (_, i) => ({
      pk: { S: `n${i}` },
      v: { N: String(i) },
      b: { B: randomBytes(8) },
      s: { S: `é "}{" \\ ${i}` },
    }));
    // The second file's lines come in every form a JSON-lines reader meets (CRLF ends, spaces
    // between tokens, blank lines, no line end at the last): each must give the same item.
    const variedLines = (chunk: Item[]): string =>
      chunk
        .map((item, k) => {
          const line = itemToLine(item).trimEnd();
          const inner = line.slice('{"Item":'.length, -1);
          return [`${line}\n`, `${line}\r\n`, ` { "Item" : ${inner} }\n`, `\n${line}\n`][k % 4];
        })
        .join('')
        .trimEnd();
    const exportDir = 'exports/AWSDynamoDB/01700000000000-abcdef12/';
    const files = [items.slice(0, 70), items.slice(70)].map((chunk, i) => {
      const body = gzipSync(i === 0 ? chunk.map(itemToLine).join('') : variedLines(chunk));
      return { key: `${exportDir}data/file${i}.json.gz`, body, items: chunk.length };
    });
    for (const f of files) await direct.s3.send(new PutObjectCommand({ Bucket: bucket, Key: f.key, Body: f.body }));
    const manifestFiles = files
      .map((f) =>
        JSON.stringify({
          itemCount: f.items,
          md5Checksum: createHash('md5').update(f.body).digest('base64'),
          etag: createHash('md5').update(f.body).digest('hex'),
          dataFileS3Key: f.key,
        }),
      )
      .join('\n');
    await direct.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${exportDir}manifest-files.json`, Body: manifestFiles }),
    );
    await direct.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${exportDir}manifest-summary.json`,
        Body: JSON.stringify({
          version: '2020-06-30',
          exportArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/Native/export/01700000000000-abcdef12',
          tableArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/Native',
          itemCount: items.length,
          outputFormat: 'DYNAMODB_JSON',
          manifestFilesS3Key: `${exportDir}manifest-files.json`,
        }),
      }),
    );

    const target = uniqueName('native');
    // A native export carries no schema: without a table there is nothing to create from.
    await assert.rejects(
      restoreTable(clients, { source: { uri: `s3://${bucket}/exports/` }, target }),
      /does not exist/,
    );
    await createTable(direct.dynamodb, { TableName: target });
    const report = await restoreTable(clients, { source: { uri: `s3://${bucket}/exports/` }, target });
    assert.equal(report.kind, 'native-export');
    assert.equal(report.itemsWritten, items.length);
    assertSameItems(await scanAll(direct.dynamodb, target), items);

    // A file that does not match its MD5 is refused.
    await direct.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: files[1]!.key, Body: gzipSync('{"Item":{"pk":{"S":"evil"}}}\n') }),
    );
    const other = uniqueName('native2');
    await createTable(direct.dynamodb, { TableName: other });
    await assert.rejects(
      restoreTable(clients, { source: { uri: `s3://${bucket}/${exportDir}` }, target: other, fileConcurrency: 1 }),
      (err: ColdkeepError) => err.code === 'ChecksumMismatch',
    );
    const written = await scanAll(direct.dynamodb, other);
    assert.equal(written.length, 70, 'only the first (intact) file was written');
    assert.ok(!written.some((item) => item.pk?.S === 'evil'));
  });
});
