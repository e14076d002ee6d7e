// Request shape of folder snapshots where s3rver cannot tell (it ignores SSE, Object Lock and the
// Tagging header, and has no Glacier or lock headers): the real backup and restore code runs against
// aws-sdk-client-mock stubs, and the tests read the inputs they sent.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
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
  backupFolder,
  ColdkeepError,
  pruneBlobs,
  restoreSnapshot,
  SNAPSHOT_FORMAT,
  decodeTree,
  type SnapshotEntry,
  type SnapshotManifest,
} from '@coldkeep/shared';

const s3Mock = mockClient(S3Client);
const BUCKET = 'vault';
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/abc';
const RETAIN_UNTIL = new Date('2030-01-31T00:00:00.000Z');
const MiB = 1024 * 1024;

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const clients = (): AwsClients =>
  new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
const body = (data: Buffer): never =>
  Object.assign(Readable.from([data]), { transformToByteArray: async () => data }) as never;

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'coldkeep-files-shape-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});
beforeEach(() => s3Mock.reset());
afterEach(() => s3Mock.reset());

/** A snapshot manifest of the source "docs" holding `entries` (the figures follow from them). */
function snapshotOf(snapshotId: string, entries: SnapshotEntry[]): SnapshotManifest {
  const files = entries.filter((e) => e.type === 'file');
  return {
    format: SNAPSHOT_FORMAT,
    // A format 2 snapshot: every entry in the manifest (format 3 keeps them in trees).
    formatVersion: 2,
    snapshotId,
    source: 'docs',
    tool: { name: 'coldkeep', version: 'test' },
    host: 'h',
    dir: '/home/me/docs',
    startedAt: '2026-11-20T01:02:03.000Z',
    finishedAt: '2026-11-20T01:02:04.000Z',
    files: files.length,
    dirs: 0,
    symlinks: 0,
    bytes: files.reduce((n, f) => n + (f.type === 'file' ? f.size : 0), 0),
    excludes: [],
    skipped: [],
    storage: {},
    entries,
  };
}

