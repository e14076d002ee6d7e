// Encrypted folder snapshots (format 3) against s3rver over HTTP: nothing of a file's content or
// name reaches the bucket, the key is refused when wrong, tampering is caught as damage,
// compression round-trips (incompressible content stored as is), and format 2 snapshots of the
// same source still restore, verify and prune.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  addKeyWrap,
  AwsClients,
  backupFolder,
  blobKey,
  ColdkeepError,
  drillFolder,
  type FileEntry,
  type FolderBackupInput,
  forgetSnapshots,
  type KeyMaterial,
  listSourceKeys,
  listSnapshots,
  packKey,
  pruneBlobs,
  readSnapshot,
  readSnapshotEntries,
  removeKeyWrap,
  restoreSnapshot,
  SEAL_OVERHEAD,
  SourceKeyring,
  sourceLocation,
  startEmulators,
  treePackKey,
  verifySnapshot,
} from '@coldkeep/shared';
import { createBucket, embeddedOnly, listKeys, uniqueName } from '../helpers/fixture';
import { readTree } from '../helpers/tree';

const KiB = 1024;
const MiB = 1024 * KiB;
const PREFIX = 'enc';
const PASS = 'correct horse battery staple';
const keys: KeyMaterial = { passphrase: PASS };
// Reads s3rver's data folder: the embedded emulators only.
const it = embeddedOnly(test);

const isCode = (code: string) => (err: unknown) => err instanceof ColdkeepError && err.code === code;

