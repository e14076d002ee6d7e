// Request shape of the S3 calls no emulator checks (SSE, Object Lock, tagging, Glacier
// retrievals): the real backup and thaw code paths run against aws-sdk-client-mock stubs,
// and the tests read the command inputs they sent.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  PutObjectTaggingCommand,
  RestoreObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AwsClients,
  backupTable,
  type BackupTableInput,
  ColdkeepError,
  type Item,
  parseManifest,
  thawArchived,
} from '@coldkeep/shared';

const s3Mock = mockClient(S3Client);
const ddbMock = mockClient(DynamoDBClient);

const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/T';
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/abc';
const BUCKET = 'backups';
const STARTED = new Date('2026-11-22T13:45:01.000Z');
const RETAIN_UNTIL = new Date('2030-01-31T00:00:00.000Z');
const DATA_KEY =
  /^coldkeep\/tables\/123456789012\/us-east-1\/T\/20261122T134501Z-[0-9a-f]{7}\/data\/0000-0001\.json\.gz$/;
const MANIFEST_KEY = /^coldkeep\/tables\/123456789012\/us-east-1\/T\/20261122T134501Z-[0-9a-f]{7}\/manifest\.json$/;

const ITEMS: Item[] = [
  { pk: { S: 'a' }, n: { N: '1' } },
  { pk: { S: 'b' }, bin: { B: new Uint8Array([0, 1, 2, 255]) } },
  { pk: { S: 'c' }, m: { M: { nested: { BOOL: true } } } },
];