describe('folder backup request shape', () => {
  test('blobs and packs carry SSE-KMS, Object Lock, their SHA-256 and the lifecycle tag; pack indexes and the snapshot are Standard; the lock has no retention', async () => {
    const dir = join(work, 'src');
    await mkdir(dir, { recursive: true });
    const small = Buffer.from('small file');
    const big = randomBytes(6 * MiB);
    await writeFile(join(dir, 'small.txt'), small);
    await writeFile(join(dir, 'big.bin'), big);
    s3Mock.on(HeadBucketCommand).resolves({});
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(DeleteObjectCommand).resolves({});
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3Mock.on(UploadPartCommand).resolves({ ETag: '"e"' });
    s3Mock.on(CompleteMultipartUploadCommand).resolves({});
    s3Mock.on(PutObjectTaggingCommand).resolves({});

    const report = await backupFolder(clients(), {
      dir,
      bucket: BUCKET,
      source: 'docs',
      sse: { type: 'aws:kms', kmsKeyId: KMS_KEY },
      objectLock: { mode: 'COMPLIANCE', retainUntil: RETAIN_UNTIL },
      multipartThreshold: 5 * MiB,
      partSize: 5 * MiB,
    });
    assert.equal(report.uploadedBlobs, 2);
    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input as PutObjectCommandInput);
    // The small file's blob is packed (a pack of one here); the pack is archive data.
    const pack = puts.find((p) => p.Key?.startsWith('coldkeep/files/docs/packs/'));
    assert.ok(pack, `pack put among ${puts.map((p) => p.Key).join(', ')}`);
    // The pack goes as a stream of views (one big write would be one big TLS buffer).
    assert.ok(pack.Body instanceof Readable);
    assert.deepEqual(Buffer.concat(await (pack.Body as Readable).toArray()), small);
    assert.deepEqual(
      {
        Tagging: pack.Tagging,
        ServerSideEncryption: pack.ServerSideEncryption,
        SSEKMSKeyId: pack.SSEKMSKeyId,
        BucketKeyEnabled: pack.BucketKeyEnabled,
        ObjectLockMode: pack.ObjectLockMode,
        ObjectLockRetainUntilDate: pack.ObjectLockRetainUntilDate,
        ChecksumAlgorithm: pack.ChecksumAlgorithm,
        ChecksumSHA256: pack.ChecksumSHA256,
      },
      {
        Tagging: 'coldkeep-lifecycle=archive',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KMS_KEY,
        BucketKeyEnabled: true,
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: RETAIN_UNTIL,
        ChecksumAlgorithm: 'SHA256',
        ChecksumSHA256: Buffer.from(sha(small), 'hex').toString('base64'),
      },
    );
    const packId = pack.Key!.slice('coldkeep/files/docs/packs/'.length);
    const index = puts.find((p) => p.Key === `coldkeep/files/docs/index/${packId}.json.gz`);
    assert.ok(index, 'the pack has an index');
    assert.ok(puts.indexOf(index) > puts.indexOf(pack), 'the index is written after its pack');
    assert.equal(index.Tagging, undefined, 'pack indexes stay in Standard: no lifecycle tag');
    assert.equal(index.ObjectLockMode, 'COMPLIANCE');
    assert.equal(index.ServerSideEncryption, 'aws:kms');
    assert.deepEqual(JSON.parse(gunzipSync(index.Body as Buffer).toString()).blobs, [[sha(small), 0, small.length]]);
    const snapshot = puts.find((p) => p.Key === `coldkeep/files/docs/snapshots/${report.snapshotId}.json.gz`);
    assert.ok(snapshot);
    assert.equal(snapshot.Tagging, undefined, 'snapshot manifests stay in Standard: no lifecycle tag');
    assert.equal(snapshot.ContentType, 'application/gzip');
    assert.equal(snapshot.ObjectLockMode, 'COMPLIANCE');
    assert.equal(snapshot.ServerSideEncryption, 'aws:kms');
    assert.equal(snapshot.Metadata?.['coldkeep-files'], '2');
    const manifest = JSON.parse(gunzipSync(snapshot.Body as Buffer).toString()) as SnapshotManifest;
    assert.equal(manifest.formatVersion, 3);
    // The root folder's tree, in a tree pack: Standard storage, SSE and Object Lock like the rest.
    const treePack = puts.find((p) => p.Key === `coldkeep/files/docs/trees/${manifest.tree!.pack}`);
    assert.ok(treePack, 'the root tree is in a tree pack');
    assert.equal(treePack.Tagging, undefined, 'tree packs stay in Standard: no lifecycle tag');
    assert.equal(treePack.ObjectLockMode, 'COMPLIANCE');
    assert.equal(treePack.ServerSideEncryption, 'aws:kms');
    assert.ok(puts.indexOf(treePack) < puts.indexOf(snapshot), 'the tree pack is written before the snapshot');
    const trees = Buffer.concat(await (treePack.Body as Readable).toArray());
    const { offset, length, id } = manifest.tree!;
    assert.deepEqual(
      decodeTree(trees.subarray(offset, offset + length), id, 'tree pack').map((e) =>
        e.type === 'file' ? [e.name, e.sha256, e.pack, e.packOffset] : [],
      ),
      [
        ['big.bin', sha(big), undefined, undefined],
        ['small.txt', sha(small), packId, 0],
      ],
    );
    assert.equal(puts.indexOf(snapshot), puts.length - 1, 'the snapshot is the last object written');
    const lock = puts.find((p) => p.Key?.startsWith('coldkeep/files/docs/locks/backup-'));
    assert.ok(lock);
    assert.equal(lock.ObjectLockMode, undefined, 'a lock must stay deletable');
    assert.equal(lock.ServerSideEncryption, 'aws:kms');
    assert.equal(s3Mock.commandCalls(DeleteObjectCommand)[0]?.args[0].input.Key, lock.Key, 'the lock is released');

    const create = s3Mock.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input;
    assert.equal(create.Key, `coldkeep/files/docs/blobs/${sha(big).slice(0, 2)}/${sha(big)}`);
    assert.equal(create.ObjectLockMode, 'COMPLIANCE');
    assert.equal(create.ServerSideEncryption, 'aws:kms');
    assert.equal(s3Mock.commandCalls(UploadPartCommand).length, 2);
    assert.deepEqual(s3Mock.commandCalls(PutObjectTaggingCommand)[0]!.args[0].input.Tagging, {
      TagSet: [{ Key: 'coldkeep-lifecycle', Value: 'archive' }],
    });
  });
});

