// Folder snapshot format 3 against s3rver over HTTP: folder trees stored by content and reused,
// so a no-change snapshot costs a manifest; a change uploads only the trees on its path; a path
// restore reads only the trees on its path (GETs counted by the fault proxy); a format 2 snapshot
// written by the code before trees restores, verifies, serves as a parent and prunes beside
// format 3 ones; prune keeps shared trees and deletes the orphans.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AwsClients,
  backupFolder,
  type ColdkeepError,
  type FolderBackupInput,
  forgetSnapshots,
  pruneBlobs,
  readSnapshot,
  restoreSnapshot,
  sourceLocation,
  verifySnapshot,
} from '@coldkeep/shared';
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { embeddedOnly, onEmbedded, startTarget, type TestTarget, underRun, uniqueName } from '../helpers/fixture';
import { readTree } from '../helpers/tree';

const KiB = 1024;
const PREFIX = underRun('folder-trees');
const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'folder-format2');
/** `it`: a test through the fault proxy, which fronts only a loopback HTTP endpoint. */
const it = embeddedOnly(test);

describe('folder trees (snapshot format 3)', () => {
  let target: TestTarget;
  let proxy: FaultProxy;
  let viaProxy: AwsClients;
  let work: string;

  before(async () => {
    target = await startTarget();
    work = await mkdtemp(join(tmpdir(), 'coldkeep-trees-'));
    if (!onEmbedded) return;
    proxy = await startFaultProxy(target.settings.endpoints!.s3!);
    viaProxy = new AwsClients({ ...target.settings, endpoints: { ...target.settings.endpoints, s3: proxy.url } });
  });
  after(async () => {
    viaProxy?.destroy();
    await proxy?.stop();
    await target?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const backup = (dir: string, source: string, extra: Partial<FolderBackupInput> = {}) =>
    backupFolder(target.clients, { dir, bucket: target.bucket, prefix: PREFIX, source, ...extra });
  const restore = (source: string, snapshotId: string, out: string, paths?: string[], clients = target.clients) =>
    restoreSnapshot(clients, { bucket: target.bucket, prefix: PREFIX, source, snapshotId, target: out, paths });
  const verify = (source: string, snapshotId: string) =>
    verifySnapshot(target.clients, { bucket: target.bucket, prefix: PREFIX, source, snapshotId, readData: 'all' });
  /** Every object of a source: key → size. */
  const objectsOf = async (source: string): Promise<Map<string, number>> => {
    const found = new Map<string, number>();
    let token: string | undefined;
    do {
      const page = await target.clients.s3.send(
        new ListObjectsV2Command({
          Bucket: target.bucket,
          Prefix: `${PREFIX}/files/${source}/`,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) if (!o.Key!.includes('/locks/')) found.set(o.Key!, o.Size ?? 0);
      token = page.NextContinuationToken;
    } while (token);
    return found;
  };
  const added = (before: Map<string, number>, now: Map<string, number>) => {
    const keys = [...now.keys()].filter((k) => !before.has(k));
    return { keys, bytes: keys.reduce((n, k) => n + now.get(k)!, 0) };
  };

  /** 20 folders of 15 small files each, and a path 5 folders deep: a/b/c/d/deep.txt, siblings on each level. */
  async function makeFolder(dir: string): Promise<void> {
    for (let f = 0; f < 20; f++) {
      await mkdir(join(dir, `dir-${f}`), { recursive: true });
      for (let i = 0; i < 15; i++) await writeFile(join(dir, `dir-${f}`, `file-${i}.txt`), randomBytes(KiB + i));
    }
    let path = dir;
    for (const level of ['a', 'b', 'c', 'd']) {
      path = join(path, level);
      await mkdir(join(path, 'sibling'), { recursive: true });
      await writeFile(join(path, 'sibling', 'x.txt'), `sibling of ${level}`);
      await writeFile(join(path, `at-${level}.txt`), `file at ${level}`);
    }
    await writeFile(join(path, 'deep.txt'), 'deep, first');
  }

  test('a no-change snapshot uploads no tree: one new object, the manifest, of a few hundred bytes', async () => {
    const source = uniqueName('nochange');
    const dir = join(work, source);
    await makeFolder(dir);
    const first = await backup(dir, source);
    // The root, 20 folders, 4 deep ones and their 4 siblings: a tree each.
    assert.equal(first.uploadedTrees, 29);
    const manifest = await readSnapshot(
      target.clients.s3,
      sourceLocation(target.bucket, PREFIX, source),
      first.snapshotId,
    );
    assert.equal(manifest.formatVersion, 3);
    assert.equal(manifest.entries, undefined, 'the entries are in the trees');
    const before = await objectsOf(source);
    const second = await backup(dir, source);
    assert.equal(second.unchangedFiles, 309);
    assert.equal(second.uploadedTrees, 0);
    assert.equal(second.uploadedTreeBytes, 0);
    assert.equal(second.uploadedBlobs, 0);
    const { keys, bytes } = added(before, await objectsOf(source));
    assert.deepEqual(keys, [second.snapshotKey], 'only the manifest is new');
    assert.ok(bytes < 1024, `the no-change snapshot added ${bytes} bytes (309 files' entries are ~10 KB)`);
    const out = join(work, `${source}-out`);
    await restore(source, second.snapshotId, out);
    assert.deepEqual(await readTree(out), await readTree(dir));
    const checked = await verify(source, second.snapshotId);
    assert.equal(checked.ok, true, JSON.stringify(checked.problems));
    assert.equal(checked.trees, 29);
  });

  test('a change deep in one folder uploads only the trees on its path', async () => {
    const source = uniqueName('deep');
    const dir = join(work, source);
    await makeFolder(dir);
    await backup(dir, source);
    await writeFile(join(dir, 'a', 'b', 'c', 'd', 'deep.txt'), 'deep, changed');
    const before = await objectsOf(source);
    const changed = await backup(dir, source);
    assert.equal(changed.hashedFiles, 1);
    // d, c, b, a and the root; no sibling, none of the 20 folders.
    assert.equal(changed.uploadedTrees, 5);
    const { keys } = added(before, await objectsOf(source));
    assert.equal(keys.filter((k) => k.includes(`/${source}/trees/`)).length, 1, `one tree pack: ${keys.join(' ')}`);
    assert.equal(keys.filter((k) => k.includes(`/${source}/packs/`)).length, 1, "the changed file's pack");
    const out = join(work, `${source}-out`);
    await restore(source, changed.snapshotId, out);
    assert.deepEqual(await readTree(out), await readTree(dir));
  });

  it('a restore of one path reads only the trees on that path', async () => {
    const source = uniqueName('path');
    const dir = join(work, source);
    await makeFolder(dir);
    // A pack per object: each tree is a tree pack of its own, so GETs count trees.
    const first = await backup(dir, source, { packSize: 1 });
    assert.equal(first.uploadedTrees, 29);
    const treeGets = (from: number): number =>
      proxy.stats.requests.slice(from).filter((r) => r.method === 'GET' && r.url.includes(`/files/${source}/trees/`))
        .length;
    const at = proxy.stats.requests.length;
    const out = join(work, `${source}-one`);
    const report = await restore(source, first.snapshotId, out, ['a/b/c/d/deep.txt'], viaProxy);
    assert.equal(report.files, 1);
    assert.equal(await readFile(join(out, 'a', 'b', 'c', 'd', 'deep.txt'), 'utf8'), 'deep, first');
    assert.equal(treeGets(at), 5, 'the root, a, a/b, a/b/c and a/b/c/d');
    const all = proxy.stats.requests.length;
    await restore(source, first.snapshotId, join(work, `${source}-all`), undefined, viaProxy);
    assert.equal(treeGets(all), 29, 'a whole restore reads every tree once');
  });

  test('a format 2 snapshot written before trees restores and verifies; a format 3 one made over it reuses its content; prune keeps what either needs', async () => {
    const source = 'format2';
    // The fixture's objects, under this run's prefix.
    const files = await listFixture(FIXTURE);
    for (const rel of files) {
      await target.clients.s3.send(
        new PutObjectCommand({
          Bucket: target.bucket,
          Key: `${PREFIX}/files/${source}/${rel}`,
          Body: await readFile(join(FIXTURE, rel)),
        }),
      );
    }
    const oldId = files.find((f) => f.startsWith('snapshots/'))!.replace(/^snapshots\/|\.json\.gz$/g, '');
    const loc = sourceLocation(target.bucket, PREFIX, source);
    assert.equal((await readSnapshot(target.clients.s3, loc, oldId)).formatVersion, 2);
    const expected = fixtureFolder();
    const out = join(work, 'format2-out');
    const restored = await restore(source, oldId, out);
    assert.equal(restored.files, Object.keys(expected.files).length);
    await assertFixture(out, expected);
    const checked = await verify(source, oldId);
    assert.equal(checked.ok, true, JSON.stringify(checked.problems));
    assert.equal(checked.trees, 0, 'a format 2 snapshot has no trees');

    // The same folder, with the same sizes and mtimes: backed up over the format 2 parent.
    const dir = join(work, 'format2-folder');
    await writeFixture(dir, expected);
    const next = await backup(dir, source, { packFilesUpTo: 1024, lifecycleTag: null });
    assert.equal(next.parent, oldId);
    assert.equal(next.hashedFiles, 0, "every file is the parent's");
    assert.equal(next.uploadedBlobs, 0);
    const newManifest = await readSnapshot(target.clients.s3, loc, next.snapshotId);
    assert.equal(newManifest.formatVersion, 3);

    // Both kinds in one source: prune keeps every object either uses.
    const kept = await pruneBlobs(target.clients, { bucket: target.bucket, prefix: PREFIX, source });
    assert.equal(kept.snapshots, 2);
    assert.deepEqual([kept.deletedBlobs, kept.deletedPacks, kept.deletedTreePacks], [0, 0, 0]);
    // The format 2 snapshot forgotten: its pack and blob are the format 3 one's too.
    await forgetSnapshots(target.clients, { bucket: target.bucket, prefix: PREFIX, source, last: 1 });
    const pruned = await pruneBlobs(target.clients, { bucket: target.bucket, prefix: PREFIX, source });
    assert.deepEqual([pruned.deletedBlobs, pruned.deletedPacks, pruned.deletedTreePacks], [0, 0, 0]);
    const out3 = join(work, 'format3-out');
    await restore(source, next.snapshotId, out3);
    await assertFixture(out3, expected);
    assert.equal((await verify(source, next.snapshotId)).ok, true);
  });

  test('a damaged or missing tree pack is SnapshotDamaged for restore, verify and the next backup', async () => {
    const source = uniqueName('damaged');
    const dir = join(work, source);
    await makeFolder(dir);
    const first = await backup(dir, source);
    const loc = sourceLocation(target.bucket, PREFIX, source);
    const { tree } = await readSnapshot(target.clients.s3, loc, first.snapshotId);
    const key = `${PREFIX}/files/${source}/trees/${tree!.pack}`;
    const size = (await objectsOf(source)).get(key)!;
    // The same length, other bytes: only the trees' names catch it.
    await target.clients.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: randomBytes(size) }));
    const damaged = (err: { code?: string }) => err.code === 'SnapshotDamaged';
    await assert.rejects(restore(source, first.snapshotId, join(work, `${source}-out`)), damaged);
    await assert.rejects(verify(source, first.snapshotId), damaged);
    await assert.rejects(backup(dir, source), damaged);
    const fresh = await backup(dir, source, { parent: 'none' });
    assert.equal(fresh.uploadedTrees, 29, 'with no parent, every tree is stored anew');
    await restore(source, fresh.snapshotId, join(work, `${source}-fresh`));
    assert.deepEqual(await readTree(join(work, `${source}-fresh`)), await readTree(dir));
    await target.clients.s3.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key }));
    await assert.rejects(
      verify(source, first.snapshotId),
      (err: ColdkeepError) => damaged(err) && /missing/.test(err.message),
    );
  });

  test('prune keeps the trees a remaining snapshot shares and deletes the ones only forgotten snapshots had', async () => {
    const source = uniqueName('prune');
    const dir = join(work, source);
    await makeFolder(dir);
    // A tree pack per tree, so that what prune deletes counts trees.
    const first = await backup(dir, source, { packSize: 1 });
    await writeFile(join(dir, 'a', 'b', 'c', 'd', 'deep.txt'), 'deep, changed');
    const second = await backup(dir, source, { packSize: 1 });
    assert.equal(second.uploadedTrees, 5);
    const untouched = await pruneBlobs(target.clients, { bucket: target.bucket, prefix: PREFIX, source });
    assert.equal(untouched.deletedTreePacks, 0, 'every tree is used while both snapshots remain');
    assert.equal(untouched.storedTreePacks, 29 + 5);
    await forgetSnapshots(target.clients, { bucket: target.bucket, prefix: PREFIX, source, last: 1 });
    const pruned = await pruneBlobs(target.clients, { bucket: target.bucket, prefix: PREFIX, source });
    // The first snapshot's trees of d, c, b, a and the root; its 24 others are the second's too.
    assert.equal(pruned.deletedTreePacks, 5);
    assert.equal(pruned.referencedTreePacks, 29);
    assert.equal(pruned.deletedPacks, 1, "the old deep.txt's pack");
    const checked = await verify(source, second.snapshotId);
    assert.equal(checked.ok, true, JSON.stringify(checked.problems));
    const out = join(work, `${source}-out`);
    await restore(source, second.snapshotId, out);
    assert.deepEqual(await readTree(out), await readTree(dir));
    await assert.rejects(restore(source, first.snapshotId, join(work, `${source}-gone`)), /no snapshot/);
  });
});

