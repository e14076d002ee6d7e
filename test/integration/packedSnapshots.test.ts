// Packed folder snapshots against s3rver over HTTP (the default for small files): packs and
// their indexes, incremental runs, ranged reads on restore (also through a connection cut
// mid-body), damage found by verify and restore, interrupted runs reusing their packs, prune.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AwsClients,
  backupFolder,
  ColdkeepError,
  decodePackIndex,
  type FileEntry,
  type FolderBackupInput,
  forgetSnapshots,
  packIndexKey,
  packKey,
  pruneBlobs,
  readSnapshotEntries,
  restoreSnapshot,
  sourceLocation,
  verifySnapshot,
} from '@coldkeep/shared';
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import {
  embeddedOnly,
  listKeys,
  onEmbedded,
  startTarget,
  type TestTarget,
  underRun,
  uniqueName,
} from '../helpers/fixture';
import { readTree } from '../helpers/tree';

const KiB = 1024;
const MiB = 1024 * KiB;
const PREFIX = underRun('packed');
/** `it`: a test through the fault proxy, which fronts only a loopback HTTP endpoint; registered on the embedded emulators only. */
const it = embeddedOnly(test);

describe('packed folder snapshots', () => {
  let target: TestTarget;
  let proxy: FaultProxy;
  let viaProxy: AwsClients;
  let work: string;

  before(async () => {
    target = await startTarget();
    if (!onEmbedded) return;
    proxy = await startFaultProxy(target.settings.endpoints!.s3!);
    viaProxy = new AwsClients({
      ...target.settings,
      endpoints: { ...target.settings.endpoints, s3: proxy.url },
      maxAttempts: 1,
    });
    work = await mkdtemp(join(tmpdir(), 'coldkeep-packed-'));
  });
  after(async () => {
    viaProxy?.destroy();
    await proxy?.stop();
    await target?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const keysOf = (source: string, folder: string): Promise<string[]> =>
    listKeys(target.clients.s3, target.bucket, `${PREFIX}/files/${source}/${folder}/`);
  const backup = (dir: string, source: string, extra: Partial<FolderBackupInput> = {}) =>
    backupFolder(target.clients, { dir, bucket: target.bucket, prefix: PREFIX, source, packSize: 16 * KiB, ...extra });
  const restore = (
    source: string,
    snapshotId: string,
    out: string,
    extra: { paths?: string[] } = {},
    clients = target.clients,
  ) => restoreSnapshot(clients, { bucket: target.bucket, prefix: PREFIX, source, snapshotId, target: out, ...extra });
  const verify = (source: string, snapshotId: string) =>
    verifySnapshot(target.clients, { bucket: target.bucket, prefix: PREFIX, source, snapshotId, readData: 'all' });
  const filesOf = async (source: string, snapshotId: string): Promise<FileEntry[]> =>
    (await readSnapshotEntries(target.clients.s3, sourceLocation(target.bucket, PREFIX, source), snapshotId)).filter(
      (e): e is FileEntry => e.type === 'file',
    );

  /** 60 small files of 1-3 KiB (two pairs with the same content), two empty ones, one of 2 MiB, a link. */
  async function makeTree(dir: string): Promise<void> {
    await mkdir(join(dir, 'notes', 'deep'), { recursive: true });
    for (let i = 0; i < 60; i++) {
      await writeFile(
        join(dir, i % 2 ? 'notes' : 'notes/deep', `n${i}.txt`),
        randomBytes(KiB + ((i * 37) % (2 * KiB))),
      );
    }
    await writeFile(join(dir, 'twin-a.txt'), 'twin');
    await writeFile(join(dir, 'twin-b.txt'), 'twin');
    await writeFile(join(dir, 'empty-1'), '');
    await writeFile(join(dir, 'notes', 'empty-2'), '');
    await writeFile(join(dir, 'big.bin'), randomBytes(2 * MiB));
    await symlink('notes/n1.txt', join(dir, 'link'));
  }

  test('small files go into packs with an index each; a big one is an object of its own; restore is exact', async () => {
    const source = uniqueName('tree');
    const dir = join(work, source);
    await makeTree(dir);
    const report = await backup(dir, source);
    assert.equal(report.files, 65);
    // 60 random contents, the twins' one, the empty one, the big one.
    assert.equal(report.uploadedBlobs, 63);
    const packs = await keysOf(source, 'packs');
    const indexes = await keysOf(source, 'index');
    assert.ok(packs.length >= 5, `60 files of 1-3 KiB in 16 KiB packs: ${packs.length}`);
    assert.equal(report.uploadedPacks, packs.length);
    assert.deepEqual(
      indexes.map((k) => k.replace('/index/', '/packs/').replace(/\.json\.gz$/, '')).sort(),
      [...packs].sort(),
      'every pack has its index',
    );
    assert.equal((await keysOf(source, 'blobs')).length, 1, 'only big.bin has an object of its own');

    const files = await filesOf(source, report.snapshotId);
    assert.ok(files.filter((f) => f.path !== 'big.bin').every((f) => f.pack !== undefined));
    assert.equal(files.find((f) => f.path === 'big.bin')!.pack, undefined);
    const twins = files.filter((f) => f.path.startsWith('twin-'));
    assert.deepEqual([twins[0]!.pack, twins[0]!.packOffset], [twins[1]!.pack, twins[1]!.packOffset], 'one copy');
    // An index names what its pack holds, where.
    const first = files.find((f) => f.path === 'notes/n1.txt')!;
    const index = await decodePackIndex(
      await (
        await target.clients.s3.send(
          new GetObjectCommand({
            Bucket: target.bucket,
            Key: packIndexKey(sourceLocation(target.bucket, PREFIX, source), first.pack!),
          }),
        )
      ).Body!.transformToByteArray(),
    );
    assert.ok(
      index?.blobs.some(
        ([sha, offset, length]) => sha === first.sha256 && offset === first.packOffset && length === first.size,
      ),
    );

    const out = join(work, `${source}-out`);
    const restored = await restore(source, report.snapshotId, out);
    assert.equal(restored.files, 65);
    assert.deepEqual(await readTree(out), await readTree(dir));
    assert.deepEqual(
      (await readdir(out)).filter((n) => n.startsWith('.coldkeep-')),
      [],
      'no temp files left',
    );

    const checked = await verify(source, report.snapshotId);
    assert.equal(checked.ok, true, JSON.stringify(checked.problems));
    assert.equal(checked.readBlobs, 63, 'one blob per content: the twins share one, so do the empty files');
  });

  test('a no-change run uploads nothing; changed small files go into one new pack; unchanged ones keep their places', async () => {
    const source = uniqueName('incremental');
    const dir = join(work, source);
    await makeTree(dir);
    const first = await backup(dir, source);
    const again = await backup(dir, source);
    assert.deepEqual([again.uploadedBlobs, again.uploadedPacks, again.hashedFiles], [0, 0, 0]);
    await writeFile(join(dir, 'notes', 'n1.txt'), 'changed one');
    await writeFile(join(dir, 'notes', 'new.txt'), 'a new file');
    const changed = await backup(dir, source);
    assert.deepEqual([changed.uploadedBlobs, changed.uploadedPacks, changed.hashedFiles], [2, 1, 2]);
    const before = new Map((await filesOf(source, first.snapshotId)).map((f) => [f.path, f]));
    const after = await filesOf(source, changed.snapshotId);
    for (const f of after) {
      if (f.path === 'notes/n1.txt' || f.path === 'notes/new.txt')
        assert.notEqual(f.pack, before.get('notes/n1.txt')!.pack);
      else
        assert.deepEqual(
          [f.sha256, f.pack, f.packOffset],
          [before.get(f.path)!.sha256, before.get(f.path)!.pack, before.get(f.path)!.packOffset],
        );
    }
    const out = join(work, `${source}-out`);
    await restore(source, changed.snapshotId, out);
    assert.deepEqual(await readTree(out), await readTree(dir));
  });

  it('a sub-path restore reads only the packs it needs; a pack download cut mid-body resumes and writes each file once', async () => {
    const source = uniqueName('ranged');
    const dir = join(work, source);
    await makeTree(dir);
    const report = await backup(dir, source);
    const files = await filesOf(source, report.snapshotId);
    const deep = files.filter((f) => f.path.startsWith('notes/deep/'));
    const deepPacks = new Set(deep.map((f) => f.pack));

    proxy.setRules([]);
    const gets = (): number =>
      proxy.stats.requests.filter((r) => r.method === 'GET' && r.url.includes(`/files/${source}/packs/`)).length;
    const before = gets();
    const sub = join(work, `${source}-sub`);
    const partial = await restore(source, report.snapshotId, sub, { paths: ['notes/deep'] }, viaProxy);
    assert.equal(partial.files, deep.length);
    assert.equal(gets() - before, deepPacks.size, 'one GET per pack that holds a wanted file');
    for (const f of deep) assert.deepEqual(await readFile(join(sub, f.path)), await readFile(join(dir, f.path)));

    // Every pack GET is cut after 5,000 bytes once; the restore goes on where it broke.
    proxy.setRules([
      {
        match: { method: 'GET', pathIncludes: `/files/${source}/packs/` },
        action: { kind: 'resetMidBody', afterBytes: 5000 },
        times: 3,
      },
    ]);
    const out = join(work, `${source}-out`);
    let written = 0;
    const whole = await restoreSnapshot(
      viaProxy,
      { bucket: target.bucket, prefix: PREFIX, source, snapshotId: report.snapshotId, target: out },
      { onProgress: (p) => (written = p.filesDone) },
    );
    proxy.setRules([]);
    assert.equal(proxy.stats.injected.resetMidBody, 3);
    assert.equal(whole.files, 65);
    assert.equal(written, 65, 'no file was written twice');
    assert.deepEqual(await readTree(out), await readTree(dir));
    assert.deepEqual(
      (await readdir(join(out, 'notes'))).filter((n) => n.startsWith('.coldkeep-')),
      [],
    );
  });

  it('a damaged pack: verify names the file, restore writes every other file; a short pack is reported, not retried', async () => {
    const source = uniqueName('damaged');
    const dir = join(work, source);
    await makeTree(dir);
    const report = await backup(dir, source);
    const loc = sourceLocation(target.bucket, PREFIX, source);
    const files = await filesOf(source, report.snapshotId);
    const victim = files.find((f) => f.path === 'notes/n3.txt')!;
    const key = packKey(loc, victim.pack!);
    const original = Buffer.from(
      await (
        await target.clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }))
      ).Body!.transformToByteArray(),
    );
    const tampered = Buffer.from(original);
    tampered[victim.packOffset! + 10] ^= 0xff;
    await target.clients.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: tampered }));
    const found = await verify(source, report.snapshotId);
    assert.deepEqual(
      found.problems.map((p) => [p.problem, p.paths, p.key]),
      [['hash-mismatch', ['notes/n3.txt'], key]],
    );
    const out = join(work, `${source}-out`);
    await assert.rejects(restore(source, report.snapshotId, out), (err: ColdkeepError) => {
      assert.equal(err.code, 'ChecksumMismatch');
      assert.match(
        err.message,
        /^1 file\(s\) were not restored because their blobs are damaged \(first: notes\/n3\.txt\); 64 other file\(s\) were restored/,
      );
      return true;
    });
    await assert.rejects(stat(join(out, 'notes', 'n3.txt')), /ENOENT/);
    assert.deepEqual(await readFile(join(out, 'notes', 'n5.txt')), await readFile(join(dir, 'notes', 'n5.txt')));

    // Cut the pack before the victim's end: every file placed past the cut is damaged.
    const short = original.subarray(0, victim.packOffset! + 10);
    await target.clients.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: short }));
    const lost = files.filter((f) => f.pack === victim.pack && f.size > 0 && f.packOffset! + f.size > short.length);
    const sizes = await verifySnapshot(target.clients, {
      bucket: target.bucket,
      prefix: PREFIX,
      source,
      snapshotId: report.snapshotId,
    });
    assert.deepEqual(sizes.problems.map((p) => p.paths[0]).sort(), lost.map((f) => f.path).sort());
    assert.ok(sizes.problems.every((p) => p.problem === 'size-mismatch'));
    const out2 = join(work, `${source}-out2`);
    proxy.setRules([]);
    const reads = (): number =>
      proxy.stats.requests.filter((r) => r.method === 'GET' && r.url.includes(victim.pack!)).length;
    const readsBefore = reads();
    await assert.rejects(restore(source, report.snapshotId, out2, {}, viaProxy), (err: ColdkeepError) => {
      assert.equal(err.code, 'ChecksumMismatch');
      assert.match(err.message, new RegExp(`^${lost.length} file\\(s\\) were not restored`));
      return true;
    });
    assert.equal(reads() - readsBefore, 1, 'a short pack is read once, not again and again');
    for (const f of lost) await assert.rejects(stat(join(out2, f.path)), /ENOENT/);
    await target.clients.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: original }));
  });

  test('an interrupted backup leaves packs and indexes only; the next run reuses them, with or without a parent', async () => {
    const source = uniqueName('interrupted');
    const dir = join(work, source);
    await mkdir(dir);
    for (let i = 0; i < 30; i++)
      await writeFile(join(dir, `f${i}.txt`), `file ${i} ${randomBytes(100).toString('hex')}`);
    const stop = (n: number) => {
      const controller = new AbortController();
      return {
        signal: controller.signal,
        onProgress: (p: { uploadedBlobs: number }) => {
          if (p.uploadedBlobs >= n) controller.abort();
        },
      };
    };
    await assert.rejects(
      backupFolder(
        target.clients,
        { dir, bucket: target.bucket, prefix: PREFIX, source, concurrency: 1, packSize: 1000 },
        stop(5),
      ),
      (err: ColdkeepError) => err.code === 'Cancelled' && /No snapshot was written/.test(err.message),
    );
    const left = await listKeys(target.clients.s3, target.bucket, `${PREFIX}/files/${source}/`);
    assert.ok(
      left.every((k) => /\/(packs|index)\//.test(k)),
      `only packs and indexes are left: ${left.join(', ')}`,
    );
    const leftBlobs = await blobsIndexed(source);
    assert.ok(leftBlobs >= 5 && leftBlobs <= 30, `${leftBlobs}`);
    const rerun = await backup(dir, source, { packSize: 1000 });
    assert.equal(rerun.uploadedBlobs, 30 - leftBlobs, 'the packs of the interrupted run are reused');

    // With a parent: only packs written since it are read, and reused.
    for (let i = 30; i < 45; i++)
      await writeFile(join(dir, `f${i}.txt`), `file ${i} ${randomBytes(100).toString('hex')}`);
    const beforeSecond = await blobsIndexed(source);
    await assert.rejects(
      backupFolder(
        target.clients,
        { dir, bucket: target.bucket, prefix: PREFIX, source, concurrency: 1, packSize: 1000 },
        stop(5),
      ),
      (err: ColdkeepError) => err.code === 'Cancelled',
    );
    const reusable = (await blobsIndexed(source)) - beforeSecond;
    assert.ok(reusable >= 5 && reusable <= 15, `${reusable}`);
    const resumed = await backup(dir, source, { packSize: 1000 });
    assert.equal(resumed.parent, rerun.snapshotId);
    assert.equal(resumed.uploadedBlobs, 15 - reusable);
    const out = join(work, `${source}-out`);
    await restore(source, resumed.snapshotId, out);
    assert.deepEqual(await readTree(out), await readTree(dir));
  });

  /** Blobs named by the pack indexes of a source (an index cut short by the cancel names none). */
  async function blobsIndexed(source: string): Promise<number> {
    let n = 0;
    for (const key of await keysOf(source, 'index')) {
      const body = await (
        await target.clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }))
      ).Body!.transformToByteArray();
      n += (await decodePackIndex(body))?.blobs.length ?? 0;
    }
    return n;
  }

  test('prune deletes the packs no snapshot needs with their indexes; a pack still partly used stays whole', async () => {
    const source = uniqueName('prune');
    const dir = join(work, source);
    await mkdir(dir);
    // Two packs of 4 files each (packSize 4 KiB, files of 1 KiB, one file at a time).
    for (let i = 0; i < 8; i++) await writeFile(join(dir, `f${i}.bin`), randomBytes(KiB));
    const first = await backup(dir, source, { packSize: 4 * KiB, concurrency: 1 });
    assert.equal(first.uploadedPacks, 2);
    const firstFiles = await filesOf(source, first.snapshotId);
    const packOf = (path: string): string => firstFiles.find((f) => f.path === path)!.pack!;
    // Replace all of f0's pack, and one file of the other.
    const whole = firstFiles.filter((f) => f.pack === packOf('f0.bin')).map((f) => f.path);
    const partly = firstFiles.find((f) => f.pack !== packOf('f0.bin'))!.path;
    for (const path of [...whole, partly]) await writeFile(join(dir, path), randomBytes(KiB));
    const second = await backup(dir, source, { packSize: 4 * KiB, concurrency: 1 });
    await forgetSnapshots(target.clients, { bucket: target.bucket, prefix: PREFIX, source, last: 1 });
    const pruned = await pruneBlobs(target.clients, { bucket: target.bucket, prefix: PREFIX, source });
    assert.equal(pruned.deletedPacks, 1);
    // The first snapshot's tree pack (the root's tree changed) goes too.
    assert.equal(pruned.deletedTreePacks, 1);
    assert.equal(
      pruned.deletedBytes,
      4 * KiB + first.uploadedTreeBytes,
      'the pack and the tree pack; indexes are not counted',
    );
    const loc = sourceLocation(target.bucket, PREFIX, source);
    const packs = await keysOf(source, 'packs');
    assert.ok(!packs.includes(packKey(loc, packOf('f0.bin'))));
    assert.ok(packs.includes(packKey(loc, packOf(partly))), 'the partly used pack stays');
    assert.ok(!(await keysOf(source, 'index')).includes(packIndexKey(loc, packOf('f0.bin'))));
    const checked = await verify(source, second.snapshotId);
    assert.equal(checked.ok, true, JSON.stringify(checked.problems));
    const out = join(work, `${source}-out`);
    await restore(source, second.snapshotId, out);
    assert.deepEqual(await readTree(out), await readTree(dir));
  });

  it('a pack or index upload that fails is sent again; the snapshot names only whole packs', async () => {
    const source = uniqueName('flaky');
    const dir = join(work, source);
    await makeTree(dir);
    const before = { ...proxy.stats.injected };
    proxy.setRules([
      {
        match: { method: 'PUT', pathIncludes: `/files/${source}/packs/` },
        action: { kind: 's3InternalError' },
        times: 2,
      },
      { match: { method: 'PUT', pathIncludes: `/files/${source}/index/` }, action: { kind: 's3SlowDown' }, times: 1 },
    ]);
    const report = await backupFolder(viaProxy, {
      dir,
      bucket: target.bucket,
      prefix: PREFIX,
      source,
      packSize: 16 * KiB,
    });
    proxy.setRules([]);
    const injected = proxy.stats.injected;
    assert.deepEqual(
      [
        (injected.s3InternalError ?? 0) - (before.s3InternalError ?? 0),
        (injected.s3SlowDown ?? 0) - (before.s3SlowDown ?? 0),
      ],
      [2, 1],
    );
    assert.equal(report.uploadedPacks, (await keysOf(source, 'packs')).length);
    const checked = await verify(source, report.snapshotId);
    assert.equal(checked.ok, true, JSON.stringify(checked.problems));
  });

  test('a backup to a bucket that does not exist says so, with a hint, before reading anything', async () => {
    const dir = join(work, 'no-bucket');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'a.txt'), 'a');
    await assert.rejects(
      backupFolder(target.clients, { dir, bucket: uniqueName('missing-bucket'), prefix: PREFIX, source: 'x' }),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'NoSuchBucket');
        assert.match(err.message, /does not exist/);
        assert.match(err.hint ?? '', /--bucket|create the bucket/);
        return true;
      },
    );
  });

  test('a snapshot that mixes one-object blobs (an older format or --pack-files-up-to 0) and packs restores and verifies', async () => {
    const source = uniqueName('mixed');
    const dir = join(work, source);
    await makeTree(dir);
    await backup(dir, source, { packFilesUpTo: 0 });
    assert.equal((await keysOf(source, 'packs')).length, 0);
    await writeFile(join(dir, 'notes', 'n2.txt'), 'now packed');
    const mixed = await backup(dir, source);
    assert.deepEqual([mixed.uploadedBlobs, mixed.uploadedPacks], [1, 1]);
    const files = await filesOf(source, mixed.snapshotId);
    assert.equal(files.filter((f) => f.pack !== undefined).length, 1);
    const checked = await verify(source, mixed.snapshotId);
    assert.equal(checked.ok, true, JSON.stringify(checked.problems));
    const out = join(work, `${source}-out`);
    await restore(source, mixed.snapshotId, out);
    assert.deepEqual(await readTree(out), await readTree(dir));
  });
});