describe('folder restore of archived blobs', () => {
  const content = Buffer.from('archived content');
  const digest = sha(content);
  const blobKey = `coldkeep/files/docs/blobs/${digest.slice(0, 2)}/${digest}`;
  const snapshotId = '20261120T010203Z-beef';
  const manifest = snapshotOf(snapshotId, [
    { type: 'file', path: 'old.txt', size: content.length, mtimeMs: 1_600_000_000_000, mode: 0o640, sha256: digest },
  ]);

  function useArchive(storageClass: string): void {
    s3Mock.on(ListObjectsV2Command, { Prefix: 'coldkeep/files/docs/snapshots/' }).resolves({
      Contents: [{ Key: `coldkeep/files/docs/snapshots/${snapshotId}.json.gz` }],
    });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'coldkeep/files/docs/blobs/' }).resolves({
      Contents: [{ Key: blobKey, Size: content.length, StorageClass: storageClass as never }],
    });
    s3Mock
      .on(GetObjectCommand, { Key: `coldkeep/files/docs/snapshots/${snapshotId}.json.gz` })
      .callsFake(() => ({ Body: body(gzipSync(JSON.stringify(manifest))) }));
    s3Mock.on(GetObjectCommand, { Key: blobKey }).callsFake(() => ({ Body: body(content) }));
    s3Mock.on(RestoreObjectCommand).resolves({});
  }

  test('without --wait: the retrieval starts with the chosen tier, and the error says what it waits for', async () => {
    useArchive('GLACIER');
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER' });
    const target = join(work, 'out-nowait');
    await assert.rejects(
      restoreSnapshot(clients(), {
        bucket: BUCKET,
        source: 'docs',
        snapshotId: 'latest',
        target,
        tier: 'Bulk',
        days: 3,
      }),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'ArchivedObjects');
        assert.match(err.message, /1 of 1 blobs are archived \(GLACIER\); their retrieval \(Bulk\) has started/);
        assert.match(err.hint ?? '', /5–12 hours.*the wait setting/);
        assert.deepEqual(err.details, { archived: [blobKey], tier: 'Bulk' });
        return true;
      },
    );
    assert.deepEqual(
      s3Mock.commandCalls(RestoreObjectCommand).map((c) => c.args[0].input),
      [{ Bucket: BUCKET, Key: blobKey, RestoreRequest: { Days: 3, GlacierJobParameters: { Tier: 'Bulk' } } }],
    );
    assert.equal(s3Mock.commandCalls(GetObjectCommand, { Key: blobKey }).length, 0, 'nothing read before it is thawed');
  });

  test('with --wait: polls until the blob is readable, reports the wait, then restores it verified', async () => {
    useArchive('DEEP_ARCHIVE');
    s3Mock
      .on(HeadObjectCommand)
      .resolvesOnce({ StorageClass: 'DEEP_ARCHIVE' })
      .resolvesOnce({ StorageClass: 'DEEP_ARCHIVE', Restore: 'ongoing-request="true"' })
      .resolves({
        StorageClass: 'DEEP_ARCHIVE',
        Restore: 'ongoing-request="false", expiry-date="Fri, 27 Nov 2026 00:00:00 GMT"',
      });
    const target = join(work, 'out-wait');
    const waits: number[] = [];
    const report = await restoreSnapshot(
      clients(),
      {
        bucket: BUCKET,
        source: 'docs',
        snapshotId: snapshotId.slice(0, 12),
        target,
        wait: true,
        tier: 'Standard',
        pollIntervalMs: 5,
      },
      { onProgress: (p) => p.phase === 'thaw' && waits.push(p.waitingFor ?? -1) },
    );
    assert.equal(report.thawedBlobs, 1);
    assert.equal(report.snapshotId, snapshotId);
    assert.ok(waits.length >= 2 && waits.every((w) => w === 1), `waiting reported: ${waits.join(',')}`);
    assert.equal(
      s3Mock.commandCalls(RestoreObjectCommand)[0]!.args[0].input.RestoreRequest?.GlacierJobParameters?.Tier,
      'Standard',
    );
    assert.deepEqual(await readFile(join(target, 'old.txt')), content);
  });

  test('Expedited is refused for Deep Archive before any retrieval is paid for', async () => {
    useArchive('DEEP_ARCHIVE');
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'DEEP_ARCHIVE' });
    await assert.rejects(
      restoreSnapshot(clients(), {
        bucket: BUCKET,
        source: 'docs',
        snapshotId: 'latest',
        target: join(work, 'x'),
        tier: 'Expedited',
      }),
      (err: ColdkeepError) => err.code === 'InvalidInput' && /Expedited/.test(err.message),
    );
    assert.equal(s3Mock.commandCalls(RestoreObjectCommand).length, 0);
  });

  test('Glacier Instant Retrieval and Standard blobs are read directly, with no HeadObject or RestoreObject', async () => {
    useArchive('GLACIER_IR');
    const target = join(work, 'out-ir');
    const report = await restoreSnapshot(clients(), { bucket: BUCKET, source: 'docs', snapshotId: 'latest', target });
    assert.equal(report.thawedBlobs, 0);
    assert.equal(s3Mock.commandCalls(HeadObjectCommand).length, 0);
    assert.equal(s3Mock.commandCalls(RestoreObjectCommand).length, 0);
    assert.deepEqual(await readFile(join(target, 'old.txt')), content);
  });
});

