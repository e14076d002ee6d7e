// Locks a crash or an S3 outage leaves behind, with real processes against the emulators: a
// `files prune` and a `files backup` killed with SIGKILL mid-run (after a progress line), the
// refusal that names the lock's host, pid and age, `files unlock` clearing it, the next run
// working; and a backup failed by S3 errors that removes its own lock. S3 goes through the fault
// proxy, slowed so that a run is still under way when it is killed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AwsClients, type RunningEmulators, startEmulators } from '@coldkeep/shared';
import { CLI, type CliRun, runCli } from '../helpers/cli';
import { createBucket, listKeys, uniqueName } from '../helpers/fixture';
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy';

/** Starts the CLI, waits for a stderr line matching `when`, kills it with SIGKILL; resolves with its pid once it is dead. */
function killMidRun(args: string[], env: NodeJS.ProcessEnv, when: RegExp): Promise<{ pid: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!killed && when.test(stderr)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!killed || signal !== 'SIGKILL') reject(new Error(`not killed mid-run (exit ${code}):\n${stderr}`));
      else resolve({ pid: child.pid!, stderr });
    });
  });
}

describe('files locks: after a crash or an S3 outage', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let proxy: FaultProxy;
  let bucket: string;
  let work: string;
  let direct: NodeJS.ProcessEnv;
  let slow: NodeJS.ProcessEnv;
  const coldkeep = (args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> =>
    runCli(args, { env, timeoutMs: 180_000 });
  const slowS3 = () => proxy.setRules([{ match: {}, action: { kind: 'delay', ms: 1000 }, times: 100_000 }]);

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('locks'));
    proxy = await startFaultProxy(emulators.endpoints.s3);
    direct = {
      ...process.env,
      COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_PROFILE: '',
      COLDKEEP_BUCKET: bucket,
      COLDKEEP_PREFIX: 'locks',
    };
    slow = { ...direct, COLDKEEP_ENDPOINT_URL_S3: proxy.url };
    work = await mkdtemp(join(tmpdir(), 'coldkeep-locks-'));
  });
  after(async () => {
    await proxy?.stop();
    clients?.destroy();
    await emulators?.stop();
    await rm(work, { recursive: true, force: true });
  });

  async function folderWithFiles(name: string, count: number): Promise<string> {
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < count; i++) await writeFile(join(dir, `f${i}.txt`), `${name} file ${i}\n`.repeat(50 + i));
    return dir;
  }
  const lockKeys = (source: string) => listKeys(clients.s3, bucket, `locks/files/${source}/locks/`);

  test('a killed prune: the backup refused names host, pid and age; unlock clears it; the backup then runs', async () => {
    const source = uniqueName('pruned');
    const dir = await folderWithFiles(source, 5);
    const first = await coldkeep(['files', 'backup', dir, '--source', source], direct);
    assert.equal(first.code, 0, first.stderr);

    slowS3();
    const killed = await killMidRun(['files', 'prune', '--source', source], slow, /Pruning .*: read-snapshots/);
    assert.equal((await lockKeys(source)).length, 1, 'the killed prune left its lock');

    const refused = await coldkeep(['--json', 'files', 'backup', dir, '--source', source], direct);
    assert.equal(refused.code, 1, refused.stderr);
    const { error } = JSON.parse(refused.stdout) as { error: { code: string; message: string; hint: string } };
    assert.equal(error.code, 'SourceLocked');
    assert.match(
      error.message,
      new RegExp(`a prune is running \\(pid ${killed.pid} on ${hostname()}, started \\d+ s ago`),
    );
    assert.match(error.message, /that process is gone/);
    assert.match(error.hint, new RegExp(`coldkeep files unlock ${source}`));

    const unlocked = await coldkeep(['files', 'unlock', source], direct);
    assert.equal(unlocked.code, 0, unlocked.stderr);
    assert.match(
      unlocked.stdout,
      new RegExp(`Removed the prune lock of pid ${killed.pid} on ${hostname()}.*process gone`),
    );
    assert.deepEqual(await lockKeys(source), []);

    const again = await coldkeep(['files', 'backup', dir, '--source', source], direct);
    assert.equal(again.code, 0, again.stderr);
    const nothingLeft = await coldkeep(['files', 'unlock', source], direct);
    assert.match(nothingLeft.stdout, /has no locks/);
  });

  test('a killed backup: prune refused names it; unlock clears it (a live lock only with --force); prune then runs', async () => {
    const source = uniqueName('backedup');
    const dir = await folderWithFiles(source, 20);
    slowS3();
    const killed = await killMidRun(['files', 'backup', dir, '--source', source], slow, /Backing up /);
    assert.equal((await lockKeys(source)).length, 1, 'the killed backup left its lock');

    const refused = await coldkeep(['files', 'prune', '--source', source], direct);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(`SourceLocked.*a backup is running \\(pid ${killed.pid} on ${hostname()}, started \\d+ s ago`),
    );

    // A lock of a live process (this test's own pid, on this host) is listed and kept without --force.
    const live = `locks/files/${source}/locks/backup-live.json`;
    await clients.s3.send(
      new (await import('@aws-sdk/client-s3')).PutObjectCommand({
        Bucket: bucket,
        Key: live,
        Body: JSON.stringify({
          kind: 'backup',
          host: hostname(),
          pid: process.pid,
          createdAt: new Date().toISOString(),
        }),
      }),
    );
    const kept = await coldkeep(['files', 'unlock', source], direct);
    assert.equal(kept.code, 1, kept.stdout);
    assert.match(kept.stderr, new RegExp(`backup lock of pid ${process.pid} on ${hostname()}.*still running`));
    assert.match(kept.stderr, /Removed 1 lock\(s\) of processes that are gone/);
    assert.match(kept.stderr, /--force/);
    assert.deepEqual(await lockKeys(source), [live], 'the gone one removed, the live one kept');
    const forced = await coldkeep(['files', 'unlock', source, '--force'], direct);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, new RegExp(`Removed the backup lock of pid ${process.pid}.*still running`));
    assert.deepEqual(await lockKeys(source), []);

    const pruned = await coldkeep(['files', 'prune', '--source', source], direct);
    assert.equal(pruned.code, 0, pruned.stderr);
  });

  test('a backup failed by S3 errors mid-run removes its lock once S3 answers again', async () => {
    const source = uniqueName('outage');
    const dir = await folderWithFiles(source, 20);
    slowS3();
    const start = proxy.stats.requests.length;
    const child = coldkeep(['files', 'backup', dir, '--source', source], slow);
    // S3 goes down when the backup is under way (its lock written) ...
    while (!proxy.stats.requests.slice(start).some((r) => r.method === 'PUT' && r.url.includes('/locks/'))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const seenBefore = proxy.stats.requests.length;
    proxy.setRules([{ match: {}, action: { kind: 's3InternalError' }, times: 1_000_000 }]);
    // ... and comes back once the failed backup has tried to remove its lock more times than the SDK retries one request.
    const deletesOfLock = () =>
      proxy.stats.requests.slice(seenBefore).filter((r) => r.method === 'DELETE' && r.url.includes('/locks/')).length;
    let done: CliRun | undefined;
    void child.then((r) => (done = r));
    while (deletesOfLock() < 6 && !done) await new Promise((r) => setTimeout(r, 50));
    proxy.setRules([]);
    const failed = await child;
    assert.equal(failed.code, 1, failed.stderr);
    assert.deepEqual(await lockKeys(source), [], 'the failed backup left no lock');
    assert.ok(deletesOfLock() >= 5, `the lock's removal was tried ${deletesOfLock()} time(s), through the outage`);
    const prune = await coldkeep(['files', 'prune', '--source', source], direct);
    assert.equal(prune.code, 0, prune.stderr);
  });
});
