// The real `coldkeep files verify --repair` as a child process against s3rver: a pack and a big
// blob replaced by other bytes of the same length are found, recorded and stored again from the
// folder in a new snapshot that verifies clean; what the folder no longer holds is reported as
// not repaired (exit 1, SnapshotDamaged); the old snapshot is still reported damaged, and the
// hint names the command that repairs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
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

interface Problem {
  problem: string;
  paths: string[];
  key: string;
}

describe('coldkeep files verify --repair', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let env: NodeJS.ProcessEnv;
  let bucket: string;
  let work: string;

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('repair-cli'));
    env = {
      COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      COLDKEEP_BUCKET: bucket,
      COLDKEEP_PREFIX: 'cli',
    };
    work = await mkdtemp(join(tmpdir(), 'coldkeep-repair-cli-'));
  });
  after(async () => {
    clients?.destroy();
    await emulators?.stop();
    await rm(work, { recursive: true, force: true });
  });

  async function damage(key: string): Promise<void> {
    const original = await (
      await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    ).Body!.transformToByteArray();
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: randomBytes(original.length) }));
  }

  test('verify --repair records the damage and stores again what the folder holds; the old snapshot stays damaged', async () => {
    const source = uniqueName('docs');
    const src = join(work, source);
    await mkdir(join(src, 'notes'), { recursive: true });
    for (let i = 0; i < 5; i++) await writeFile(join(src, 'notes', `n${i}.txt`), randomBytes(2048));
    // Over the 8 MiB multipart threshold: a blob of its own, uploaded in parts.
    await writeFile(join(src, 'big.bin'), randomBytes(9 * 1024 * 1024));
    const backup = await coldkeep(['--json', 'files', 'backup', src, '--source', source], env);
    assert.equal(backup.code, 0, backup.stderr);
    const first = (JSON.parse(backup.stdout) as { snapshot: { snapshotId: string } }).snapshot.snapshotId;

    const packs = await listKeys(clients.s3, bucket, `cli/files/${source}/packs/`);
    const blobs = await listKeys(clients.s3, bucket, `cli/files/${source}/blobs/`);
    assert.deepEqual([packs.length, blobs.length], [1, 1]);
    await damage(packs[0]!);
    await damage(blobs[0]!);
    // One of the damaged files is gone from the folder: it cannot be repaired.
    await unlink(join(src, 'notes', 'n4.txt'));

    const repair = await coldkeep(
      ['--json', 'files', 'verify', first, '--repair', '--read-data', 'all', '--source', source],
      env,
    );
    assert.equal(repair.code, 1, repair.stderr);
    const failed = JSON.parse(repair.stdout) as {
      error: {
        code: string;
        hint: string;
        details: {
          verify: { problems: Problem[]; recording: { recorded: string[] } };
          repair: {
            repaired: { paths: string[] }[];
            notRepaired: { paths: string[]; reason: string }[];
            backup: { snapshotId: string; uploadedBlobs: number; uploadedPacks: number };
          };
        };
      };
    };
    assert.equal(failed.error.code, 'SnapshotDamaged');
    const { verify, repair: repaired } = failed.error.details;
    assert.deepEqual(verify.problems.map((p) => p.paths[0]).sort(), [
      'big.bin',
      'notes/n0.txt',
      'notes/n1.txt',
      'notes/n2.txt',
      'notes/n3.txt',
      'notes/n4.txt',
    ]);
    assert.equal(verify.recording.recorded.length, 2);
    assert.deepEqual(repaired.repaired.flatMap((c) => c.paths).sort(), [
      'big.bin',
      'notes/n0.txt',
      'notes/n1.txt',
      'notes/n2.txt',
      'notes/n3.txt',
    ]);
    assert.deepEqual(
      repaired.notRepaired.map((c) => [c.paths, c.reason.startsWith('no longer in')]),
      [[['notes/n4.txt'], true]],
    );
    assert.deepEqual([repaired.backup.uploadedBlobs, repaired.backup.uploadedPacks], [5, 1]);
    const second = repaired.backup.snapshotId;
    assert.equal((await listKeys(clients.s3, bucket, `cli/files/${source}/packs/`)).length, 2, 'a new pack');

    const clean = await coldkeep(['--json', 'files', 'verify', second, '--read-data', 'all', '--source', source], env);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.equal((JSON.parse(clean.stdout) as { verify: { readBlobs: number } }).verify.readBlobs, 5);

    // The old snapshot is never rewritten: its packed files are still damaged, even unread.
    const old = await coldkeep(['files', 'verify', first, '--source', source], env);
    assert.equal(old.code, 1);
    assert.match(old.stdout, /known-damaged: .*packs\/.* \(notes\/n0\.txt\)/);
    assert.match(old.stderr, /Error \[SnapshotDamaged\]: Snapshot .* has 5 damaged or missing blob\(s\)/);
    assert.match(old.stderr, /files verify --repair --read-data all --source /);

    // Everything the folder holds is whole now: a second repair has nothing left to store.
    const again = await coldkeep(
      ['files', 'verify', 'latest', '--repair', '--read-data', 'all', '--source', source],
      env,
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /is complete .*nothing to repair/);
  });
});