describe('folder restore of archived packs', () => {
  test('a pack in Glacier is thawed (not its blobs), and nothing is read before', async () => {
    const content = Buffer.from('packed and archived');
    const snapshotId = '20261120T010203Z-f00d';
    const packId = '20261120T010203Z-0a0b0c0d';
    const packKey = `coldkeep/files/docs/packs/${packId}`;
    const manifest = snapshotOf(
      snapshotId,
      ['a.txt', 'b.txt'].map((path, i) => ({
        type: 'file' as const,
        path,
        size: content.length,
        mtimeMs: 0,
        mode: 0o600,
        sha256: sha(content),
        pack: packId,
        packOffset: i * content.length,
      })),
    );
    s3Mock.on(ListObjectsV2Command, { Prefix: 'coldkeep/files/docs/snapshots/' }).resolves({
      Contents: [{ Key: `coldkeep/files/docs/snapshots/${snapshotId}.json.gz` }],
    });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'coldkeep/files/docs/packs/' }).resolves({
      Contents: [{ Key: packKey, Size: 2 * content.length, StorageClass: 'GLACIER' }],
    });
    s3Mock
      .on(GetObjectCommand, { Key: `coldkeep/files/docs/snapshots/${snapshotId}.json.gz` })
      .callsFake(() => ({ Body: body(gzipSync(JSON.stringify(manifest))) }));
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'GLACIER' });
    s3Mock.on(RestoreObjectCommand).resolves({});
    await assert.rejects(
      restoreSnapshot(clients(), {
        bucket: BUCKET,
        source: 'docs',
        snapshotId: 'latest',
        target: join(work, 'out-packs'),
      }),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'ArchivedObjects');
        assert.match(err.message, /1 of 1 packs are archived \(GLACIER\)/);
        assert.deepEqual(err.details?.archived, [packKey]);
        return true;
      },
    );
    assert.deepEqual(
      s3Mock.commandCalls(RestoreObjectCommand).map((c) => c.args[0].input.Key),
      [packKey],
    );
    assert.equal(s3Mock.commandCalls(ListObjectsV2Command, { Prefix: 'coldkeep/files/docs/blobs/' }).length, 0);
    assert.equal(s3Mock.commandCalls(GetObjectCommand, { Key: packKey }).length, 0, 'nothing read before it is thawed');
  });
});