describe('encrypted folder snapshots (format 3)', () => {
  let emulators: Awaited<ReturnType<typeof startEmulators>>;
  let clients: AwsClients;
  let bucket: string;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'coldkeep-enc-'));
    emulators = await startEmulators({ dataDir: join(work, 's3-data') });
    clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('coldkeep-enc'));
  });
  after(async () => {
    clients?.destroy();
    await emulators?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const backup = (dir: string, source: string, extra: Partial<FolderBackupInput> = {}) =>
    backupFolder(clients, {
      dir,
      bucket,
      prefix: PREFIX,
      source,
      packSize: 64 * KiB,
      multipartThreshold: 5 * MiB,
      keys,
      ...extra,
    });
  const restore = (source: string, snapshotId: string, out: string, k: KeyMaterial = keys) =>
    restoreSnapshot(clients, {
      bucket,
      prefix: PREFIX,
      source,
      snapshotId,
      target: out,
      keys: k,
    });
  const verify = (source: string, snapshotId: string, k: KeyMaterial = keys) =>
    verifySnapshot(clients, {
      bucket,
      prefix: PREFIX,
      source,
      snapshotId,
      readData: 'all',
      keys: k,
    });
  const filesOf = async (source: string, snapshotId: string, k: KeyMaterial = keys): Promise<FileEntry[]> => {
    const loc = sourceLocation(bucket, PREFIX, source);
    const entries = await readSnapshotEntries(
      clients.s3,
      loc,
      snapshotId,
      undefined,
      new SourceKeyring(clients, loc, k),
    );
    return entries.filter((e): e is FileEntry => e.type === 'file');
  };
  const getObject = async (key: string): Promise<Buffer> =>
    Buffer.from(
      await (await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray(),
    );
  const putObject = (key: string, body: Buffer) =>
    clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

  /** Every file s3rver keeps (objects and their metadata), with its path relative to its data folder. */
  async function storedFiles(dir = emulators.dataDir, rel = ''): Promise<{ path: string; body: Buffer }[]> {
    const out: { path: string; body: Buffer }[] = [];
    for (const entry of await readdir(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) out.push(...(await storedFiles(dir, path)));
      else if (entry.isFile()) out.push({ path, body: await readFile(join(dir, path)) });
    }
    return out;
  }

  it("no byte of a file's content or name reaches the bucket; it restores and verifies whole", async () => {
    const source = uniqueName('secret');
    const dir = join(work, source);
    const marker = (what: string) => `${what}-${randomBytes(6).toString('hex')}`;
    const names = {
      folder: marker('folderNameHidden'),
      small: marker('smallNameHidden'),
      big: marker('bigNameHidden'),
      streamed: marker('streamedNameHidden'),
      link: marker('linkNameHidden'),
      linkTarget: marker('linkTargetHidden'),
    };
    const contents = {
      small: marker('smallContentHidden'),
      big: marker('bigContentHidden'),
      streamed: marker('streamedContentHidden'),
    };
    await mkdir(join(dir, names.folder), { recursive: true });
    // Incompressible bodies with a marker inside (stored as is, so only encryption hides them) and
    // text made of the marker (compressed first).
    const withMarker = (m: string, size: number) =>
      Buffer.concat([randomBytes(size / 2), Buffer.from(m), randomBytes(size / 2)]);
    await writeFile(join(dir, names.folder, names.small), withMarker(contents.small, 2 * KiB));
    await writeFile(join(dir, `${names.small}-text.txt`), `${contents.small}\n`.repeat(200));
    await writeFile(join(dir, names.big), withMarker(contents.big, 2 * MiB));
    await writeFile(join(dir, names.streamed), withMarker(contents.streamed, 6 * MiB));
    await symlink(names.linkTarget, join(dir, names.link));
    const plainShas = [
      ...(await Promise.all(
        [join(names.folder, names.small), `${names.small}-text.txt`, names.big, names.streamed].map(async (p) =>
          createHash('sha256')
            .update(await readFile(join(dir, p)))
            .digest('hex'),
        ),
      )),
    ];

    const report = await backup(dir, source);
    assert.equal(report.encrypted, true);
    assert.equal(report.keyCreated?.type, 'passphrase', 'the first backup with a passphrase made the first wrap');
    assert.match(report.keyCreated!.warning, /lost for good/);
    assert.equal(report.files, 4);

    const stored = await storedFiles();
    const mine = stored.filter((f) => f.path.includes(source));
    assert.ok(mine.some((f) => f.path.includes('/packs/')) && mine.some((f) => f.path.includes('/blobs/')));
    assert.ok(
      mine.some((f) => f.path.includes('/trees/')),
      'the folders are stored as trees',
    );
    // The root tree: sealed as a tree (zstd inside the seal, not gzip) and named by a keyed hash
    // of its text's SHA-256, which no stored object holds or is named by.
    const loc = sourceLocation(bucket, PREFIX, source);
    const keyring = new SourceKeyring(clients, loc, keys);
    const codec = await keyring.codec();
    const { tree } = await readSnapshot(clients.s3, loc, report.snapshotId, undefined, keyring);
    const treePack = await clients.s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: treePackKey(loc, tree!.pack),
        Range: `bytes=${tree!.offset}-${tree!.offset + tree!.length - 1}`,
      }),
    );
    const sealedTree = Buffer.from(await treePack.Body!.transformToByteArray());
    assert.equal(sealedTree.subarray(0, 4).toString('latin1'), 'CKS1', 'the tree is sealed');
    const treeText = codec.open('tree', sealedTree, 'root tree').toString('utf8');
    assert.match(treeText, /coldkeep\.folder-tree/);
    const treeSha = createHash('sha256').update(treeText).digest('hex');
    assert.notEqual(tree!.id, treeSha, 'a tree id is no content hash');
    assert.equal(tree!.id, codec.blobName(treeSha));
    const secrets = [...Object.values(names), ...Object.values(contents), ...plainShas, treeSha];
    // Compressed plaintext would hide names from a plain grep: gzip and zstd objects are read unpacked too.
    const readable = (body: Buffer): Buffer[] => {
      try {
        if (body[0] === 0x1f && body[1] === 0x8b) return [body, gunzipSync(body)];
        if (body.readUInt32LE(0) === 0xfd2fb528) return [body, zstdDecompressSync(body)];
      } catch {
        // Not whole: the bytes as they are.
      }
      return [body];
    };
    for (const { path, body: raw } of stored) {
      for (const secret of secrets) {
        for (const body of readable(raw)) {
          assert.ok(!path.includes(secret), `${path} names ${secret}`);
          assert.equal(body.indexOf(Buffer.from(secret)), -1, `${path} holds ${secret}`);
          // s3rver keeps metadata as JSON; the folder and host are sealed too.
          assert.equal(body.indexOf(Buffer.from(dir)), -1, `${path} holds the folder's path`);
        }
      }
    }

    const out = join(work, `${source}-out`);
    await restore(source, report.snapshotId, out);
    assert.deepEqual(await readTree(out), await readTree(dir));
    const verified = await verify(source, report.snapshotId);
    assert.equal(verified.ok, true, JSON.stringify(verified.problems));
    assert.equal(verified.readBlobs, 4);

    // The listing shows the sealed folder only with the key.
    const [blind] = await listSnapshots(clients, { bucket, prefix: PREFIX, source });
    assert.deepEqual([blind!.encrypted, blind!.dir], [true, '(encrypted)']);
    const [seen] = await listSnapshots(clients, { bucket, prefix: PREFIX, source, keys });
    assert.equal(seen!.dir, dir);
  });

  it('a wrong passphrase is WrongKey, none is KeyRequired, and a run without the key writes nothing', async () => {
    const source = uniqueName('wrong');
    const dir = join(work, source);
    await mkdir(dir);
    await writeFile(join(dir, 'a.txt'), 'alpha');
    const { snapshotId } = await backup(dir, source);
    const out = join(work, `${source}-out`);
    await assert.rejects(restore(source, snapshotId, out, { passphrase: 'Correct horse battery staple' }), (err) => {
      assert.ok(isCode('WrongKey')(err), String(err));
      assert.match((err as ColdkeepError).hint ?? '', /passphrase/);
      return true;
    });
    await assert.rejects(restore(source, snapshotId, out, {}), isCode('KeyRequired'));
    await assert.rejects(verify(source, snapshotId, { passphrase: 'nope' }), isCode('WrongKey'));
    await assert.rejects(backup(dir, source, { keys: undefined }), isCode('KeyRequired'));
    await assert.rejects(backup(dir, source, { keys: { passphrase: 'nope' } }), isCode('WrongKey'));
    await assert.rejects(
      pruneBlobs(clients, { bucket, prefix: PREFIX, source, keys: { passphrase: 'nope' } }),
      isCode('WrongKey'),
    );
    const snapshots = await listKeys(clients.s3, bucket, `${PREFIX}/files/${source}/snapshots/`);
    assert.equal(snapshots.length, 1, 'the refused backups wrote no snapshot');
  });

  it('a tampered pack entry or blob is damage: verify reports it, restore leaves those files out', async () => {
    const source = uniqueName('tamper');
    const dir = join(work, source);
    await mkdir(dir);
    await writeFile(join(dir, 'packed.bin'), randomBytes(3 * KiB));
    await writeFile(join(dir, 'other.bin'), randomBytes(3 * KiB));
    await writeFile(join(dir, 'own.bin'), randomBytes(2 * MiB));
    const { snapshotId } = await backup(dir, source);
    const files = await filesOf(source, snapshotId);
    const packed = files.find((f) => f.path === 'packed.bin')!;
    const own = files.find((f) => f.path === 'own.bin')!;
    const loc = sourceLocation(bucket, PREFIX, source);
    // One bit flipped inside each object's ciphertext: same size, so only authentication can tell.
    const pack = await getObject(packKey(loc, packed.pack!));
    pack[packed.packOffset! + 100]! ^= 0x04;
    await putObject(packKey(loc, packed.pack!), pack);
    const ownKey = blobKey(loc, (await new SourceKeyring(clients, loc, keys).codec()).blobName(own.sha256));
    const blob = await getObject(ownKey);
    blob[blob.length - 30]! ^= 0x80;
    await putObject(ownKey, blob);

    const verified = await verify(source, snapshotId);
    assert.equal(verified.ok, false);
    assert.deepEqual(verified.problems.map((p) => [p.paths[0], p.problem]).sort(), [
      ['own.bin', 'hash-mismatch'],
      ['packed.bin', 'hash-mismatch'],
    ]);
    // The damage records name no file (they are stored in the clear).
    for (const key of verified.recording.recorded) {
      const record = (await getObject(key)).toString();
      assert.ok(!record.includes('packed.bin') && !record.includes('own.bin'), record);
    }
    const out = join(work, `${source}-out`);
    await assert.rejects(restore(source, snapshotId, out), (err) => {
      assert.ok(isCode('ChecksumMismatch')(err), String(err));
      return true;
    });
    assert.deepEqual((await readdir(out)).sort(), ['other.bin'], 'only the undamaged file was written');
  });

  it('compression: text is stored compressed, random content as is, and both restore exactly', async () => {
    const source = uniqueName('squeeze');
    const dir = join(work, source);
    await mkdir(dir);
    const line = 'timestamp=2026-12-07 level=info msg="request served" path=/api/items status=200\n';
    await writeFile(join(dir, 'small.log'), line.repeat(40));
    await writeFile(join(dir, 'big.log'), line.repeat(30_000));
    await writeFile(join(dir, 'small.rnd'), randomBytes(3 * KiB));
    await writeFile(join(dir, 'big.rnd'), randomBytes(2 * MiB + 5));
    const { snapshotId } = await backup(dir, source);
    const files = new Map((await filesOf(source, snapshotId)).map((f) => [f.path, f]));
    const loc = sourceLocation(bucket, PREFIX, source);
    for (const name of ['small.log', 'big.log']) {
      const f = files.get(name)!;
      assert.ok(f.storedSize! < f.size / 5, `${name}: ${f.storedSize} of ${f.size}`);
    }
    // Random bytes: the content plus the seal (18 header bytes, 21 per frame of 1 MiB).
    assert.equal(files.get('small.rnd')!.storedSize, 3 * KiB + SEAL_OVERHEAD);
    const bigRnd = files.get('big.rnd')!;
    assert.equal(bigRnd.storedSize, 2 * MiB + 5 + 18 + 3 * 21);
    const codec = await new SourceKeyring(clients, loc, keys).codec();
    const object = await clients.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: blobKey(loc, codec.blobName(bigRnd.sha256)) }),
    );
    assert.equal(object.ContentLength, bigRnd.storedSize);
    const out = join(work, `${source}-out`);
    await restore(source, snapshotId, out);
    assert.deepEqual(await readTree(out), await readTree(dir));
    assert.equal((await verify(source, snapshotId)).ok, true);
    // An encrypted parent: unchanged files are taken from it, a new one is stored, and a content
    // already stored (in a pack or a blob of its own) is found by its keyed name.
    await writeFile(join(dir, 'copy.rnd'), await readFile(join(dir, 'small.rnd')));
    await writeFile(join(dir, 'copy-big.rnd'), await readFile(join(dir, 'big.rnd')));
    await writeFile(join(dir, 'new.log'), line.repeat(3));
    const next = await backup(dir, source);
    assert.deepEqual([next.parent, next.unchangedFiles, next.uploadedBlobs], [snapshotId, 4, 1]);
    const again = join(work, `${source}-again`);
    await restore(source, next.snapshotId, again);
    assert.deepEqual(await readTree(again), await readTree(dir));
  });

  it('a format 2 snapshot of the source still restores and verifies after encryption is turned on; prune keeps what each needs', async () => {
    const source = uniqueName('mixed');
    const dir = join(work, source);
    await mkdir(dir);
    await writeFile(join(dir, 'old.txt'), 'written before encryption\n'.repeat(50));
    await writeFile(join(dir, 'own.bin'), randomBytes(2 * MiB));
    // Today's writer: no key, format 2, blobs named by their SHA-256.
    const plain = await backup(dir, source, { keys: undefined });
    assert.equal(plain.encrypted, false);
    const loc = sourceLocation(bucket, PREFIX, source);
    const plainFiles = await filesOf(source, plain.snapshotId, {});
    const own = plainFiles.find((f) => f.path === 'own.bin')!;
    assert.equal(own.storedSize, undefined);
    assert.ok((await getObject(blobKey(loc, own.sha256))).equals(await readFile(join(dir, 'own.bin'))));

    const added = await addKeyWrap(clients, { bucket, prefix: PREFIX, source, newPassphrase: PASS });
    assert.equal(added.created, true);
    assert.match(added.warning!, /lost for good/);
    await writeFile(join(dir, 'new.txt'), 'written after\n');
    const sealed = await backup(dir, source);
    assert.equal(sealed.encrypted, true);
    assert.equal(sealed.unchangedFiles, 0, 'a plain parent is not reused by an encrypted snapshot');

    // The old snapshot needs no key at all; the new one does.
    const oldOut = join(work, `${source}-old`);
    await restore(source, plain.snapshotId, oldOut, {});
    assert.deepEqual([...(await readTree(oldOut)).keys()].sort(), ['old.txt', 'own.bin']);
    assert.equal((await verify(source, plain.snapshotId, {})).ok, true);
    assert.equal((await verify(source, sealed.snapshotId)).ok, true);

    // Prune with both: nothing is referenced-less yet.
    const first = await pruneBlobs(clients, { bucket, prefix: PREFIX, source, keys });
    assert.equal(first.deletedBlobs + first.deletedPacks, 0);
    // Forget the plain one: prune removes its plain objects, the encrypted snapshot stays whole.
    await forgetSnapshots(clients, { bucket, prefix: PREFIX, source, last: 1 });
    const second = await pruneBlobs(clients, { bucket, prefix: PREFIX, source, keys });
    assert.equal(second.deletedBlobs, 1, 'the plain own.bin blob');
    assert.ok(second.deletedPacks >= 1, 'the plain pack');
    await assert.rejects(getObject(blobKey(loc, own.sha256)));
    const newOut = join(work, `${source}-new`);
    await restore(source, sealed.snapshotId, newOut);
    assert.deepEqual(await readTree(newOut), await readTree(dir));
    assert.ok((await stat(join(newOut, 'own.bin'))).size === 2 * MiB);
  });

  it('key wraps: a second wrap opens too; the last one is never removed; removing needs another that opens', async () => {
    const source = uniqueName('wraps');
    const dir = join(work, source);
    await mkdir(dir);
    await writeFile(join(dir, 'a.txt'), 'alpha');
    const { snapshotId } = await backup(dir, source);
    const where = { bucket, prefix: PREFIX, source };
    const second = await addKeyWrap(clients, { ...where, keys, newPassphrase: 'second one' });
    assert.equal(second.created, false);
    await assert.rejects(
      addKeyWrap(clients, { ...where, keys: { passphrase: 'wrong' }, newPassphrase: 'third' }),
      isCode('WrongKey'),
    );
    await restore(source, snapshotId, join(work, `${source}-2`), { passphrase: 'second one' });
    const { wraps } = await listSourceKeys(clients, where);
    assert.equal(wraps.length, 2);
    const firstId = wraps.find((w) => w.id !== second.added.id)!.id;
    // Removing the first needs the second to open.
    await assert.rejects(removeKeyWrap(clients, { ...where, wrapId: firstId, keys }), isCode('WrongKey'));
    await removeKeyWrap(clients, { ...where, wrapId: firstId, keys: { passphrase: 'second one' } });
    await assert.rejects(
      removeKeyWrap(clients, { ...where, wrapId: second.added.id, keys: { passphrase: 'second one' } }),
      isCode('LastKeyWrap'),
    );
    await assert.rejects(restore(source, snapshotId, join(work, `${source}-3`)), isCode('WrongKey'));
  });

  test('a drill of an encrypted source restores its sample with the key, and needs it', async () => {
    const source = uniqueName('enc-drill');
    const dir = join(work, source);
    await mkdir(join(dir, 'sub'), { recursive: true });
    await writeFile(join(dir, 'sub', 'packed.txt'), 'packed text '.repeat(100));
    await writeFile(join(dir, 'own.bin'), randomBytes(2 * MiB));
    const { snapshotId } = await backup(dir, source);
    const drill = (k?: KeyMaterial) =>
      drillFolder(clients, {
        bucket,
        prefix: PREFIX,
        source,
        files: 'all',
        verifyReadData: 'all',
        tempDir: work,
        ...(k ? { keys: k } : {}),
      });
    const report = await drill(keys);
    assert.equal(report.status, 'succeeded', report.problems.join('\n'));
    assert.equal(report.snapshotId, snapshotId);
    assert.equal(report.filesChecked, 2);
    await assert.rejects(drill(), isCode('KeyRequired'));
  });
});