/** The fixture's object keys, relative to its source folder. */
async function listFixture(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFixture(root, path)));
    else if (path !== 'README.md') out.push(path);
  }
  return out;
}

/** What the fixture's snapshot holds (the folder it was made of). */
function fixtureFolder(): {
  files: Record<string, Buffer>;
  links: Record<string, string>;
  dirs: string[];
  mtime: Date;
} {
  return {
    files: {
      'a.txt': Buffer.from('alpha\n'),
      'docs/readme.md': Buffer.from('# readme\n'.repeat(20)),
      'docs/twin-1.txt': Buffer.from('twin\n'),
      'docs/twin-2.txt': Buffer.from('twin\n'),
      'docs/deep/er/note.txt': Buffer.from('deep note\n'),
      'docs/deep/big.bin': Buffer.alloc(3000, 7),
      zero: Buffer.alloc(0),
    },
    links: { link: 'docs/readme.md' },
    dirs: ['docs', 'docs/deep', 'docs/deep/er', 'empty'],
    mtime: new Date('2026-12-01T10:00:00Z'),
  };
}

async function writeFixture(dir: string, expected: ReturnType<typeof fixtureFolder>): Promise<void> {
  for (const d of expected.dirs) await mkdir(join(dir, d), { recursive: true });
  for (const [path, content] of Object.entries(expected.files)) {
    await writeFile(join(dir, path), content);
    await utimes(join(dir, path), expected.mtime, expected.mtime);
  }
  for (const [path, to] of Object.entries(expected.links)) await symlink(to, join(dir, path));
}

async function assertFixture(out: string, expected: ReturnType<typeof fixtureFolder>): Promise<void> {
  const tree = await readTree(out);
  const found = [...tree.keys()].map((p) => relative('', p)).sort();
  assert.deepEqual(found, [...Object.keys(expected.files), ...Object.keys(expected.links), ...expected.dirs].sort());
  for (const [path, content] of Object.entries(expected.files)) {
    assert.deepEqual(await readFile(join(out, path)), content, path);
    assert.equal(tree.get(path)!.mtimeMs, expected.mtime.getTime(), path);
  }
  for (const [path, to] of Object.entries(expected.links)) assert.equal(await readlink(join(out, path)), to);
}
