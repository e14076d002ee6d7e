// The real `coldkeep files …` commands as a child process against the emulators: backup,
// snapshots, ls, restore, verify, forget and prune, with --json and exit codes; backup and
// restore email their result (success and failure) through the SES emulator.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { AwsClients, type RunningEmulators, startEmulators } from '@coldkeep/shared';
import { createBucket, listKeys, uniqueName } from '../helpers/fixture';
import { type CliRun, runCli } from '../helpers/cli';

function coldkeep(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return runCli(args, { env: { ...process.env, ...env } });
}

describe('coldkeep files', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let env: NodeJS.ProcessEnv;
  let work: string;
  let src: string;
  const source = uniqueName('notes');

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    const bucket = await createBucket(clients.s3, uniqueName('files-cli'));
    env = {
      COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
      COLDKEEP_ENDPOINT_URL_SES: emulators.endpoints.ses,
      COLDKEEP_NOTIFY_FROM: 'coldkeep@example.com',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      COLDKEEP_BUCKET: bucket,
      COLDKEEP_PREFIX: 'cli',
    };
    work = await mkdtemp(join(tmpdir(), 'coldkeep-files-cli-'));
    src = join(work, 'notes');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'a.txt'), 'alpha');
    await writeFile(join(src, 'sub', 'b.md'), 'beta');
    await writeFile(join(src, 'skip.log'), 'noise');
  });
  after(async () => {
    clients?.destroy();
    await emulators?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('backup, snapshots, ls, restore, verify, forget and prune', async () => {
    const backup = await coldkeep(['--json', 'files', 'backup', src, '--source', source, '--exclude', '*.log'], env);
    assert.equal(backup.code, 0, backup.stderr);
    const snap = (
      JSON.parse(backup.stdout) as { snapshot: { snapshotId: string; files: number; uploadedBlobs: number } }
    ).snapshot;
    assert.equal(snap.files, 2);
    assert.equal(snap.uploadedBlobs, 2);

    await writeFile(join(src, 'a.txt'), 'alpha 2');
    await writeFile(join(src, 'sub', 'b.md'), 'beta 2');
    const second = await coldkeep(['files', 'backup', src, '--source', source, '--exclude', '*.log'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /2 files, .*\(0 unchanged since .*\); 2 new blob\(s\) \(1 pack\(s\)\)/);

    const list = await coldkeep(['files', 'snapshots'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout.trim().split('\n').length, 3, list.stdout);
    assert.ok(list.stdout.includes(snap.snapshotId));

    // --source may be left out: the bucket holds one source.
    const ls = await coldkeep(['files', 'ls', 'latest', 'sub'], env);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /sub\/b\.md/);
    assert.doesNotMatch(ls.stdout, /a\.txt/);

    const out = join(work, 'out');
    const restore = await coldkeep(['files', 'restore', snap.snapshotId, '--target', out], env);
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(await readFile(join(out, 'a.txt'), 'utf8'), 'alpha');
    const again = await coldkeep(['files', 'restore', 'latest', '--target', out], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Left alone \(already there\): a\.txt, sub\/b\.md\. Add --overwrite/);
    assert.equal(await readFile(join(out, 'a.txt'), 'utf8'), 'alpha');

    const verify = await coldkeep(['--json', 'files', 'verify', '--read-data', 'all'], env);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal((JSON.parse(verify.stdout) as { verify: { readBlobs: number } }).verify.readBlobs, 2);

    // The first snapshot's two small files share one pack; damage "beta" inside it.
    const packs = await listKeys(clients.s3, env.COLDKEEP_BUCKET!, `cli/files/${source}/packs/`);
    assert.equal(packs.length, 2, 'one pack per backup');
    assert.equal(
      await listKeys(clients.s3, env.COLDKEEP_BUCKET!, `cli/files/${source}/blobs/`).then((k) => k.length),
      0,
    );
    const firstPack = packs.sort()[0]!;
    const original = Buffer.from(
      await (
        await clients.s3.send(new GetObjectCommand({ Bucket: env.COLDKEEP_BUCKET!, Key: firstPack }))
      ).Body!.transformToByteArray(),
    );
    const at = original.indexOf('beta');
    assert.ok(at >= 0);
    const tampered = Buffer.from(original);
    tampered.write('BETA', at);
    await clients.s3.send(new PutObjectCommand({ Bucket: env.COLDKEEP_BUCKET!, Key: firstPack, Body: tampered }));
    const damaged = await coldkeep(['--json', 'files', 'verify', snap.snapshotId, '--read-data', 'all'], env);
    assert.equal(damaged.code, 1);
    const report = JSON.parse(damaged.stdout) as {
      error: { code: string; details: { verify: { problems: { problem: string; paths: string[] }[] } } };
    };
    assert.equal(report.error.code, 'SnapshotDamaged');
    assert.deepEqual(
      report.error.details.verify.problems.map((p) => [p.problem, p.paths]),
      [['hash-mismatch', ['sub/b.md']]],
    );
    await clients.s3.send(new PutObjectCommand({ Bucket: env.COLDKEEP_BUCKET!, Key: firstPack, Body: original }));

    const forget = await coldkeep(['--json', 'files', 'forget', '--keep-last', '1', '--prune'], env);
    assert.equal(forget.code, 0, forget.stderr);
    const result = JSON.parse(forget.stdout) as {
      forget: { forgotten: string[] };
      prune: { deletedBlobs: number; deletedPacks: number };
    };
    assert.deepEqual(result.forget.forgotten, [snap.snapshotId]);
    assert.equal(result.prune.deletedPacks, 1, 'the pack of the old a.txt and b.md contents');
    assert.deepEqual(await listKeys(clients.s3, env.COLDKEEP_BUCKET!, `cli/files/${source}/packs/`), [packs[1]]);

    const usage = await coldkeep(['files', 'forget'], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Error \[InvalidInput\]: A retention policy that keeps nothing/);
    const missing = await coldkeep(['files', 'restore', 'latest', '--target', out, '--source', 'nobody'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Error \[SnapshotNotFound\]/);
  });
  test('backup and restore email their result with --notify; a failed snapshot and restore are emailed too', async () => {
    const mailEnv = { ...env, COLDKEEP_PREFIX: 'mail' };
    const mailSource = uniqueName('mail');
    await fetch(`${emulators.endpoints.ses}/clear-store`, { method: 'POST' });
    const backup = await coldkeep(
      ['--json', 'files', 'backup', src, '--source', mailSource, '--notify', 'ops@example.com,me@example.com'],
      mailEnv,
    );
    assert.equal(backup.code, 0, backup.stderr);
    const result = JSON.parse(backup.stdout) as {
      snapshot: { snapshotId: string; files: number };
      notification: { sent: boolean; to: string[]; link?: unknown };
    };
    assert.equal(result.notification.sent, true);
    assert.deepEqual(result.notification.to, ['ops@example.com', 'me@example.com']);
    assert.equal(result.notification.link, undefined, 'a snapshot email carries no download link');

    const out = join(work, 'mail-out');
    const restore = await coldkeep(
      ['files', 'restore', 'latest', '--source', mailSource, '--target', out, '--notify', 'ops@example.com'],
      mailEnv,
    );
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /Emailed ops@example\.com: "Coldkeep: Restore of snapshot .* succeeded \(3 files, /);
    const linkFlag = await coldkeep(['files', 'backup', src, '--link-expires', '1h'], mailEnv);
    assert.equal(linkFlag.code, 2, 'snapshot emails have no link to set an expiry for');

    const noFolder = await coldkeep(
      ['files', 'backup', join(work, 'no-such-folder'), '--source', mailSource, '--notify', 'ops@example.com'],
      mailEnv,
    );
    assert.notEqual(noFolder.code, 0);
    assert.match(noFolder.stderr, /Emailed ops@example\.com: "Coldkeep: Snapshot of folder .*no-such-folder FAILED/);
    const noSource = await coldkeep(
      ['files', 'restore', 'latest', '--source', 'nobody', '--target', out, '--notify', 'ops@example.com'],
      mailEnv,
    );
    assert.equal(noSource.code, 1);
    assert.match(noSource.stderr, /Error \[SnapshotNotFound\]/);

    const mails = (
      (await (await fetch(`${emulators.endpoints.ses}/store`)).json()) as {
        emails: { subject: string; destination: { to: string[] }; body: { text?: string; html?: string } }[];
      }
    ).emails;
    assert.equal(mails.length, 4, mails.map((m) => m.subject).join('\n'));
    const [snapshot, restored, failedSnapshot, failedRestore] = mails;
    assert.deepEqual(snapshot!.destination.to, ['ops@example.com', 'me@example.com']);
    assert.match(snapshot!.subject, /^Coldkeep: Snapshot of folder .*notes succeeded \(3 files, [\d.]+ B new\)$/);
    for (const body of [snapshot!.body.text!, snapshot!.body.html!]) {
      for (const fact of [
        mailSource,
        result.snapshot.snapshotId,
        '3 new blob(s)',
        'no parent (first snapshot)',
        `coldkeep files restore ${result.snapshot.snapshotId} --source ${mailSource} --target DIR`,
      ]) {
        assert.ok(body.includes(fact), `the snapshot email lacks ${fact}:\n${body}`);
      }
      assert.doesNotMatch(body, /X-Amz-Signature=/);
    }
    assert.match(restored!.subject, /^Coldkeep: Restore of snapshot \S+ into .*mail-out succeeded \(3 files, 18 B\)$/);
    for (const body of [restored!.body.text!, restored!.body.html!]) {
      assert.ok(body.includes(result.snapshot.snapshotId), body);
      assert.match(body, /3 files, 1 folders, 0 links, 18 B; every SHA-256 checked/);
    }
    assert.match(failedSnapshot!.subject, /FAILED \(\[InvalidInput\]\)$/);
    assert.match(failedSnapshot!.body.text!, /no such folder/);
    assert.match(
      failedRestore!.subject,
      /^Coldkeep: Restore of snapshot latest of nobody into .* FAILED \(\[SnapshotNotFound\]\)$/,
    );
    assert.match(failedRestore!.body.html!, /SnapshotNotFound/);
  });
});
