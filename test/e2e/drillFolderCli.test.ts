// `coldkeep drill folder`, and folder drills on a schedule, run as a user would (the real CLI in a
// child process) against s3rver and aws-ses-v2-local over HTTP; a pack replaced by other bytes of
// its length is the damage a drill must find.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AwsClients,
  type DrillFolderReport,
  type RunRecord,
  type RunningEmulators,
  startEmulators,
} from '@coldkeep/shared';
import { createBucket, embeddedOnly, listKeys, uniqueName } from '../helpers/fixture';
import { type CliRun, runCli } from '../helpers/cli';

embeddedOnly(describe)('coldkeep drill folder', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let env: NodeJS.ProcessEnv;
  let bucket: string;
  let work: string;
  const coldkeep = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
    runCli(args, { env: { ...process.env, ...env, ...extra }, timeoutMs: 90_000 });

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('drill-folder-cli'));
    work = await mkdtemp(join(tmpdir(), 'coldkeep-drill-folder-cli-'));
    env = {
      COLDKEEP_BUCKET: bucket,
      COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
      COLDKEEP_ENDPOINT_URL_SES: emulators.endpoints.ses,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_PROFILE: '',
    };
  });
  after(async () => {
    clients?.destroy();
    await emulators?.stop();
  });

  /** A folder with small files (packed), a blob of its own and an empty file. */
  async function folder(): Promise<string> {
    const dir = join(work, uniqueName('docs'));
    await mkdir(join(dir, 'notes'), { recursive: true });
    for (let i = 0; i < 12; i++) await writeFile(join(dir, 'notes', `n${i}.md`), `# note ${i}\n${'x'.repeat(200 + i)}`);
    await writeFile(join(dir, 'photo.jpg'), randomBytes(1536 * 1024));
    await writeFile(join(dir, 'empty'), '');
    return dir;
  }
  async function backedUp(): Promise<{ dir: string; source: string }> {
    const dir = await folder();
    const source = uniqueName('docs');
    const run = await coldkeep(['files', 'backup', dir, '--source', source]);
    assert.equal(run.code, 0, run.stderr);
    return { dir, source };
  }
  /** Every pack of the source replaced by other bytes of the same length. */
  async function damagePacks(source: string): Promise<void> {
    const packs = await listKeys(clients.s3, bucket, `coldkeep/files/${source}/packs/`);
    assert.ok(packs.length >= 1);
    for (const key of packs) {
      const body = await (
        await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      ).Body!.transformToByteArray();
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: randomBytes(body.length) }));
    }
  }
  const scheduleDir = async (): Promise<NodeJS.ProcessEnv> => ({
    COLDKEEP_SCHEDULE_DIR: await mkdtemp(join(tmpdir(), 'coldkeep-drill-folder-schedule-')),
  });

  test('drill folder --json: the report (sample by kind, files checked, restore time), exit 0; backups list goes from "never verified" to verified', async () => {
    const { source } = await backedUp();
    const dir = await scheduleDir();
    const before = await coldkeep(['backups', 'list'], dir);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, new RegExp(`folder ${source}\\s+never verified`));

    const run = await coldkeep(['--json', 'drill', 'folder', source, '--files', '3'], dir);
    assert.equal(run.code, 0, run.stderr);
    const { ok, status, drill } = JSON.parse(run.stdout) as { ok: boolean; status: string; drill: DrillFolderReport };
    assert.equal(ok, true);
    assert.equal(status, 'succeeded');
    assert.equal(drill.filesInSnapshot, 14);
    assert.deepEqual(drill.kindsInSnapshot, { packed: 12, blob: 1, empty: 1 });
    assert.equal(drill.sampled, 3);
    assert.deepEqual(drill.sampledByKind, { packed: 1, blob: 1, empty: 1 });
    assert.equal(drill.filesChecked, 3);
    assert.equal(drill.mismatches, 0);
    assert.equal(drill.verify.ok, true);
    assert.equal(drill.tempRemoved, true);
    assert.equal(typeof drill.restoreMs, 'number');

    const text = await coldkeep(['drill', 'folder', source], dir);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Drill of .* succeeded: snapshot \S+ restored \(a sample\) and verified\./);
    assert.match(text.stdout, /Sampled +14 files: packed 12, blob 1, empty 1 \(asked: 20\)/);

    const listed = await coldkeep(['backups', 'list'], dir);
    assert.match(
      listed.stdout,
      new RegExp(`folder ${source}\\s+verified \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ, restore `),
    );
    const json = JSON.parse((await coldkeep(['--json', 'backups', 'list'], dir)).stdout) as {
      folderStatuses: Record<string, { state: string; lastVerified?: { restorePoint?: string } }>;
    };
    assert.equal(json.folderStatuses[source]?.lastVerified?.restorePoint, drill.snapshotId);
  });

  test('a drill of a snapshot with a damaged pack exits 1 (DrillFailed) naming the files; lists show it failed', async () => {
    const { source } = await backedUp();
    await damagePacks(source);
    const dir = await scheduleDir();
    const text = await coldkeep(['drill', 'folder', source, '--files', '4'], dir);
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, /Drill of .* FAILED/);
    assert.match(text.stdout, /hash-mismatch +notes\/n\d+\.md \(packed, coldkeep\/files\/\S+\/packs\/\S+\)/);
    assert.match(
      text.stderr,
      /Error \[DrillFailed\]: .*did not restore to their SHA-256: notes\/n\d+\.md \(packed, hash-mismatch\)/,
    );

    const json = await coldkeep(['--json', 'drill', 'folder', source, '--files', 'all'], dir);
    assert.equal(json.code, 1);
    const error = (JSON.parse(json.stdout) as { error: { code: string; details: { drill: DrillFolderReport } } }).error;
    assert.equal(error.code, 'DrillFailed');
    assert.equal(error.details.drill.mismatches, 12);
    assert.equal(error.details.drill.firstMismatches.length, 10);
    assert.ok(
      error.details.drill.firstMismatches.every((m) => /^notes\/n\d+\.md$/.test(m.path) && m.kind === 'packed'),
    );
    const listed = await coldkeep(['backups', 'list'], dir);
    assert.match(listed.stdout, new RegExp(`folder ${source}\\s+drill FAILED .*; never verified`));
  });

  test('a scheduled folder drill (schedule add --folder --drill weekly) that fails is emailed through SES and shown failed in schedule list', async () => {
    const folderDir = await folder();
    const dir = await scheduleDir();
    const added = await coldkeep(['--json', 'schedule', 'add', '--folder', folderDir, '--drill', 'weekly'], dir);
    assert.equal(added.code, 0, added.stderr);
    const sources = JSON.parse(added.stdout) as {
      id: string;
      drillSource: { id: string; cron: string; drill: boolean; snapshotSource: string };
    };
    assert.equal(sources.drillSource.drill, true);
    assert.equal(sources.drillSource.cron, '0 4 * * 0');
    assert.equal(sources.drillSource.snapshotSource, sources.id);

    // The backup source runs first (its snapshots are named by its id), then the packs are damaged.
    const backup = await coldkeep(['schedule', 'run', '--source', sources.id], dir);
    assert.equal(backup.code, 0, backup.stderr);
    await damagePacks(sources.id);

    const to = `folder-drills-${uniqueName('ops')}@example.com`;
    const notify = ['--notify', to, '--from', 'coldkeep@example.com', '--notify-on', 'failures'];
    const run = await coldkeep(['--json', 'schedule', 'run', '--source', sources.drillSource.id, ...notify], dir);
    assert.equal(run.code, 1, run.stderr);
    const failed = (JSON.parse(run.stdout) as { error: { code: string; details: { runs: RunRecord[] } } }).error;
    assert.equal(failed.code, 'DrillFailed');
    assert.equal(failed.details.runs[0]!.drill, true);
    assert.equal(failed.details.runs[0]!.kind, 'folder');
    assert.equal(failed.details.runs[0]!.attempts, 1, 'a failed drill is not retried');

    const mails = (
      (await (await fetch(`${emulators.endpoints.ses}/store`)).json()) as {
        emails: { subject: string; destination: { to: string[] }; body: { text?: string } }[];
      }
    ).emails.filter((m) => m.destination.to.includes(to));
    assert.equal(mails.length, 1);
    assert.match(mails[0]!.subject, /Scheduled restore drill \(drill of .*\) FAILED \(\[DrillFailed\]\)/);
    assert.match(
      mails[0]!.body.text ?? '',
      /did not restore to their SHA-256: notes\/n\d+\.md \(packed, hash-mismatch\)/,
    );

    const listed = await coldkeep(['schedule', 'list'], dir);
    assert.match(
      listed.stdout,
      new RegExp(`${sources.drillSource.id}\\s+folder drill\\s+\\S+\\s+0 4 \\* \\* 0\\s+\\S+\\s+drill FAILED`),
    );
    // The backup source's row shows the same drill: it drills that source's snapshots.
    assert.match(listed.stdout, new RegExp(`${sources.id}\\s+folder\\s+\\S+\\s+.*drill FAILED`));
  });
});
