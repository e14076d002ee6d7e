// Restore drills of folder snapshots (issue 20), against s3rver over HTTP: a good snapshot passes
// with a sample that holds every storage kind (packed, blob, big blob, empty); a damaged
// pack fails the drill and names its files; a drill cut by a fault or a cancel still removes its
// temp folder; data in Glacier classes (played by the feature proxy) is said not read, and
// read with thaw once its cost is stated.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AwsClients,
  backupFolder,
  CancelledError,
  type ColdkeepError,
  type DrillFolderInput,
  type DrillFolderProgress,
  drillFolder,
  type RunningEmulators,
  startEmulators,
  STORAGE_KINDS,
} from '@coldkeep/shared';
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { createBucket, embeddedOnly, listKeys, uniqueName } from '../helpers/fixture';
import { type FeatureProxy, startFeatureProxy } from '../helpers/policyFeatureProxy';

const KiB = 1024;
const MiB = 1024 * KiB;

embeddedOnly(describe)('folder restore drills', () => {
  let emulators: RunningEmulators;
  let faults: FaultProxy;
  let features: FeatureProxy;
  let direct: AwsClients;
  let faulty: AwsClients;
  let glacier: AwsClients;
  let bucket: string;
  let work: string;

  before(async () => {
    emulators = await startEmulators();
    faults = await startFaultProxy(emulators.endpoints.s3);
    features = await startFeatureProxy(emulators.endpoints.s3);
    direct = new AwsClients(emulators.settings);
    faulty = new AwsClients({ ...emulators.settings, endpoints: { ...emulators.settings.endpoints, s3: faults.url } });
    glacier = new AwsClients({
      ...emulators.settings,
      endpoints: { ...emulators.settings.endpoints, s3: features.url },
    });
    bucket = await createBucket(direct.s3, uniqueName('folder-drills'));
    work = await mkdtemp(join(tmpdir(), 'coldkeep-folder-drill-'));
  });
  after(async () => {
    faulty?.destroy();
    glacier?.destroy();
    direct?.destroy();
    await faults?.stop();
    await features?.stop();
    await emulators?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** A folder with every storage kind: 40 small files (packs), a 2 MiB blob, a 9 MiB big blob (multipart), an empty file. */
  async function snapshotted(): Promise<{ source: string; snapshotId: string; packed: string[] }> {
    const source = uniqueName('drilled');
    const dir = join(work, source);
    await mkdir(join(dir, 'notes'), { recursive: true });
    const packed: string[] = [];
    for (let i = 0; i < 40; i++) {
      packed.push(`notes/n${i}.txt`);
      await writeFile(join(dir, 'notes', `n${i}.txt`), `note ${i} ${randomBytes(300).toString('hex')}`);
    }
    await writeFile(join(dir, 'photo.jpg'), randomBytes(2 * MiB));
    await writeFile(join(dir, 'video.bin'), randomBytes(9 * MiB));
    await writeFile(join(dir, 'empty.txt'), '');
    const report = await backupFolder(direct, {
      dir,
      bucket,
      source,
      packSize: 16 * KiB,
    });
    return { source, snapshotId: report.snapshotId, packed };
  }

  /** A fresh parent for the drill's temp folder, to see that it is left empty. */
  const parent = (): Promise<string> => mkdtemp(join(work, 'temp-'));

  test('a good snapshot passes: a sample of the number asked, every storage kind in it, each file re-hashed, the temp folder removed', async () => {
    const { source, snapshotId } = await snapshotted();
    const tempDir = await parent();
    const phases: string[] = [];
    const report = await drillFolder(
      direct,
      { bucket, source, files: 2, tempDir },
      { onProgress: (p) => phases.at(-1) !== p.phase && phases.push(p.phase) },
    );
    assert.equal(report.status, 'succeeded', report.problems.join('\n'));
    assert.equal(report.snapshotId, snapshotId);
    assert.equal(report.filesInSnapshot, 43);
    assert.deepEqual(report.kindsInSnapshot, { packed: 40, blob: 1, 'big-blob': 1, empty: 1 });
    // Two asked, four kinds: one of each kind, so four.
    assert.equal(report.sampleAsked, 2);
    assert.deepEqual(Object.keys(report.sampledByKind).sort(), [...STORAGE_KINDS].sort());
    assert.equal(report.sampled, 4);
    assert.equal(report.filesChecked, 4);
    assert.equal(report.mismatches, 0);
    assert.equal(report.verify.ok, true);
    assert.equal(report.verify.blobs, 43);
    assert.ok(report.bytesRestored >= 11 * MiB, String(report.bytesRestored));
    assert.ok(report.restoreMs > 0 && report.restoreMs <= report.durationMs);
    assert.equal(report.notRead, undefined);
    assert.equal(report.tempRemoved, true);
    assert.deepEqual(await readdir(tempDir), []);
    assert.deepEqual(phases, ['plan', 'restore', 'check', 'verify', 'cleanup']);

    // The default sample is 20 files; "all" takes every one.
    const byDefault = await drillFolder(direct, { bucket, source, tempDir });
    assert.equal(byDefault.sampled, 20);
    const all = await drillFolder(direct, { bucket, source, tempDir, files: 'all' });
    assert.equal(all.sampled, 43);
    assert.equal(all.filesChecked, 43);
    assert.equal(all.status, 'succeeded', all.problems.join('\n'));
  });

  test('a snapshot with a damaged pack fails the drill, which names the files and records the damage', async () => {
    const { source, packed } = await snapshotted();
    const packs = await listKeys(direct.s3, bucket, `coldkeep/files/${source}/packs/`);
    assert.ok(packs.length >= 2, `several packs (${packs.length})`);
    // Every pack replaced by other bytes of the same length (sizes, listing and verify's checks all pass).
    for (const key of packs) {
      const body = await (
        await direct.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      ).Body!.transformToByteArray();
      await direct.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: randomBytes(body.length) }));
    }
    const tempDir = await parent();
    const report = await drillFolder(direct, { bucket, source, files: 10, tempDir, random: () => 0.5 });
    assert.equal(report.status, 'failed');
    const packedSampled = report.sampledByKind.packed ?? 0;
    assert.ok(packedSampled >= 1);
    assert.equal(report.mismatches, packedSampled);
    for (const m of report.firstMismatches) {
      assert.ok(packed.includes(m.path), m.path);
      assert.equal(m.kind, 'packed');
      assert.equal(m.problem, 'hash-mismatch');
      assert.ok(packs.includes(m.key), m.key);
      assert.match(m.detail ?? '', /content hashes to [0-9a-f]{64}, the snapshot says/);
    }
    assert.match(
      report.problems[0]!,
      /sampled file\(s\) did not restore to their SHA-256: notes\/n\d+\.txt \(packed, hash-mismatch\)/,
    );
    assert.ok(report.recording.recorded.length >= 1, 'the damage is recorded');
    // The other kinds restored and checked all the same.
    assert.equal(report.filesChecked, report.sampled - packedSampled);
    assert.equal(report.tempRemoved, true);
    assert.deepEqual(await readdir(tempDir), []);
  });

  test('a drill cut by a fault still removes its temp folder, and says so', async () => {
    const { source } = await snapshotted();
    const tempDir = await parent();
    // The reads of the big files' blobs are refused, with an error no retry gets past.
    faults.setRules([
      {
        match: { method: 'GET', pathIncludes: `/files/${source}/blobs/` },
        action: { kind: 's3Error', status: 403, code: 'AccessDenied', message: 'not allowed' },
        times: 1000,
      },
    ]);
    const err = (await drillFolder(faulty, { bucket, source, files: 'all', tempDir }).then(
      () => assert.fail('the drill should fail'),
      (e: unknown) => e,
    )) as ColdkeepError;
    faults.setRules([]);
    assert.ok((faults.stats.injected.s3Error ?? 0) >= 1);
    assert.equal(err.code, 'AccessDenied');
    assert.match(err.message, /The temp folder \S+coldkeep-drill-\S+ was removed\./);
    assert.equal(err.details?.['tempRemoved'], true);
    assert.deepEqual(await readdir(tempDir), []);
  });

  test('a cancelled drill removes its temp folder too', async () => {
    const { source } = await snapshotted();
    const tempDir = await parent();
    const controller = new AbortController();
    const err = await drillFolder(
      direct,
      { bucket, source, files: 'all', tempDir },
      { signal: controller.signal, onProgress: (p) => p.phase === 'restore' && p.filesDone > 0 && controller.abort() },
    ).then(
      () => assert.fail('the drill should be cancelled'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CancelledError, String(err));
    assert.deepEqual(await readdir(tempDir), []);
  });

  test('data in Glacier classes is said not read (partial); with thaw its cost is stated first, then it is read', async () => {
    const { source } = await snapshotted();
    const tempDir = await parent();
    features.archiveKeysContaining = `/files/${source}/blobs/`;
    try {
      const input: DrillFolderInput = { bucket, source, files: 'all', tempDir };
      const unread = await drillFolder(glacier, input);
      assert.equal(unread.status, 'partial', unread.problems.join('\n'));
      assert.deepEqual(unread.notRead, {
        files: 2,
        objects: 2,
        bytes: 11 * MiB,
        storageClasses: ['GLACIER'],
      });
      assert.equal(unread.sampled, 41);
      assert.equal(unread.sampledByKind.blob, undefined);
      assert.match(
        unread.warnings.join('\n'),
        /2 file\(s\) \(2 object\(s\), 11534336 bytes\) sit in GLACIER: checked in the listing, not read/,
      );
      assert.equal(features.restored.size, 0, 'no retrieval without thaw');

      let restoredWhenStated: number | undefined;
      const thawing: DrillFolderProgress[] = [];
      const read = await drillFolder(
        glacier,
        { ...input, thaw: true, pollIntervalMs: 20 },
        {
          onProgress: (p) => {
            if (p.phase !== 'thaw') return;
            thawing.push(p);
            if (p.thaw) restoredWhenStated ??= features.restored.size;
          },
        },
      );
      assert.equal(read.status, 'succeeded', read.problems.join('\n'));
      assert.equal(read.notRead, undefined);
      assert.equal(read.sampled, 43);
      assert.equal(read.thawed?.objects, 2);
      assert.equal(read.thawed?.bytes, 11 * MiB);
      assert.equal(read.thawed?.priced, false);
      assert.match(read.thawed?.note ?? '', /no price table/);
      assert.equal(restoredWhenStated, 0, 'the cost is stated before any retrieval starts');
      assert.deepEqual(thawing[0]?.thaw, read.thawed);
      assert.equal(features.restored.size, 2);
      assert.deepEqual(await readdir(tempDir), []);
    } finally {
      features.archiveKeysContaining = undefined;
    }
  });
});