function useDefaultMocks(scanItems: Item[] = ITEMS): void {
  ddbMock.reset();
  s3Mock.reset();
  ddbMock.on(DescribeTableCommand).resolves({
    Table: {
      TableName: 'T',
      TableArn: TABLE_ARN,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      ItemCount: scanItems.length,
      TableSizeBytes: 300,
    },
  });
  ddbMock.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
  ddbMock
    .on(ScanCommand)
    .resolves({ Items: scanItems, Count: scanItems.length, ConsumedCapacity: { CapacityUnits: 0.5 } });
  s3Mock.on(HeadBucketCommand).resolves({});
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });
  s3Mock.on(PutObjectTaggingCommand).resolves({});
  s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
  s3Mock.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"part-${input.PartNumber}"` }));
  s3Mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"complete"' });
  s3Mock.on(AbortMultipartUploadCommand).resolves({});
  s3Mock.on(DeleteObjectsCommand).resolves({});
}

let clients: AwsClients;

beforeEach(() => {
  useDefaultMocks();
  clients = new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
});

afterEach(() => {
  clients.destroy();
});

function backup(extra: Partial<BackupTableInput> = {}) {
  return backupTable(clients, { table: 'T', bucket: BUCKET, segments: 1, now: () => STARTED, ...extra });
}

function putInputs(): PutObjectCommandInput[] {
  return s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
}

function dataPut(): PutObjectCommandInput {
  const puts = putInputs().filter((input) => DATA_KEY.test(input.Key ?? ''));
  assert.equal(
    puts.length,
    1,
    `one data PutObject, got keys ${putInputs()
      .map((p) => p.Key)
      .join(', ')}`,
  );
  return puts[0]!;
}

function manifestPut(): PutObjectCommandInput {
  const puts = putInputs().filter((input) => MANIFEST_KEY.test(input.Key ?? ''));
  assert.equal(
    puts.length,
    1,
    `one manifest PutObject, got keys ${putInputs()
      .map((p) => p.Key)
      .join(', ')}`,
  );
  return puts[0]!;
}

function taggingCalls() {
  return s3Mock.commandCalls(PutObjectTaggingCommand).map((call) => call.args[0].input);
}

describe('backupTable request shape', () => {
  test('a small table is one single-PUT gzip data object of DynamoDB JSON lines, then the manifest, last', async () => {
    const report = await backup();
    const data = dataPut();
    const manifest = manifestPut();
    assert.equal(data.Bucket, BUCKET);
    assert.equal(data.ContentType, 'application/gzip');
    assert.equal(manifest.ContentType, 'application/json');
    assert.equal(s3Mock.commandCalls(CreateMultipartUploadCommand).length, 0);
    // The manifest is the last PutObject.
    assert.match(putInputs().at(-1)!.Key!, MANIFEST_KEY);
    // The data object is gzip of one {"Item":...} line per item, binaries in base64.
    const lines = gunzipSync(data.Body as Buffer)
      .toString('utf8')
      .split('\n');
    assert.deepEqual(lines, [
      '{"Item":{"pk":{"S":"a"},"n":{"N":"1"}}}',
      '{"Item":{"pk":{"S":"b"},"bin":{"B":"AAEC/w=="}}}',
      '{"Item":{"pk":{"S":"c"},"m":{"M":{"nested":{"BOOL":true}}}}}',
      '',
    ]);
    // The manifest describes what was sent: checksum and size of the stored bytes.
    const parsed = parseManifest(manifest.Body as string, 'test');
    assert.equal(parsed.itemCount, 3);
    assert.equal(parsed.files.length, 1);
    assert.equal(parsed.files[0]!.key, 'data/0000-0001.json.gz');
    assert.equal(parsed.files[0]!.bytes, (data.Body as Buffer).length);
    assert.equal(
      parsed.files[0]!.sha256,
      createHash('sha256')
        .update(data.Body as Buffer)
        .digest('hex'),
    );
    assert.equal(parsed.source.account, '123456789012');
    assert.equal(report.itemCount, 3);
    assert.equal(report.account, '123456789012');
    // Scan asked for consumed capacity, for the read limiter.
    const scan = ddbMock.commandCalls(ScanCommand)[0]!.args[0].input;
    assert.equal(scan.ReturnConsumedCapacity, 'TOTAL');
    assert.equal(scan.TableName, 'T');
    assert.equal(scan.Segment, 0);
    assert.equal(scan.TotalSegments, 1);
  });

  test('without storage options the PUTs carry no encryption, lock or checksum parameters', async () => {
    await backup();
    for (const put of [dataPut(), manifestPut()]) {
      assert.equal(put.ServerSideEncryption, undefined);
      assert.equal(put.SSEKMSKeyId, undefined);
      assert.equal(put.BucketKeyEnabled, undefined);
      assert.equal(put.ObjectLockMode, undefined);
      assert.equal(put.ObjectLockRetainUntilDate, undefined);
      assert.equal(put.ChecksumAlgorithm, undefined);
    }
  });

  test('SSE-KMS: data object and manifest carry aws:kms, the key id and a bucket key', async () => {
    await backup({ sse: { type: 'aws:kms', kmsKeyId: KMS_KEY } });
    for (const put of [dataPut(), manifestPut()]) {
      assert.equal(put.ServerSideEncryption, 'aws:kms', put.Key);
      assert.equal(put.SSEKMSKeyId, KMS_KEY, put.Key);
      assert.equal(put.BucketKeyEnabled, true, put.Key);
    }
    const manifest = parseManifest(manifestPut().Body as string, 'test');
    assert.deepEqual(manifest.storage.sse, { type: 'aws:kms', kmsKeyId: KMS_KEY });
  });

  test('SSE-KMS without a key id uses the AWS managed key (no SSEKMSKeyId)', async () => {
    await backup({ sse: { type: 'aws:kms' } });
    for (const put of [dataPut(), manifestPut()]) {
      assert.equal(put.ServerSideEncryption, 'aws:kms');
      assert.equal('SSEKMSKeyId' in put, false);
      assert.equal(put.BucketKeyEnabled, true);
    }
  });

  test('SSE-S3: AES256 and no key id', async () => {
    await backup({ sse: { type: 'AES256' } });
    for (const put of [dataPut(), manifestPut()]) {
      assert.equal(put.ServerSideEncryption, 'AES256');
      assert.equal(put.SSEKMSKeyId, undefined);
      assert.equal(put.BucketKeyEnabled, undefined);
    }
  });

  test('Object Lock: both PUTs carry mode, retain-until date and a SHA-256 checksum', async () => {
    await backup({ objectLock: { mode: 'COMPLIANCE', retainUntil: RETAIN_UNTIL } });
    for (const put of [dataPut(), manifestPut()]) {
      assert.equal(put.ObjectLockMode, 'COMPLIANCE', put.Key);
      assert.ok(put.ObjectLockRetainUntilDate instanceof Date, put.Key);
      assert.equal((put.ObjectLockRetainUntilDate as Date).toISOString(), RETAIN_UNTIL.toISOString());
      assert.equal(put.ChecksumAlgorithm, 'SHA256', put.Key);
    }
    const manifest = parseManifest(manifestPut().Body as string, 'test');
    assert.deepEqual(manifest.storage.objectLock, { mode: 'COMPLIANCE', retainUntil: RETAIN_UNTIL.toISOString() });
  });

  test('GOVERNANCE mode is passed through as given', async () => {
    await backup({ objectLock: { mode: 'GOVERNANCE', retainUntil: RETAIN_UNTIL } });
    assert.equal(dataPut().ObjectLockMode, 'GOVERNANCE');
    assert.equal(manifestPut().ObjectLockMode, 'GOVERNANCE');
  });

  test('tags: data objects get the default lifecycle tag; the manifest is never tagged', async () => {
    await backup({ segments: 2 });
    const tagged = taggingCalls();
    assert.equal(tagged.length, 2);
    const keys = tagged.map((t) => t.Key!).sort();
    assert.match(keys[0]!, /\/data\/0000-0001\.json\.gz$/);
    assert.match(keys[1]!, /\/data\/0001-0001\.json\.gz$/);
    for (const t of tagged) {
      assert.equal(t.Bucket, BUCKET);
      assert.deepEqual(t.Tagging, { TagSet: [{ Key: 'coldkeep-lifecycle', Value: 'archive' }] });
    }
    assert.equal(
      tagged.some((t) => t.Key!.endsWith('manifest.json')),
      false,
    );
    // Nor tagged on upload: no PUT carries a Tagging parameter.
    assert.deepEqual(
      putInputs().map((p) => p.Tagging),
      [undefined, undefined, undefined],
    );
    // The tagging call comes after the object exists.
    const order = s3Mock.calls().map((c) => c.args[0].constructor.name);
    assert.ok(order.indexOf('PutObjectTaggingCommand') > order.indexOf('PutObjectCommand'));
    const manifest = parseManifest(manifestPut().Body as string, 'test');
    assert.deepEqual(manifest.storage.lifecycleTag, { key: 'coldkeep-lifecycle', value: 'archive' });
  });

  test('tags: a custom lifecycle tag replaces the default', async () => {
    await backup({ lifecycleTag: { key: 'tier', value: 'deep' } });
    const tagged = taggingCalls();
    assert.equal(tagged.length, 1);
    assert.match(tagged[0]!.Key!, DATA_KEY);
    assert.deepEqual(tagged[0]!.Tagging, { TagSet: [{ Key: 'tier', Value: 'deep' }] });
  });

  test('tags: lifecycleTag null tags nothing and the manifest records no tag', async () => {
    await backup({ lifecycleTag: null });
    assert.equal(taggingCalls().length, 0);
    assert.equal(dataPut().Tagging, undefined);
    const manifest = parseManifest(manifestPut().Body as string, 'test');
    assert.equal(manifest.storage.lifecycleTag, undefined);
  });

  test('a data object past one part goes multipart, with the storage parameters on the create and SHA-256 on every part', async () => {
    // Random bytes do not compress: ~8 MiB of them make two 5 MiB-part uploads.
    const big: Item[] = Array.from({ length: 8 }, (_, i) => ({
      pk: { S: `big-${i}` },
      blob: { B: new Uint8Array(randomBytes(1024 * 1024)) },
    }));
    useDefaultMocks(big);
    await backup({
      sse: { type: 'aws:kms', kmsKeyId: KMS_KEY },
      objectLock: { mode: 'COMPLIANCE', retainUntil: RETAIN_UNTIL },
    });
    const creates = s3Mock.commandCalls(CreateMultipartUploadCommand).map((c) => c.args[0].input);
    assert.equal(creates.length, 1);
    const create = creates[0]!;
    assert.match(create.Key!, DATA_KEY);
    assert.equal(create.ServerSideEncryption, 'aws:kms');
    assert.equal(create.SSEKMSKeyId, KMS_KEY);
    assert.equal(create.BucketKeyEnabled, true);
    assert.equal(create.ObjectLockMode, 'COMPLIANCE');
    assert.equal((create.ObjectLockRetainUntilDate as Date).toISOString(), RETAIN_UNTIL.toISOString());
    assert.equal(create.ChecksumAlgorithm, 'SHA256');
    assert.equal(create.ContentType, 'application/gzip');

    const parts = s3Mock.commandCalls(UploadPartCommand).map((c) => c.args[0].input);
    assert.equal(parts.length, 2);
    for (const part of parts) {
      assert.equal(part.UploadId, 'upload-1');
      assert.equal(part.Key, create.Key);
      assert.equal(part.ChecksumAlgorithm, 'SHA256');
    }
    const sorted = [...parts].sort((a, b) => a.PartNumber! - b.PartNumber!);
    assert.deepEqual(
      sorted.map((p) => p.PartNumber),
      [1, 2],
    );
    assert.equal((sorted[0]!.Body as Buffer).length, 5 * 1024 * 1024);

    const completes = s3Mock.commandCalls(CompleteMultipartUploadCommand).map((c) => c.args[0].input);
    assert.equal(completes.length, 1);
    assert.equal(completes[0]!.UploadId, 'upload-1');
    assert.deepEqual(
      completes[0]!.MultipartUpload?.Parts?.map((p) => [p.PartNumber, p.ETag]),
      [
        [1, '"part-1"'],
        [2, '"part-2"'],
      ],
    );
    // No single PUT of the data object; only the manifest is PUT.
    assert.deepEqual(
      putInputs().map((p) => MANIFEST_KEY.test(p.Key!)),
      [true],
    );
    // The manifest's checksum covers the concatenated parts, and it still gets tagged.
    const stored = Buffer.concat(sorted.map((p) => p.Body as Buffer));
    const manifest = parseManifest(manifestPut().Body as string, 'test');
    assert.equal(manifest.files[0]!.bytes, stored.length);
    assert.equal(manifest.files[0]!.sha256, createHash('sha256').update(stored).digest('hex'));
    assert.equal(manifest.itemCount, 8);
    assert.deepEqual(
      taggingCalls().map((t) => t.Key),
      [create.Key],
    );
  });

  test('a failed manifest PUT removes the data files it wrote (DeleteObjects) and says so', async () => {
    s3Mock.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
      if (input.Key!.endsWith('manifest.json')) {
        throw Object.assign(new Error('User: x is not authorized to perform: s3:PutObject on resource'), {
          name: 'AccessDenied',
          $metadata: { httpStatusCode: 403 },
        });
      }
      return { ETag: '"etag"' };
    });
    await assert.rejects(backup(), (err: unknown) => {
      assert.ok(err instanceof ColdkeepError);
      assert.equal(err.code, 'AccessDenied');
      assert.equal(err.details?.manifestWritten, false);
      assert.equal((err.details?.removedFiles as string[]).length, 1);
      assert.match(err.message, /No manifest was written/);
      return true;
    });
    const deletes = s3Mock.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input);
    assert.equal(deletes.length, 1);
    assert.equal(deletes[0]!.Bucket, BUCKET);
    assert.equal(deletes[0]!.Delete?.Objects?.length, 1);
    assert.match(deletes[0]!.Delete!.Objects![0]!.Key!, DATA_KEY);
  });
});

describe('thawArchived request shape', () => {
  const keys = ['data/0000-0001.json.gz', 'data/0001-0001.json.gz'];

  function restoreInputs() {
    return s3Mock.commandCalls(RestoreObjectCommand).map((c) => c.args[0].input);
  }

  beforeEach(() => {
    s3Mock.on(RestoreObjectCommand).resolves({});
  });

  test('GLACIER objects get RestoreObject with Days and tier, then ArchivedObjects says when to come back', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER' });
    await assert.rejects(
      thawArchived(clients.s3, BUCKET, keys, { tier: 'Bulk', days: 3, wait: false }),
      (err: unknown) => {
        assert.ok(err instanceof ColdkeepError);
        assert.equal(err.code, 'ArchivedObjects');
        assert.match(err.message, /2 of 2 data files are archived \(GLACIER\); their retrieval \(Bulk\) has started/);
        assert.match(err.hint ?? '', /Run the same restore again in 5–12 hours/);
        assert.match(err.hint ?? '', /the wait setting/);
        assert.deepEqual((err.details?.archived as string[]).sort(), keys);
        assert.equal(err.details?.tier, 'Bulk');
        return true;
      },
    );
    const restores = restoreInputs();
    assert.deepEqual(restores.map((r) => r.Key).sort(), keys);
    for (const r of restores) {
      assert.equal(r.Bucket, BUCKET);
      assert.deepEqual(r.RestoreRequest, { Days: 3, GlacierJobParameters: { Tier: 'Bulk' } });
    }
    assert.deepEqual(
      s3Mock
        .commandCalls(HeadObjectCommand)
        .map((c) => c.args[0].input.Key)
        .sort(),
      keys,
    );
  });

  test('defaults: Standard tier, 7 days; DEEP_ARCHIVE Standard says up to 12 hours', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'DEEP_ARCHIVE' });
    await assert.rejects(thawArchived(clients.s3, BUCKET, keys.slice(0, 1), {}), (err: unknown) => {
      assert.ok(err instanceof ColdkeepError);
      assert.equal(err.code, 'ArchivedObjects');
      assert.match(err.hint ?? '', /in up to 12 hours/);
      return true;
    });
    assert.deepEqual(restoreInputs()[0]!.RestoreRequest, { Days: 7, GlacierJobParameters: { Tier: 'Standard' } });
  });

  test('Intelligent-Tiering archive tiers get a RestoreObject without Days', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'INTELLIGENT_TIERING', ArchiveStatus: 'ARCHIVE_ACCESS' });
    await assert.rejects(thawArchived(clients.s3, BUCKET, keys.slice(0, 1), { tier: 'Standard', days: 3 }), {
      code: 'ArchivedObjects',
    });
    const restores = restoreInputs();
    assert.equal(restores.length, 1);
    assert.deepEqual(restores[0]!.RestoreRequest, { GlacierJobParameters: { Tier: 'Standard' } });
    assert.equal('Days' in restores[0]!.RestoreRequest!, false);
  });

  test('an object whose retrieval is under way gets no new RestoreObject', async () => {
    s3Mock
      .on(HeadObjectCommand, { Key: keys[0] })
      .resolves({ StorageClass: 'GLACIER', Restore: 'ongoing-request="true"' });
    s3Mock.on(HeadObjectCommand, { Key: keys[1] }).resolves({ StorageClass: 'GLACIER' });
    await assert.rejects(thawArchived(clients.s3, BUCKET, keys, { tier: 'Bulk', days: 3 }), {
      code: 'ArchivedObjects',
    });
    assert.deepEqual(
      restoreInputs().map((r) => r.Key),
      [keys[1]],
    );
  });

  test('an already-restored copy and non-archive classes are readable: no RestoreObject, no error', async () => {
    s3Mock.on(HeadObjectCommand, { Key: keys[0] }).resolves({
      StorageClass: 'GLACIER',
      Restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2029 00:00:00 GMT"',
    });
    s3Mock.on(HeadObjectCommand, { Key: keys[1] }).resolves({ StorageClass: 'GLACIER_IR' });
    await thawArchived(clients.s3, BUCKET, keys, { tier: 'Bulk', days: 3, wait: false });
    assert.equal(restoreInputs().length, 0);
  });

  test('Expedited is refused for DEEP_ARCHIVE before any RestoreObject is sent', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'DEEP_ARCHIVE' });
    await assert.rejects(thawArchived(clients.s3, BUCKET, keys, { tier: 'Expedited' }), (err: unknown) => {
      assert.ok(err instanceof ColdkeepError);
      assert.equal(err.code, 'InvalidInput');
      assert.match(err.hint ?? '', /Standard|Bulk/);
      return true;
    });
    assert.equal(restoreInputs().length, 0);
  });

  test('RestoreAlreadyInProgress from S3 is not an error', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER' });
    s3Mock
      .on(RestoreObjectCommand)
      .rejects(Object.assign(new Error('in progress'), { name: 'RestoreAlreadyInProgress' }));
    await assert.rejects(thawArchived(clients.s3, BUCKET, keys.slice(0, 1), { tier: 'Bulk' }), {
      code: 'ArchivedObjects',
    });
  });

  test('wait: polls HeadObject until the objects are readable, then resolves', async () => {
    s3Mock
      .on(HeadObjectCommand)
      .resolvesOnce({ StorageClass: 'GLACIER' })
      .resolvesOnce({ StorageClass: 'GLACIER', Restore: 'ongoing-request="true"' })
      .resolves({
        StorageClass: 'GLACIER',
        Restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2029 00:00:00 GMT"',
      });
    const waits: string[][] = [];
    await thawArchived(
      clients.s3,
      BUCKET,
      keys.slice(0, 1),
      { tier: 'Bulk', days: 3, wait: true, pollIntervalMs: 1 },
      undefined,
      (pending) => waits.push(pending.map((p) => `${p.key}:${p.state}`)),
    );
    assert.equal(s3Mock.commandCalls(HeadObjectCommand).length, 3);
    assert.equal(restoreInputs().length, 1);
    assert.deepEqual(waits, [[`${keys[0]}:archived`], [`${keys[0]}:restoring`]]);
  });
});
