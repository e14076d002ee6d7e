// Damage is repaired, not inherited (against s3rver over HTTP): a pack and a big blob replaced by
// other bytes of the same length are found by verify and recorded; the next backup (with its
// parent, or with parent "none") stores their content again in fresh objects instead of
// pointing at the damaged ones; the new snapshot verifies clean while the old one is still
// reported damaged; a restore records what it finds too; prune removes records that guard nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  backupFolder,
  blobKey,
  ColdkeepError,
  type FileEntry,
  type FolderBackupInput,
  forgetSnapshots,
  packKey,
  pruneBlobs,
  readSnapshotEntries,
  restoreSnapshot,
  sourceLocation,
  verifySnapshot,
} from '@coldkeep/shared';
import { listKeys, startTarget, type TestTarget, uniqueName } from '../helpers/fixture';

const KiB = 1024;
const MiB = 1024 * KiB;
const PREFIX = 'damage';

describe('damaged objects are repaired, not inherited', () => {
  let target: TestTarget;
  let work: string;

  before(async () => {
    target = await startTarget();
    work = await mkdtemp(join(tmpdir(), 'coldkeep-damage-'));
  });
  after(async () => {
    await target?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const loc = (source: string) => sourceLocation(target.bucket, PREFIX, source);
  const keysOf = (source: string, folder: string): Promise<string[]> =>
    listKeys(target.clients.s3, target.bucket, `${PREFIX}/files/${source}/${folder}/`);
  // Files over 5 MiB stream multipart (5 MiB parts), as the 15 MiB file of the report did.
  const backup = (dir: string, source: string, extra: Partial<FolderBackupInput> = {}) =>
    backupFolder(target.clients, {
      dir,
      bucket: target.bucket,
      prefix: PREFIX,
      source,
      packSize: 16 * KiB,
      multipartThreshold: 5 * MiB,
      partSize: 5 * MiB,
      ...extra,
    });
  const verify = (source: string, snapshotId: string, readData: 'none' | 'all' = 'all') =>
    verifySnapshot(target.clients, { bucket: target.bucket, prefix: PREFIX, source, snapshotId, readData });
  const filesOf = async (source: string, snapshotId: string): Promise<FileEntry[]> =>
    (await readSnapshotEntries(target.clients.s3, loc(source), snapshotId)).filter(
      (e): e is FileEntry => e.type === 'file',
    );
  const etagOf = async (key: string): Promise<string | undefined> =>
    (await target.clients.s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: key }))).ETag;

  /** Replaces an object by other bytes of the same length, straight through the S3 API. */
  async function damage(key: string): Promise<void> {
    const original = Buffer.from(
      await (
        await target.clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }))
      ).Body!.transformToByteArray(),
    );
    const other = randomBytes(original.length);
    await target.clients.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: other }));
  }

  /** 24 small files of 1-3 KiB (packed, 16 KiB packs) and one of 6 MiB (a blob of its own, multipart). */
  async function makeTree(dir: string): Promise<void> {
    await mkdir(join(dir, 'notes'), { recursive: true });
    for (let i = 0; i < 24; i++)
      await writeFile(join(dir, 'notes', `n${i}.txt`), randomBytes(KiB + ((i * 37) % (2 * KiB))));
    await writeFile(join(dir, 'big.bin'), randomBytes(6 * MiB));
  }

  /** Backs up a fresh tree, damages the pack of notes/n3.txt and big.bin's blob; returns what it needs. */
  async function damagedSnapshot(source: string) {
    const dir = join(work, source);
    await makeTree(dir);
    const first = await backup(dir, source);
    const files = await filesOf(source, first.snapshotId);
    const victim = files.find((f) => f.path === 'notes/n3.txt')!;
    const big = files.find((f) => f.path === 'big.bin')!;
    assert.ok(victim.pack && big.pack === undefined);
    const inPack = files.filter((f) => f.pack === victim.pack).map((f) => f.path);
    assert.ok(inPack.length >= 2, 'the damaged pack holds several files');
    const packObject = packKey(loc(source), victim.pack);
    const bigObject = blobKey(loc(source), big.sha256);
    await damage(packObject);
    await damage(bigObject);
    return { dir, first, files, victim, big, inPack, packObject, bigObject };
  }

  test('verify names and records the damage; the next backup stores it again in fresh objects; the old snapshot stays damaged', async () => {
    const source = uniqueName('parent');
    const { dir, first, files, victim, big, inPack, packObject, bigObject } = await damagedSnapshot(source);
    const damagedEtag = await etagOf(bigObject);

    const found = await verify(source, first.snapshotId);
    assert.equal(found.ok, false);
    assert.deepEqual(found.problems.map((p) => p.paths[0]).sort(), [...inPack, 'big.bin'].sort());
    assert.ok(found.problems.every((p) => p.problem === 'hash-mismatch'));
    const records = await keysOf(source, 'damaged');
    assert.equal(records.length, 2, `one record per damaged object: ${records.join(', ')}`);
    assert.ok(records.some((k) => k.includes(`/damaged/pack.${victim.pack}.`)));
    assert.ok(records.some((k) => k.includes(`/damaged/blob.${big.sha256}.`)));
    // A record is read by key alone: even a verify without re-reading now knows.
    const known = await verify(source, first.snapshotId, 'none');
    assert.equal(known.readBlobs, 0);
    assert.deepEqual(known.problems.map((p) => p.paths[0]).sort(), [...inPack, 'big.bin'].sort());
    assert.ok(known.problems.every((p) => p.problem === 'known-damaged'));

    // The backup (its parent is the damaged snapshot, every file unchanged) stores the damaged
    // content again: the packed files into a new pack, big.bin's blob anew under its name.
    const packsBefore = await keysOf(source, 'packs');
    const second = await backup(dir, source);
    assert.equal(second.parent, first.snapshotId);
    assert.equal(second.uploadedBlobs, inPack.length + 1);
    assert.equal(second.uploadedPacks, 1);
    assert.equal(second.unchangedFiles, files.length - inPack.length - 1);
    const newPacks = (await keysOf(source, 'packs')).filter((k) => !packsBefore.includes(k));
    assert.equal(newPacks.length, 1);
    assert.notEqual(await etagOf(bigObject), damagedEtag, 'big.bin was written anew');
    const now = await filesOf(source, second.snapshotId);
    for (const f of now) {
      if (inPack.includes(f.path)) assert.ok(f.pack && packKey(loc(source), f.pack) === newPacks[0], f.path);
      else if (f.path !== 'big.bin') assert.equal(f.pack, files.find((o) => o.path === f.path)!.pack, f.path);
    }
    assert.ok(
      now.every((f) => f.pack !== victim.pack),
      'no file of the new snapshot is in the damaged pack',
    );

    const clean = await verify(source, second.snapshotId);
    assert.equal(clean.ok, true, JSON.stringify(clean.problems));
    assert.equal(clean.readBlobs, files.length);

    // The old snapshot still points at the damaged pack, and says so (big.bin's blob, written
    // anew under its name, serves it again).
    const old = await verify(source, first.snapshotId, 'none');
    assert.deepEqual(
      old.problems.map((p) => [p.problem, p.paths[0]]).sort(),
      inPack.map((p) => ['known-damaged', p]).sort(),
    );
    assert.ok(old.problems.every((p) => p.key === packObject));

    // Repaired once: the next run uploads nothing.
    const third = await backup(dir, source);
    assert.equal(third.uploadedBlobs, 0);
    assert.equal(third.unchangedFiles, files.length);

    // Prune, once the damaged snapshot is forgotten: the damaged pack goes, and with it every record.
    await forgetSnapshots(target.clients, { bucket: target.bucket, prefix: PREFIX, source, last: 2 });
    const pruned = await pruneBlobs(target.clients, { bucket: target.bucket, prefix: PREFIX, source });
    assert.ok(pruned.deletedPacks >= 1);
    assert.ok(!(await keysOf(source, 'packs')).includes(packObject));
    assert.deepEqual(await keysOf(source, 'damaged'), []);
    assert.equal((await verify(source, third.snapshotId)).ok, true);
  });

  test('a backup with parent "none" trusts no damaged object either: not the listing, not the pack index', async () => {
    const source = uniqueName('noparent');
    const { dir, first, files, victim, inPack, bigObject } = await damagedSnapshot(source);
    const damagedEtag = await etagOf(bigObject);
    assert.equal((await verify(source, first.snapshotId)).ok, false);
    const second = await backup(dir, source, { parent: 'none' });
    assert.equal(second.parent, undefined);
    assert.equal(second.uploadedBlobs, inPack.length + 1);
    assert.notEqual(await etagOf(bigObject), damagedEtag);
    assert.ok((await filesOf(source, second.snapshotId)).every((f) => f.pack !== victim.pack));
    const clean = await verify(source, second.snapshotId);
    assert.equal(clean.ok, true, JSON.stringify(clean.problems));
    assert.equal(clean.readBlobs, files.length);
    assert.equal((await verify(source, first.snapshotId, 'none')).ok, false, 'the old snapshot is still damaged');
  });

  test('a restore records the damage it finds, and the next backup repairs it; a copy put back by hand clears a record', async () => {
    const source = uniqueName('restore');
    const { dir, first, inPack, victim, packObject } = await damagedSnapshot(source);
    await assert.rejects(
      restoreSnapshot(target.clients, {
        bucket: target.bucket,
        prefix: PREFIX,
        source,
        snapshotId: first.snapshotId,
        target: join(work, `${source}-out`),
      }),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'ChecksumMismatch');
        assert.match(err.hint ?? '', /coldkeep files verify --repair/);
        return true;
      },
    );
    const records = await keysOf(source, 'damaged');
    assert.equal(records.length, 2, records.join(', '));
    const body = JSON.parse(
      await (
        await target.clients.s3.send(
          new GetObjectCommand({ Bucket: target.bucket, Key: records.find((k) => k.includes('/damaged/pack.'))! }),
        )
      ).Body!.transformToString(),
    ) as { foundBy: string; objectKey: string; paths: string[] };
    assert.equal(body.foundBy, 'restore');
    assert.equal(body.objectKey, packObject);
    assert.deepEqual([...body.paths].sort(), [...inPack].sort());

    const second = await backup(dir, source);
    assert.equal(second.uploadedBlobs, inPack.length + 1);
    assert.ok((await filesOf(source, second.snapshotId)).every((f) => f.pack !== victim.pack));
    assert.equal((await verify(source, second.snapshotId)).ok, true);

    // Someone puts a good copy of the pack back by hand: it is another object (another ETag),
    // so the record no longer applies and the old snapshot verifies clean.
    const good = await filesOf(source, first.snapshotId);
    const packBody = Buffer.alloc(
      Math.max(...good.filter((f) => f.pack === victim.pack).map((f) => f.packOffset! + f.size)),
    );
    for (const f of good.filter((x) => x.pack === victim.pack)) {
      (await readFile(join(dir, f.path))).copy(packBody, f.packOffset!);
    }
    await target.clients.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: packObject, Body: packBody }));
    const old = await verify(source, first.snapshotId);
    assert.equal(old.ok, true, JSON.stringify(old.problems));
  });
});
