// Folder snapshots against s3rver over HTTP: round trip of every kind of file, incremental
// re-runs, corruption caught on restore, interrupted backups, retention and prune.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  acquireSourceLock,
  backupFolder,
  blobKey,
  ColdkeepError,
  type FolderBackupInput,
  forgetSnapshots,
  listSnapshots,
  pruneBlobs,
  readSnapshotEntries,
  restoreSnapshot,
  snapshotKey,
  sourceLocation,
  verifySnapshot,
} from '@coldkeep/shared';
import { listKeys, startTarget, type TestTarget, underRun, uniqueName } from '../helpers/fixture';
import { readTree } from '../helpers/tree';

const MiB = 1024 * 1024;
const PREFIX = underRun('snaps');

describe('folder snapshots, one object per blob', () => {
  let target: TestTarget;
  let work: string;
  let src: string;
  const source = uniqueName('docs');
  const big = randomBytes(6 * MiB + 12345);

  const input = (extra: Partial<FolderBackupInput> = {}): FolderBackupInput => ({
    dir: src,
    bucket: target.bucket,
    prefix: PREFIX,
    source,
    excludes: ['*.tmp', 'cache/'],
    multipartThreshold: 5 * MiB,
    partSize: 5 * MiB,
    packFilesUpTo: 0,
    ...extra,
  });

  before(async () => {
    target = await startTarget();
    work = await mkdtemp(join(tmpdir(), 'coldkeep-files-'));
    src = join(work, 'src');
    await mkdir(join(src, 'bin'), { recursive: true });
    await writeFile(join(src, 'bin', 'random.bin'), randomBytes(200_000));
    await writeFile(join(src, 'empty.txt'), '');
    await writeFile(join(src, 'big.iso'), big);
    await mkdir(join(src, 'naïve café'), { recursive: true });
    await writeFile(join(src, 'naïve café', '日本語 ファイル.txt'), 'こんにちは\n');
    await writeFile(join(src, 'naïve café', 'emoji 🎉.md'), '# party\n');
    let deep = src;
    for (let i = 0; i < 25; i++) deep = join(deep, `level-${i}`);
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, 'bottom.txt'), 'deep down');
    await writeFile(join(src, 'script.sh'), '#!/bin/sh\necho hi\n');
    await chmod(join(src, 'script.sh'), 0o755);
    await writeFile(join(src, 'secret.txt'), 'private');
    await chmod(join(src, 'secret.txt'), 0o600);
    await writeFile(join(src, 'same-a.txt'), 'same content');
    await writeFile(join(src, 'same-b.txt'), 'same content');
    await symlink('bin/random.bin', join(src, 'link-to-random'));
    await symlink('does/not/exist', join(src, 'dangling-link'));
    await writeFile(join(src, 'scratch.tmp'), 'excluded');
    await writeFile(join(src, '.DS_Store'), 'excluded by default');
    await mkdir(join(src, 'cache'));
    await writeFile(join(src, 'cache', 'x'), 'excluded folder');
    assert.equal(spawnSync('mkfifo', [join(src, 'a-pipe')]).status, 0);
    await utimes(join(src, 'secret.txt'), new Date('2020-02-02T02:02:02.123Z'), new Date('2020-02-02T02:02:02.123Z'));
  });

  after(async () => {
    await target?.stop();
    await rm(work, { recursive: true, force: true });
  });

  let first: Awaited<ReturnType<typeof backupFolder>>;

  test('round trip: binary, empty, large (multipart), unicode names, deep tree, symlinks, modes, mtimes', async () => {
    const phases = new Set<string>();
    first = await backupFolder(target.clients, input(), { onProgress: (p) => phases.add(p.phase) });
    assert.deepEqual([...phases], ['prepare', 'scan', 'manifest']);
    assert.equal(first.files, 10);
    assert.equal(first.symlinks, 2);
    assert.equal(first.uploadedBlobs, 9, 'the two identical files share one blob');
    assert.deepEqual(first.skipped, [
      {
        path: 'a-pipe',
        kind: 'special',
        entry: 'file',
        reason: 'named pipe, not backed up',
        whatToDo: 'Nothing to do: sockets, pipes and devices are never backed up.',
      },
    ]);
    assert.equal(first.status, 'succeeded', 'a pipe left out does not make the snapshot partial');
    const snapshots = await listSnapshots(target.clients, { bucket: target.bucket, prefix: PREFIX, source });
    assert.equal(snapshots.length, 1);
    assert.equal(snapshots[0]!.snapshotId, first.snapshotId);
    assert.equal(snapshots[0]!.files, 10);
    assert.equal(snapshots[0]!.bytes, first.bytes);

    const out = join(work, 'restored-1');
    const report = await restoreSnapshot(target.clients, {
      bucket: target.bucket,
      prefix: PREFIX,
      source,
      snapshotId: 'latest',
      target: out,
    });
    assert.equal(report.files, 10);
    assert.deepEqual(report.skippedExisting, []);
    const expected = await readTree(src);
    for (const excluded of ['scratch.tmp', '.DS_Store', 'cache', 'cache/x']) expected.delete(excluded);
    assert.deepEqual(await readTree(out), expected);
    assert.equal((await stat(join(out, 'secret.txt'))).mtime.toISOString(), '2020-02-02T02:02:02.123Z');
    assert.deepEqual(await readFile(join(out, 'big.iso')), big);
  });

  test('a no-change re-run reads and uploads nothing', async () => {
    const again = await backupFolder(target.clients, input());
    assert.equal(again.parent, first.snapshotId);
    assert.equal(again.uploadedBlobs, 0);
    assert.equal(again.hashedFiles, 0);
    assert.equal(again.unchangedFiles, 10);
    assert.notEqual(again.snapshotId, first.snapshotId);
  });

  test('one changed file uploads one blob', async () => {
    await writeFile(join(src, 'naïve café', 'emoji 🎉.md'), '# party, changed\n');
    const changed = await backupFolder(target.clients, input());
    assert.equal(changed.uploadedBlobs, 1);
    assert.equal(changed.hashedFiles, 1);
    assert.equal(changed.uploadedBytes, Buffer.byteLength('# party, changed\n'));
    const entries = await readSnapshotEntries(
      target.clients.s3,
      sourceLocation(target.bucket, PREFIX, source),
      changed.snapshotId,
    );
    const keys = await listKeys(target.clients.s3, target.bucket, `${PREFIX}/files/${source}/blobs/`);
    assert.equal(keys.length, 10);
    assert.ok(entries.some((e) => e.path === 'naïve café/emoji 🎉.md'));
  });

  test('restore of a sub-path and of a glob; existing files are left alone unless overwrite', async () => {
    const out = join(work, 'restored-2');
    const sub = await restoreSnapshot(target.clients, {
      bucket: target.bucket,
      prefix: PREFIX,
      source,
      snapshotId: 'latest',
      target: out,
      paths: ['naïve café'],
    });
    assert.equal(sub.files, 2);
    assert.deepEqual((await readdir(out)).sort(), ['naïve café']);
    const glob = await restoreSnapshot(target.clients, {
      bucket: target.bucket,
      prefix: PREFIX,
      source,
      snapshotId: 'latest',
      target: out,
      paths: ['*.sh', '**/bottom.txt'],
    });
    assert.equal(glob.files, 2);
    assert.equal((await stat(join(out, 'script.sh'))).mode & 0o777, 0o755);

    await writeFile(join(out, 'script.sh'), 'mine, keep it');
    const keep = await restoreSnapshot(target.clients, {
      bucket: target.bucket,
      prefix: PREFIX,
      source,
      snapshotId: 'latest',
      target: out,
      paths: ['script.sh'],
    });
    assert.deepEqual(keep.skippedExisting, ['script.sh']);
    assert.equal(await readFile(join(out, 'script.sh'), 'utf8'), 'mine, keep it');
    await restoreSnapshot(target.clients, {
      bucket: target.bucket,
      prefix: PREFIX,
      source,
      snapshotId: 'latest',
      target: out,
      paths: ['script.sh'],
      overwrite: true,
    });
    assert.equal(await readFile(join(out, 'script.sh'), 'utf8'), '#!/bin/sh\necho hi\n');
    await assert.rejects(
      restoreSnapshot(target.clients, {
        bucket: target.bucket,
        prefix: PREFIX,
        source,
        snapshotId: 'latest',
        target: out,
        paths: ['no/such/path'],
      }),
      (err: ColdkeepError) => err.code === 'InvalidInput' && /Nothing in the snapshot matches/.test(err.message),
    );
  });

  test('a corrupted blob is caught on restore and by verify; the other files are restored', async () => {
    const loc = sourceLocation(target.bucket, PREFIX, source);
    const entries = await readSnapshotEntries(target.clients.s3, loc, first.snapshotId);
    const secret = entries.find((e) => e.path === 'secret.txt');
    assert.ok(secret && secret.type === 'file');
    const key = blobKey(loc, secret.sha256);
    const original = await (
      await target.clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }))
    ).Body!.transformToByteArray();
    await target.clients.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: 'tampered' }));
    try {
      const verify = await verifySnapshot(target.clients, {
        bucket: target.bucket,
        prefix: PREFIX,
        source,
        snapshotId: first.snapshotId,
        readData: 'all',
      });
      assert.equal(verify.ok, false);
      assert.deepEqual(
        verify.problems.map((p) => [p.problem, p.paths]),
        [['size-mismatch', ['secret.txt']]],
      );
      const out = join(work, 'restored-3');
      await assert.rejects(
        restoreSnapshot(target.clients, {
          bucket: target.bucket,
          prefix: PREFIX,
          source,
          snapshotId: first.snapshotId,
          target: out,
        }),
        (err: ColdkeepError) => err.code === 'ChecksumMismatch' && /1 file\(s\) were not restored/.test(err.message),
      );
      await assert.rejects(stat(join(out, 'secret.txt')), /ENOENT/);
      assert.equal(await readFile(join(out, 'script.sh'), 'utf8'), '#!/bin/sh\necho hi\n');
      assert.deepEqual(
        (await readdir(out)).filter((n) => n.startsWith('.coldkeep-')),
        [],
        'no temp files left',
      );
      // Same size, other bytes: only a re-hash can tell.
      await target.clients.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: 'PRIVATE' }));
      const sizeOnly = await verifySnapshot(target.clients, {
        bucket: target.bucket,
        prefix: PREFIX,
        source,
        snapshotId: first.snapshotId,
      });
      assert.equal(sizeOnly.ok, true);
      const reread = await verifySnapshot(target.clients, {
        bucket: target.bucket,
        prefix: PREFIX,
        source,
        snapshotId: first.snapshotId,
        readData: 'all',
      });
      assert.deepEqual(
        reread.problems.map((p) => p.problem),
        ['hash-mismatch'],
      );
      assert.equal(reread.readBlobs, 9);
    } finally {
      await target.clients.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: original }));
    }
    const healthy = await verifySnapshot(target.clients, {
      bucket: target.bucket,
      prefix: PREFIX,
      source,
      snapshotId: first.snapshotId,
      readData: 'sample',
      sampleSize: 3,
    });
    assert.equal(healthy.ok, true);
    assert.equal(healthy.readBlobs, 3);
  });

  test('a file that changes after the walk saw it is read again, and the snapshot holds what was read', async () => {
    const dir = join(work, 'changing');
    await mkdir(dir);
    await writeFile(join(dir, 'a.txt'), 'first');
    await writeFile(join(dir, 'b.txt'), 'second');
    let changed = false;
    const report = await backupFolder(
      target.clients,
      { dir, bucket: target.bucket, prefix: PREFIX, source: uniqueName('changing'), concurrency: 1 },
      {
        onProgress: (p) => {
          // a.txt is done; b.txt was already stat-ed by the walk, and is now written to.
          if (p.files === 1 && !changed) {
            changed = true;
            appendFileSync(join(dir, 'b.txt'), ' and more');
          }
        },
      },
    );
    assert.ok(changed);
    assert.equal(report.hashedFiles, 3, 'b.txt was read twice');
    assert.deepEqual(report.changedWhileReading, [], 'the second read was stable');
    const entries = await readSnapshotEntries(
      target.clients.s3,
      sourceLocation(target.bucket, PREFIX, report.source),
      report.snapshotId,
    );
    const b = entries.find((e) => e.path === 'b.txt');
    assert.ok(b && b.type === 'file');
    assert.equal(b.size, Buffer.byteLength('second and more'));
    const out = join(work, 'restored-changing');
    await restoreSnapshot(target.clients, {
      bucket: target.bucket,
      prefix: PREFIX,
      source: report.source,
      snapshotId: report.snapshotId,
      target: out,
    });
    assert.equal(await readFile(join(out, 'b.txt'), 'utf8'), 'second and more');
  });

  test('an interrupted backup leaves no snapshot, and the re-run reuses its uploads', async () => {
    const other = uniqueName('interrupted');
    const dir = join(work, 'many');
    await mkdir(dir);
    for (let i = 0; i < 30; i++) await writeFile(join(dir, `f${i}.txt`), `file ${i} ${randomBytes(8).toString('hex')}`);
    const controller = new AbortController();
    await assert.rejects(
      backupFolder(
        target.clients,
        { dir, bucket: target.bucket, prefix: PREFIX, source: other, concurrency: 1, packFilesUpTo: 0 },
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.uploadedBlobs >= 5) controller.abort();
          },
        },
      ),
      (err: ColdkeepError) => err.code === 'Cancelled' && /No snapshot was written/.test(err.message),
    );
    assert.deepEqual(await listSnapshots(target.clients, { bucket: target.bucket, prefix: PREFIX, source: other }), []);
    const left = await listKeys(target.clients.s3, target.bucket, `${PREFIX}/files/${other}/`);
    assert.ok(
      left.every((k) => k.includes('/blobs/')),
      `only blobs are left: ${left.join(', ')}`,
    );
    assert.ok(left.length >= 5 && left.length < 30);
    const rerun = await backupFolder(target.clients, {
      dir,
      bucket: target.bucket,
      prefix: PREFIX,
      source: other,
      packFilesUpTo: 0,
    });
    assert.equal(rerun.uploadedBlobs, 30 - left.length);
    assert.equal(rerun.files, 30);
  });

  test('forget keeps what the policy says; prune deletes only unreferenced blobs, never while a backup runs', async () => {
    const loc = sourceLocation(target.bucket, PREFIX, source);
    const before = await listSnapshots(target.clients, { bucket: target.bucket, prefix: PREFIX, source });
    assert.equal(before.length, 3);
    // An orphan, as a failed backup would leave.
    const orphan = blobKey(loc, 'f'.repeat(64));
    await target.clients.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: orphan, Body: 'orphan' }));

    const held = await acquireSourceLock(target.clients.s3, loc, 'backup');
    await assert.rejects(
      pruneBlobs(target.clients, { bucket: target.bucket, prefix: PREFIX, source }),
      (err: ColdkeepError) => err.code === 'SourceLocked',
    );
    await assert.rejects(
      backupFolder(target.clients, input()).then(() => acquireSourceLock(target.clients.s3, loc, 'prune')),
      (err: ColdkeepError) => err.code === 'SourceLocked',
      'a prune cannot start while a backup lock is live',
    );
    // The same lock, judged stale, is ignored.
    const withStale = await pruneBlobs(target.clients, {
      bucket: target.bucket,
      prefix: PREFIX,
      source,
      dryRun: true,
      lockStaleMs: -1,
    });
    assert.deepEqual(withStale.staleLocksIgnored, [held.key]);
    await held.release();

    const dry = await forgetSnapshots(target.clients, {
      bucket: target.bucket,
      prefix: PREFIX,
      source,
      last: 1,
      dryRun: true,
    });
    assert.equal(dry.forgotten.length, 3);
    assert.equal((await listSnapshots(target.clients, { bucket: target.bucket, prefix: PREFIX, source })).length, 4);
    const forgot = await forgetSnapshots(target.clients, { bucket: target.bucket, prefix: PREFIX, source, last: 1 });
    assert.deepEqual(
      forgot.forgotten,
      before.map((s) => s.snapshotId),
    );
    const [kept] = await listSnapshots(target.clients, { bucket: target.bucket, prefix: PREFIX, source });
    assert.equal(kept!.snapshotId, forgot.kept[0]);

    const pruned = await pruneBlobs(target.clients, { bucket: target.bucket, prefix: PREFIX, source });
    // The old emoji file's blob (only in forgotten snapshots) and the orphan go; the rest stay.
    assert.equal(pruned.deletedBlobs, 2);
    assert.equal(pruned.referencedBlobs, 9);
    assert.deepEqual(pruned.lockedKept, []);
    const blobs = await listKeys(target.clients.s3, target.bucket, `${PREFIX}/files/${source}/blobs/`);
    assert.equal(blobs.length, 9);
    assert.ok(!blobs.includes(orphan));
    assert.deepEqual(await listKeys(target.clients.s3, target.bucket, `${PREFIX}/files/${source}/locks/`), []);
    const verify = await verifySnapshot(target.clients, {
      bucket: target.bucket,
      prefix: PREFIX,
      source,
      snapshotId: 'latest',
      readData: 'all',
    });
    assert.equal(verify.ok, true, JSON.stringify(verify.problems));
    const out = join(work, 'restored-4');
    const restored = await restoreSnapshot(target.clients, {
      bucket: target.bucket,
      prefix: PREFIX,
      source,
      snapshotId: 'latest',
      target: out,
    });
    assert.equal(restored.files, 10);
    assert.equal(await readFile(join(out, 'naïve café', 'emoji 🎉.md'), 'utf8'), '# party, changed\n');
    assert.ok(snapshotKey(loc, kept!.snapshotId).endsWith('.json.gz'));
  });
});
