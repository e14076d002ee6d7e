// Request shapes of what s3rver cannot serve, through aws-sdk-client-mock: "backups gc"'s
// ListMultipartUploads (paginated) and AbortMultipartUpload, its age rule; the ListObjectVersions
// a missing data file asks in a versioned bucket; and "latest" beside a damaged manifest.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { archiveStates, collectGarbage, findBackup } from '@coldkeep/shared';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const BUCKET = 'bkt';
const ROOT = 'coldkeep/tables/123456789012/us-east-1/';
const NOW = new Date('2026-12-07T12:00:00Z');
const hoursAgo = (h: number): Date => new Date(NOW.getTime() - h * 3600_000);

beforeEach(() => s3Mock.reset());
afterEach(() => s3Mock.reset());

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
}

describe('collectGarbage (backups gc)', () => {
  // A: a complete backup (manifest) with a leaked old upload; B: no manifest, idle for 3 days;
  // C: no manifest, written an hour ago; D: no manifest, old data but an upload started an hour ago.
  function leftovers(): void {
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: `${ROOT}T/A/data/0000-0001.json.gz`, Size: 10, LastModified: hoursAgo(100) },
        { Key: `${ROOT}T/A/manifest.json`, Size: 5, LastModified: hoursAgo(100) },
        { Key: `${ROOT}T/B/data/0000-0001.json.gz`, Size: 20, LastModified: hoursAgo(72) },
        { Key: `${ROOT}T/B/data/0001-0001.json.gz`, Size: 30, LastModified: hoursAgo(71) },
        { Key: `${ROOT}T/C/data/0000-0001.json.gz`, Size: 40, LastModified: hoursAgo(1) },
        { Key: `${ROOT}U/D/data/0000-0001.json.gz`, Size: 50, LastModified: hoursAgo(48) },
      ],
    });
    s3Mock
      .on(ListMultipartUploadsCommand)
      .resolvesOnce({
        IsTruncated: true,
        NextKeyMarker: `${ROOT}T/B/data/0002-0001.json.gz`,
        NextUploadIdMarker: 'up-b',
        Uploads: [
          { Key: `${ROOT}T/A/data/0009-0001.json.gz`, UploadId: 'up-a', Initiated: hoursAgo(99) },
          { Key: `${ROOT}T/B/data/0002-0001.json.gz`, UploadId: 'up-b', Initiated: hoursAgo(72) },
        ],
      })
      .resolvesOnce({
        IsTruncated: false,
        Uploads: [{ Key: `${ROOT}U/D/data/0001-0001.json.gz`, UploadId: 'up-d', Initiated: hoursAgo(1) }],
      });
    s3Mock.on(AbortMultipartUploadCommand).resolves({});
    s3Mock.on(DeleteObjectsCommand).resolves({});
  }

  test('a dry run lists the idle leftovers and the young ones apart, and removes nothing', async () => {
    leftovers();
    const report = await collectGarbage(s3, { bucket: BUCKET, dryRun: true, now: NOW });
    assert.deepEqual(
      s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix),
      ['coldkeep/tables/'],
    );
    assert.deepEqual(
      s3Mock.commandCalls(ListMultipartUploadsCommand).map((c) => c.args[0].input),
      [
        { Bucket: BUCKET, Prefix: 'coldkeep/tables/' },
        {
          Bucket: BUCKET,
          Prefix: 'coldkeep/tables/',
          KeyMarker: `${ROOT}T/B/data/0002-0001.json.gz`,
          UploadIdMarker: 'up-b',
        },
      ],
    );
    assert.deepEqual(
      report.orphans.map((o) => [o.backupId, o.objects, o.bytes]),
      [['B', 2, 50]],
    );
    assert.deepEqual(
      report.tooYoung.map((o) => o.backupId),
      ['C', 'D'],
    );
    assert.deepEqual(
      report.uploads.stale.map((u) => u.uploadId),
      ['up-a', 'up-b'],
    );
    assert.equal(report.uploads.tooYoung, 1);
    assert.equal(s3Mock.commandCalls(AbortMultipartUploadCommand).length, 0);
    assert.equal(s3Mock.commandCalls(DeleteObjectsCommand).length, 0);
  });

  test('with dryRun false it aborts the idle uploads and deletes only the idle folder without a manifest', async () => {
    leftovers();
    const report = await collectGarbage(s3, { bucket: BUCKET, dryRun: false, now: NOW });
    assert.deepEqual(
      s3Mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input),
      [
        { Bucket: BUCKET, Key: `${ROOT}T/A/data/0009-0001.json.gz`, UploadId: 'up-a' },
        { Bucket: BUCKET, Key: `${ROOT}T/B/data/0002-0001.json.gz`, UploadId: 'up-b' },
      ],
    );
    assert.deepEqual(
      s3Mock.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input),
      [
        {
          Bucket: BUCKET,
          Delete: {
            Objects: [{ Key: `${ROOT}T/B/data/0000-0001.json.gz` }, { Key: `${ROOT}T/B/data/0001-0001.json.gz` }],
            Quiet: true,
          },
        },
      ],
    );
    assert.equal(report.removedObjects, 2);
    assert.equal(report.removedBytes, 50);
    assert.equal(report.abortedUploads, 2);
  });

  test('--table and --older-than narrow what is taken', async () => {
    leftovers();
    const report = await collectGarbage(s3, {
      bucket: BUCKET,
      table: 'U',
      olderThanSeconds: 0,
      dryRun: true,
      now: NOW,
    });
    assert.deepEqual(
      report.orphans.map((o) => o.backupId),
      ['D'],
    );
    assert.deepEqual(
      report.uploads.stale.map((u) => u.uploadId),
      ['up-d'],
    );
  });

  test('an endpoint without ListMultipartUploads (NotImplemented) still has its orphan data removed, with a note', async () => {
    leftovers();
    s3Mock.on(ListMultipartUploadsCommand).rejects(s3Error('NotImplemented', 501));
    const report = await collectGarbage(s3, { bucket: BUCKET, dryRun: false, now: NOW });
    assert.equal(report.uploads.listed, false);
    assert.match(report.uploads.note ?? '', /does not list multipart uploads/);
    // D's young upload is unseen now: only the age of its objects counts (B's two and D's one).
    assert.equal(report.removedObjects, 3);
    assert.equal(s3Mock.commandCalls(AbortMultipartUploadCommand).length, 0);
  });
});

