// The catalog read through aws-sdk-client-mock: which List/Get requests it makes and how it
// groups keys into backups, for a named prefix and for the empty prefix (bucket root).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { type BackupManifest, findBackup, listBackups } from '@coldkeep/shared';

const s3Mock = mockClient(S3Client);
const BUCKET = 'bkt';
const OLD = '20261121T080000Z-aaaa';
const NEW = '20261122T134501Z-3f9c';

function manifest(backupId: string, itemCount: number): BackupManifest {
  return {
    format: 'coldkeep.table-backup',
    formatVersion: 1,
    backupId,
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
      approximateItemCount: itemCount,
      approximateSizeBytes: 100,
    },
    startedAt: '2026-11-22T13:45:01.000Z',
    finishedAt: '2026-11-22T13:45:03.000Z',
    itemCount,
    uncompressedBytes: 80,
    bytes: 60,
    segments: { total: 1, consistentRead: false },
    files: [
      {
        key: 'data/0000-0001.json.gz',
        segment: 0,
        part: 1,
        items: itemCount,
        bytes: 60,
        uncompressedBytes: 80,
        sha256: 'a'.repeat(64),
      },
    ],
    storage: {},
  };
}

/** A bucket holding two complete backups of T and one folder without a manifest, under `prefix`. */
function bucketUnder(prefix: string): void {
  const root = prefix ? `${prefix}/tables/123456789012/us-east-1/` : 'tables/123456789012/us-east-1/';
  s3Mock.on(ListObjectsV2Command).resolves({
    Contents: [
      { Key: `${root}T/${OLD}/data/0000-0001.json.gz`, Size: 60, StorageClass: 'GLACIER' },
      { Key: `${root}T/${OLD}/manifest.json`, Size: 900 },
      { Key: `${root}T/${NEW}/data/0000-0001.json.gz`, Size: 60, StorageClass: 'STANDARD' },
      { Key: `${root}T/${NEW}/manifest.json`, Size: 900 },
      { Key: `${root}T/20261123T000000Z-dead/data/0000-0001.json.gz`, Size: 42 },
    ],
  });
  for (const [id, count] of [
    [OLD, 5],
    [NEW, 7],
  ] as const) {
    const text = JSON.stringify(manifest(id, count));
    s3Mock.on(GetObjectCommand, { Key: `${root}T/${id}/manifest.json` }).resolves({
      Body: { transformToString: async () => text } as never,
    });
  }
}

beforeEach(() => {
  s3Mock.reset();
});

afterEach(() => {
  s3Mock.reset();
});

const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

describe('listBackups', () => {
  test('lists complete backups newest first, with storage class; folders without a manifest apart', async () => {
    bucketUnder('coldkeep');
    const catalog = await listBackups(s3, { bucket: BUCKET });
    assert.deepEqual(
      s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix),
      ['coldkeep/tables/'],
    );
    assert.deepEqual(
      catalog.backups.map((b) => [b.backupId, b.itemCount, b.storageClass, b.createdAt]),
      [
        [NEW, 7, 'STANDARD', '2026-11-22T13:45:01.000Z'],
        [OLD, 5, 'GLACIER', '2026-11-21T08:00:00.000Z'],
      ],
    );
    assert.equal(catalog.backups[0]!.uri, `s3://${BUCKET}/coldkeep/tables/123456789012/us-east-1/T/${NEW}/`);
    assert.deepEqual(catalog.incomplete, [
      {
        uri: `s3://${BUCKET}/coldkeep/tables/123456789012/us-east-1/T/20261123T000000Z-dead/`,
        table: 'T',
        backupId: '20261123T000000Z-dead',
        objects: 1,
        bytes: 42,
      },
    ]);
  });

  test('with the empty prefix (backups at the bucket root) the same backups are listed', async () => {
    bucketUnder('');
    const catalog = await listBackups(s3, { bucket: BUCKET, prefix: '' });
    assert.deepEqual(
      s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix),
      ['tables/'],
    );
    assert.deepEqual(
      catalog.backups.map((b) => [b.backupId, b.prefix, b.manifestKey]),
      [
        [NEW, '', `tables/123456789012/us-east-1/T/${NEW}/manifest.json`],
        [OLD, '', `tables/123456789012/us-east-1/T/${OLD}/manifest.json`],
      ],
    );
    assert.deepEqual(
      catalog.incomplete.map((b) => b.backupId),
      ['20261123T000000Z-dead'],
    );
  });

  test('findBackup "latest" at the bucket root finds the newest backup', async () => {
    bucketUnder('');
    const found = await findBackup(s3, { bucket: BUCKET, prefix: '', table: 'T', backupId: 'latest' });
    assert.equal(found.backupId, NEW);
  });
});
