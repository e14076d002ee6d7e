// A backup that leaves out something the user asked for says so: the real CLI as a child
// process, against the emulators. Unreadable paths make the job partial (exit 3, status
// "partial" in --json, in the schedule history and in the email subject); a file that keeps
// changing while it is read is stored as last read, marked, and named as a warning.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  AwsClients,
  blobKey,
  type FolderBackupReport,
  readSnapshotEntries,
  type RunRecord,
  type RunningEmulators,
  sourceLocation,
  startEmulators,
} from '@coldkeep/shared';
import { createBucket, uniqueName } from '../helpers/fixture';
import { AS_NOBODY, type CliRun, letNobodyReachTheCli, runCli } from '../helpers/cli';

const NOBODY = 65534;

interface BackupJson {
  ok: boolean;
  status: string;
  incomplete?: string;
  snapshot: FolderBackupReport;
}

describe('incomplete backups are never a success', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let env: NodeJS.ProcessEnv;
  let bucket: string;
  let work: string;
  let restoreModes: (() => Promise<void>) | undefined;

  before(async () => {
    restoreModes = await letNobodyReachTheCli();
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('incomplete'));
    work = await mkdtemp(join(tmpdir(), 'coldkeep-incomplete-'));
    // mkdtemp makes the folder 0700; user nobody must reach what is inside.
    await chmod(work, 0o755);
    // A HOME (and with it the config folder) of nobody's own, for the children run as nobody.
    const home = join(work, 'home');
    await mkdir(home);
    await chown(home, NOBODY, NOBODY);
    env = {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
      COLDKEEP_ENDPOINT_URL_SES: emulators.endpoints.ses,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_PROFILE: '',
      COLDKEEP_BUCKET: bucket,
    };
  });
  after(async () => {
    clients?.destroy();
    await emulators?.stop();
    await rm(work, { recursive: true, force: true });
    await restoreModes?.();
  });

  /**
   * A folder user nobody can read, except for a subfolder (root's, 0700) and a file (root's,
   * 0600) in it: root reads everything, so only a child run as nobody meets them.
   */
  async function folderWithUnreadablePaths(name: string): Promise<string> {
    const dir = join(work, name);
    await mkdir(join(dir, 'private'), { recursive: true });
    await writeFile(join(dir, 'readme.txt'), 'anyone may read this');
    await writeFile(join(dir, 'private', 'diary.txt'), 'dear diary');
    await writeFile(join(dir, 'secret.key'), 'only root');
    await chmod(dir, 0o755);
    await chmod(join(dir, 'readme.txt'), 0o644);
    await chmod(join(dir, 'private'), 0o700);
    await chmod(join(dir, 'secret.key'), 0o600);
    return dir;
  }

  const asNobody = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
    runCli(args, { env: { ...env, ...extra }, wrapper: AS_NOBODY, cwd: work, timeoutMs: 90_000 });

  test("a non-root user's unreadable subfolder and file: exit 3, status partial, each named with the user", async () => {
    const dir = await folderWithUnreadablePaths('docs');
    const source = uniqueName('docs');

    const run = await asNobody(['--json', 'files', 'backup', dir, '--source', source]);
    assert.equal(run.code, 3, run.stderr + run.stdout);
    const json = JSON.parse(run.stdout) as BackupJson;
    assert.equal(json.status, 'partial');
    assert.equal(json.ok, false, 'a script checking ok never takes it for a success');
    assert.equal(json.incomplete, '1 folder and 1 file not backed up');
    assert.equal(json.snapshot.status, 'partial');
    assert.equal(json.snapshot.files, 1, 'readme.txt is in the snapshot');
    const missing = json.snapshot.skipped.filter((s) => s.kind === 'unreadable');
    assert.deepEqual(missing.map((s) => s.path).sort(), ['private', 'secret.key']);
    for (const m of missing) {
      assert.match(m.reason, /user nobody \(uid 65534\) may not read it: permission denied \(EACCES\)/);
      assert.match(m.whatToDo ?? '', new RegExp(`Let user nobody \\(uid 65534\\) read ${join(dir, m.path)}`));
    }

    // The text says INCOMPLETE, names both paths, the user and what to do; never "succeeded".
    const text = await asNobody(['files', 'backup', dir, '--source', source]);
    assert.equal(text.code, 3, text.stderr);
    assert.match(text.stdout, /INCOMPLETE: 1 folder and 1 file not backed up/);
    assert.match(text.stdout, /Not backed up: private\/ — cannot list the folder: user nobody \(uid 65534\)/);
    assert.match(text.stdout, /Not backed up: secret\.key — cannot read the file: user nobody \(uid 65534\)/);
    assert.match(text.stdout, /What to do: Let user nobody \(uid 65534\) read .*private and list it/);
    assert.doesNotMatch(text.stdout, /succeeded/);
  });

  test('a file appended to while it is backed up is stored as last read, marked, a warning; restored bytes hash to the blob name', async () => {
    const dir = join(work, 'logs');
    await mkdir(dir);
    const busy = join(dir, 'busy.log');
    // Bigger than the multipart threshold (8 MiB): the file is streamed, not read into memory.
    await writeFile(busy, Buffer.alloc(10 * 1024 * 1024, 'x'));
    await writeFile(join(dir, 'quiet.txt'), 'still');
    const source = uniqueName('logs');

    // A writer appending a line every 2 ms for as long as a backup runs (at most 90 s).
    const whileAppending = async (args: string[]): Promise<CliRun> => {
      const writer: ChildProcess = spawn(
        process.execPath,
        [
          '-e',
          `const fs = require('fs'); let n = 0;
           const t = setInterval(() => fs.appendFileSync(process.argv[1], 'line ' + n++ + '\\n'), 2);
           setTimeout(() => { clearInterval(t); process.exit(0); }, 90000);
           process.stdout.write('writing\\n');`,
          busy,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise<void>((resolve) => writer.stdout!.once('data', () => resolve()));
      try {
        return await runCli(args, { env, timeoutMs: 90_000 });
      } finally {
        writer.kill();
      }
    };
    const run = await whileAppending(['--json', 'files', 'backup', dir, '--source', source]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const json = JSON.parse(run.stdout) as BackupJson;
    assert.equal(json.status, 'succeeded', 'a busy file is a warning, not a partial job');
    assert.equal(json.ok, true);
    assert.deepEqual(json.snapshot.skipped, []);
    assert.deepEqual(json.snapshot.changedWhileReading, ['busy.log']);
    assert.equal(json.snapshot.files, 2, 'the busy file is in the snapshot');

    // The manifest marks the entry; the blob's name is the hash of the bytes stored.
    const loc = sourceLocation(bucket, undefined, source);
    const entries = await readSnapshotEntries(clients.s3, loc, json.snapshot.snapshotId);
    const entry = entries.find((e) => e.path === 'busy.log');
    assert.ok(entry && entry.type === 'file');
    assert.equal(entry.changedWhileRead, true);
    assert.ok(entry.size >= 10 * 1024 * 1024);
    const blob = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: blobKey(loc, entry.sha256) }));
    const stored = Buffer.from(await blob.Body!.transformToByteArray());
    assert.equal(stored.length, entry.size);
    assert.equal(createHash('sha256').update(stored).digest('hex'), entry.sha256);
    const quiet = entries.find((e) => e.path === 'quiet.txt');
    assert.ok(quiet && quiet.type === 'file' && quiet.changedWhileRead === undefined, 'a still file is not marked');

    const out = join(work, 'logs-restored');
    const restore = await runCli(['files', 'restore', json.snapshot.snapshotId, '--source', source, '--target', out], {
      env,
    });
    assert.equal(restore.code, 0, restore.stderr);
    const restored = await readFile(join(out, 'busy.log'));
    assert.equal(createHash('sha256').update(restored).digest('hex'), entry.sha256);

    // The text names it as a warning.
    const text = await whileAppending(['files', 'backup', dir, '--source', source]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Warning: busy\.log changed while it was read: stored as last read/);
    assert.doesNotMatch(text.stdout, /Not backed up/);

    // Still now: the next backup reads it again (a marked entry is never taken as unchanged).
    const still = await runCli(['--json', 'files', 'backup', dir, '--source', source], { env });
    assert.equal(still.code, 0, still.stderr);
    const stillJson = JSON.parse(still.stdout) as BackupJson;
    assert.equal(stillJson.snapshot.unchangedFiles, 1, 'only quiet.txt is unchanged');
    assert.deepEqual(stillJson.snapshot.changedWhileReading, []);
  });

  test('a scheduled run whose job is partial is recorded partial and emailed with --notify-on failures', async () => {
    const dir = await folderWithUnreadablePaths('scheduled');
    // The schedule folder belongs to nobody: the runs (as nobody) write their history there.
    const scheduleDir = join(work, 'schedule');
    await mkdir(scheduleDir);
    await chown(scheduleDir, NOBODY, NOBODY);
    const scheduleEnv = { COLDKEEP_SCHEDULE_DIR: scheduleDir };
    const added = await asNobody(['--json', 'schedule', 'add', '--folder', dir], scheduleEnv);
    assert.equal(added.code, 0, added.stderr);
    const { id } = JSON.parse(added.stdout) as { id: string };

    const to = `${uniqueName('night')}@example.com`;
    const run = await asNobody(
      ['schedule', 'run', '--all', '--notify', to, '--from', 'coldkeep@example.com', '--notify-on', 'failures'],
      scheduleEnv,
    );
    assert.equal(run.code, 3, run.stderr + run.stdout);
    assert.match(run.stdout, /PARTIAL .*1 folder and 1 file not backed up/);
    assert.match(run.stdout, /Not backed up: secret\.key — cannot read the file: user nobody \(uid 65534\)/);
    assert.match(run.stdout, /Emailed .*: "Coldkeep: Scheduled snapshot of folder .* INCOMPLETE: 1 folder and 1 file/);

    const history = await asNobody(['--json', 'schedule', 'history', '--source', id], scheduleEnv);
    const runs = JSON.parse(history.stdout) as RunRecord[];
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.status, 'partial');
    assert.equal(runs[0]!.result?.incomplete, '1 folder and 1 file not backed up');

    const store = (await (await fetch(`${emulators.endpoints.ses}/store`)).json()) as {
      emails: { subject: string; destination: { to: string[] }; body: { text?: string } }[];
    };
    const mails = store.emails.filter((m) => m.destination.to.includes(to));
    assert.equal(mails.length, 1, 'the partial run was emailed although only failures are');
    assert.match(mails[0]!.subject, /INCOMPLETE: 1 folder and 1 file not backed up/);
    assert.doesNotMatch(mails[0]!.subject, /succeeded/);
    assert.match(mails[0]!.body.text ?? '', /Not backed up +private\/: cannot list the folder: user nobody/);
    assert.match(mails[0]!.body.text ?? '', /Not backed up +secret\.key: cannot read the file: user nobody/);
  });
});