describe('a data file missing at restore', () => {
  const key = `${ROOT}T/A/data/0000-0001.json.gz`;

  test('in a versioned bucket: DataFileMissing names the file and its older version', async () => {
    s3Mock.on(HeadObjectCommand).rejects(s3Error('NotFound', 404));
    s3Mock.on(ListObjectVersionsCommand).resolves({
      Versions: [
        { Key: key, VersionId: 'v2', LastModified: hoursAgo(5), Size: 10 },
        { Key: `${key}.other`, VersionId: 'v9' },
      ],
      DeleteMarkers: [{ Key: key, VersionId: 'dm1', IsLatest: true }],
    });
    await assert.rejects(archiveStates(s3, BUCKET, [key]), (err: { code: string; message: string; hint: string }) => {
      assert.equal(err.code, 'DataFileMissing');
      assert.ok(err.message.includes(`s3://${BUCKET}/${key}`));
      assert.match(err.hint, /still holds 1 older version\(s\) of it; the newest is v2/);
      assert.match(err.hint, /copy-object .*versionId=v2/);
      return true;
    });
    assert.deepEqual(
      s3Mock.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input),
      [{ Bucket: BUCKET, Prefix: key, MaxKeys: 100 }],
    );
  });

  test('in a versioned bucket without an older version, or when the listing is denied, the hint says so', async () => {
    s3Mock.on(HeadObjectCommand).rejects(s3Error('NotFound', 404));
    s3Mock.on(ListObjectVersionsCommand).resolves({ Versions: [] });
    await assert.rejects(archiveStates(s3, BUCKET, [key]), {
      code: 'DataFileMissing',
      hint: /No older version of it exists/,
    });
    s3Mock.on(ListObjectVersionsCommand).rejects(s3Error('AccessDenied', 403));
    await assert.rejects(archiveStates(s3, BUCKET, [key]), {
      code: 'DataFileMissing',
      hint: /could not be checked \(AccessDenied/,
    });
  });
});

describe('"latest" beside a damaged manifest', () => {
  function backups(damagedId: string): void {
    const ids = ['20261120T000000Z-aaaa', '20261121T000000Z-bbbb'];
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: ids.flatMap((id) => [
        { Key: `${ROOT}T/${id}/data/0000-0001.json.gz` },
        { Key: `${ROOT}T/${id}/manifest.json` },
      ]),
    });
    for (const id of ids) {
      const good = JSON.stringify({
        format: 'coldkeep.table-backup',
        formatVersion: 1,
        backupId: id,
        tool: { name: 'coldkeep', version: '0.1.0' },
        engine: 'scan',
        source: { account: '123456789012', region: 'us-east-1', table: 'T' },
        schema: {
          tableName: 'T',
          keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          billingMode: 'PAY_PER_REQUEST',
          globalSecondaryIndexes: [],
          localSecondaryIndexes: [],
          approximateItemCount: 1,
          approximateSizeBytes: 1,
        },
        startedAt: '2026-11-22T13:45:01.000Z',
        finishedAt: '2026-11-22T13:45:03.000Z',
        itemCount: 1,
        uncompressedBytes: 1,
        bytes: 1,
        segments: { total: 1, consistentRead: false },
        files: [],
        storage: {},
      });
      const text = id === damagedId ? good.slice(0, 40) : good;
      s3Mock.on(GetObjectCommand, { Key: `${ROOT}T/${id}/manifest.json` }).resolves({
        Body: { transformToString: async () => text } as never,
      });
    }
  }

  test('a damaged newest backup is refused, naming it and the newest readable one', async () => {
    backups('20261121T000000Z-bbbb');
    await assert.rejects(findBackup(s3, { bucket: BUCKET, table: 'T', backupId: 'latest' }), {
      code: 'BackupDamaged',
      message: /newest backup 20261121T000000Z-bbbb of "T" is damaged/,
      hint: /newest readable backup is 20261120T000000Z-aaaa/,
    });
  });

  test('a damaged older backup does not stand in the way of the newest', async () => {
    backups('20261120T000000Z-aaaa');
    const found = await findBackup(s3, { bucket: BUCKET, table: 'T', backupId: 'latest' });
    assert.equal(found.backupId, '20261121T000000Z-bbbb');
  });
});