describe('prune and Object Lock', () => {
  test('unreferenced blobs under retention or legal hold are kept (HeadObject first); only the others are deleted', async () => {
    const referenced = Buffer.from('still needed');
    const snapshotId = '20261120T010203Z-cafe';
    const key = (digest: string): string => `coldkeep/files/docs/blobs/${digest.slice(0, 2)}/${digest}`;
    const [retained, held, expired, plain] = ['retained', 'held', 'expired', 'plain'].map((name) => key(sha(name)));
    const packKey = (id: string): string => `coldkeep/files/docs/packs/${id}`;
    const indexKey = (id: string): string => `coldkeep/files/docs/index/${id}.json.gz`;
    // p1 is used; p2 is not; p3 is not, but its index is under retention (so the pack stays:
    // an index never outlives its pack); p4's pack is gone and its index is left over.
    const [p1, p2, p3, p4] = [
      '20261120T010203Z-p1',
      '20261120T010203Z-p2',
      '20261120T010203Z-p3',
      '20261120T010203Z-p4',
    ];
    const manifest = snapshotOf(snapshotId, [
      { type: 'file', path: 'a.txt', size: referenced.length, mtimeMs: 0, mode: 0o600, sha256: sha(referenced) },
      {
        type: 'file',
        path: 'b.txt',
        size: 5,
        mtimeMs: 0,
        mode: 0o600,
        sha256: sha('packed'),
        pack: p1,
        packOffset: 0,
      },
    ]);
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(DeleteObjectCommand).resolves({});
    s3Mock.on(DeleteObjectsCommand).resolves({});
    s3Mock.on(ListObjectsV2Command, { Prefix: 'coldkeep/files/docs/locks/' }).resolves({ Contents: [] });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'coldkeep/files/docs/snapshots/' }).resolves({
      Contents: [{ Key: `coldkeep/files/docs/snapshots/${snapshotId}.json.gz` }],
    });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'coldkeep/files/docs/blobs/' }).resolves({
      Contents: [key(sha(referenced)), retained!, held!, expired!, plain!].map((Key) => ({ Key, Size: 5 })),
    });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'coldkeep/files/docs/packs/' }).resolves({
      Contents: [p1, p2, p3].map((id) => ({ Key: packKey(id), Size: 100 })),
    });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'coldkeep/files/docs/index/' }).resolves({
      Contents: [p1, p2, p3, p4].map((id) => ({ Key: indexKey(id), Size: 10 })),
    });
    // No tree packs: the snapshot is a format 2 one.
    s3Mock.on(ListObjectsV2Command, { Prefix: 'coldkeep/files/docs/trees/' }).resolves({ Contents: [] });
    // Damage records (the listing shows no ETags, so the objects' tokens are "none"): p1's is
    // still true and p1 still used; p2 is deleted now; p3 stays (its index is retained); plain
    // was written again since ("other" was its ETag); p4 is gone and nothing uses it.
    const record = (name: string): string => `coldkeep/files/docs/damaged/${name}.json`;
    const [r1, r2, r3, rPlain, r4] = [
      record(`pack.${p1}.none`),
      record(`pack.${p2}.none`),
      record(`pack.${p3}.none`),
      record(`blob.${sha('plain')}.other`),
      record(`pack.${p4}.missing`),
    ];
    s3Mock.on(ListObjectsV2Command, { Prefix: 'coldkeep/files/docs/damaged/' }).resolves({
      Contents: [r1, r2, r3, rPlain, r4].map((Key) => ({ Key, Size: 300 })),
    });
    s3Mock
      .on(GetObjectCommand, { Key: `coldkeep/files/docs/snapshots/${snapshotId}.json.gz` })
      .callsFake(() => ({ Body: body(gzipSync(JSON.stringify(manifest))) }));
    s3Mock.on(HeadObjectCommand).resolves({});
    s3Mock.on(HeadObjectCommand, { Key: retained }).resolves({ ObjectLockRetainUntilDate: RETAIN_UNTIL });
    s3Mock.on(HeadObjectCommand, { Key: held }).resolves({ ObjectLockLegalHoldStatus: 'ON' });
    s3Mock
      .on(HeadObjectCommand, { Key: expired })
      .resolves({ ObjectLockRetainUntilDate: new Date('2020-01-01T00:00:00.000Z') });
    s3Mock.on(HeadObjectCommand, { Key: indexKey(p3) }).resolves({ ObjectLockRetainUntilDate: RETAIN_UNTIL });

    const report = await pruneBlobs(clients(), {
      bucket: BUCKET,
      source: 'docs',
      now: () => new Date('2026-11-23T00:00:00.000Z'),
    });
    assert.deepEqual(
      s3Mock
        .commandCalls(HeadObjectCommand)
        .map((c) => c.args[0].input.Key)
        .sort(),
      [retained, held, expired, plain, packKey(p2), packKey(p3), indexKey(p2), indexKey(p3), indexKey(p4)].sort(),
      'only unreferenced objects are checked',
    );
    assert.deepEqual(
      report.lockedKept.sort((a, b) => a.key.localeCompare(b.key)),
      [
        { key: retained!, until: RETAIN_UNTIL.toISOString() },
        { key: held!, legalHold: true },
        { key: indexKey(p3), until: RETAIN_UNTIL.toISOString() },
      ].sort((a, b) => a.key.localeCompare(b.key)),
    );
    const deletes = s3Mock
      .commandCalls(DeleteObjectsCommand)
      .map((c) => c.args[0].input.Delete!.Objects!.map((o) => o.Key));
    assert.deepEqual(deletes.length, 3, 'indexes first, then the rest, then the damage records that guard nothing');
    assert.deepEqual(deletes[0]!.sort(), [indexKey(p2), indexKey(p4)].sort());
    assert.deepEqual(deletes[1]!.sort(), [packKey(p2), expired, plain].sort());
    assert.deepEqual(deletes[2]!.sort(), [r2, rPlain, r4].sort());
    assert.equal(report.deletedDamageRecords, 3);
    assert.equal(report.deletedBlobs, 2);
    assert.equal(report.deletedPacks, 1);
    assert.equal(report.storedPacks, 3);
    assert.equal(report.referencedPacks, 1);
  });
});
