import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AwsClients,
  listBackups,
  type RunRecord,
  type RunningEmulators,
  type SnapshotSummary,
  startEmulators,
} from '@coldkeep/shared';
import { createBucket, createTable, putItems, uniqueName } from '../helpers/fixture';
import { type CliRun, runCli } from '../helpers/cli';

function coldkeep(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return runCli(args, { env: { ...process.env, ...env }, timeoutMs: 60_000 });
}

describe('coldkeep schedule', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let env: NodeJS.ProcessEnv;
  let bucket: string;

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('schedule'));
    env = {
      COLDKEEP_SCHEDULE_DIR: await mkdtemp(join(tmpdir(), 'coldkeep-schedule-cli-')),
      COLDKEEP_BUCKET: bucket,
      COLDKEEP_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
      COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
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

  test('add, list, run --all, history: a scheduled table and folder are backed up for real and the runs are kept with their reports', async () => {
    const tableName = uniqueName('scheduled');
    await createTable(clients.dynamodb, { TableName: tableName });
    await putItems(
      clients.dynamodb,
      tableName,
      Array.from({ length: 30 }, (_, i) => ({ pk: { S: `k${i}` } })),
    );

    const bad = await coldkeep(['schedule', 'add', '--table', tableName, '--cron', 'at night'], env);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /InvalidInput.*not a cron expression[\s\S]*Hint: Use five fields/);

    const added = await coldkeep(['--json', 'schedule', 'add', '--table', tableName, '--cron', '15 3 * * *'], env);
    assert.equal(added.code, 0, added.stderr);
    const source = JSON.parse(added.stdout) as { id: string };
    const folder = await mkdtemp(join(tmpdir(), 'coldkeep-schedule-folder-'));
    await mkdir(join(folder, 'letters', '2026'), { recursive: true });
    await writeFile(join(folder, 'todo.txt'), 'back up everything');
    await writeFile(join(folder, 'letters', '2026', 'bank.txt'), 'dear bank');
    await writeFile(join(folder, 'scratch.tmp'), 'left out');
    const addedFolder = await coldkeep(
      ['--json', 'schedule', 'add', '--folder', folder, '--cron', '30 */6 * * *', '--exclude', '*.tmp'],
      env,
    );
    assert.equal(addedFolder.code, 0, addedFolder.stderr);
    const folderSource = JSON.parse(addedFolder.stdout) as { id: string };

    const listed = await coldkeep(['schedule', 'list'], env);
    assert.match(listed.stdout, new RegExp(`${source.id}\\s+table\\s+${tableName}\\s+15 3 \\* \\* \\*`));
    assert.match(listed.stdout, new RegExp(`${folderSource.id}\\s+folder\\s+`));

    const due = await coldkeep(['schedule', 'run'], env);
    assert.equal(due.code, 0, due.stderr);
    assert.match(due.stdout, /Nothing was due/);

    const run = await coldkeep(['--json', 'schedule', 'run', '--all'], env);
    assert.equal(run.code, 0, run.stderr);
    const { runs } = JSON.parse(run.stdout) as { runs: RunRecord[] };
    assert.equal(runs.length, 2);
    const tableRun = runs.find((r) => r.sourceId === source.id)!;
    const folderRun = runs.find((r) => r.sourceId === folderSource.id)!;
    assert.equal(tableRun.status, 'succeeded');
    assert.equal(tableRun.result?.report.itemCount, 30);
    assert.equal(folderRun.status, 'succeeded', JSON.stringify(folderRun.error));
    assert.equal(folderRun.result?.report.files, 2, 'the *.tmp file is excluded');

    const catalog = await listBackups(clients.s3, { bucket, table: tableName });
    assert.deepEqual(
      catalog.backups.map((b) => b.backupId),
      [tableRun.result?.restorePoint],
    );
    const listedSnapshots = await coldkeep(['--json', 'files', 'snapshots', '--source', folderSource.id], env);
    assert.equal(listedSnapshots.code, 0, listedSnapshots.stderr);
    const { snapshots } = JSON.parse(listedSnapshots.stdout) as { snapshots: SnapshotSummary[] };
    assert.deepEqual(
      snapshots.map((s) => [s.snapshotId, s.files, s.bytes, s.dir]),
      [[folderRun.result?.restorePoint, 2, 'back up everything'.length + 'dear bank'.length, folder]],
    );

    const history = await coldkeep(['schedule', 'history'], env);
    assert.match(history.stdout, new RegExp(`SUCCEEDED ${tableName} \\(manual, .*\\) 30 items`));
    assert.match(history.stdout, /SUCCEEDED .* \(manual, .*\) 2 files, 27 B/);
  });

  test("a failing run exits 1 with the run's error code, and the failure is in the history", async () => {
    const added = await coldkeep(['--json', 'schedule', 'add', '--table', uniqueName('missing')], env);
    const source = JSON.parse(added.stdout) as { id: string };
    const run = await coldkeep(['--json', 'schedule', 'run', '--source', source.id], env);
    assert.equal(run.code, 1, run.stderr);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; details: { runs: RunRecord[] } } };
    assert.equal(error.code, 'NoSuchTable');
    assert.equal(error.details.runs[0]!.attempts, 1, 'a missing table is not retried');
    const history = await coldkeep(['--json', 'schedule', 'history', '--source', source.id], env);
    assert.equal((JSON.parse(history.stdout) as RunRecord[])[0]!.status, 'failed');
    const removed = await coldkeep(['schedule', 'remove', source.id], env);
    assert.equal(removed.code, 0);
    const again = await coldkeep(['schedule', 'remove', source.id], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /NoSuchSource/);
  });

  test('schedule run --notify emails each finished run (SES): the failures only with --notify-on failures', async () => {
    const mailEnv = {
      ...env,
      COLDKEEP_SCHEDULE_DIR: await mkdtemp(join(tmpdir(), 'coldkeep-schedule-mail-')),
      COLDKEEP_ENDPOINT_URL_SES: emulators.endpoints.ses,
    };
    const mails = async () =>
      (
        (await (await fetch(`${emulators.endpoints.ses}/store`)).json()) as {
          emails: { subject: string; destination: { to: string[] }; body: { text?: string } }[];
        }
      ).emails.filter((m) => m.destination.to.includes('night-shift@example.com'));
    const tableName = uniqueName('mailed');
    await createTable(clients.dynamodb, { TableName: tableName });
    await putItems(
      clients.dynamodb,
      tableName,
      Array.from({ length: 12 }, (_, i) => ({ pk: { S: `m${i}` } })),
    );
    const good = JSON.parse((await coldkeep(['--json', 'schedule', 'add', '--table', tableName], mailEnv)).stdout) as {
      id: string;
    };
    const bad = JSON.parse(
      (await coldkeep(['--json', 'schedule', 'add', '--table', uniqueName('gone')], mailEnv)).stdout,
    ) as { id: string };
    const notify = ['--notify', 'night-shift@example.com', '--from', 'coldkeep@example.com'];

    const failuresOnly = await coldkeep(['schedule', 'run', '--all', ...notify, '--notify-on', 'failures'], mailEnv);
    assert.equal(failuresOnly.code, 1, failuresOnly.stderr);
    assert.match(failuresOnly.stdout, /Emailed night-shift@example\.com: "Coldkeep: Scheduled backup of .* FAILED/);
    let sent = await mails();
    assert.equal(sent.length, 1, 'only the failed run was emailed');
    assert.match(sent[0]!.subject, /Scheduled backup of .*gone.* FAILED \(\[NoSuchTable\]\)/);
    assert.match(sent[0]!.body.text ?? '', /Run +manual/);

    await coldkeep(['schedule', 'remove', bad.id], mailEnv);
    const all = await coldkeep(['--json', 'schedule', 'run', '--source', good.id, ...notify], mailEnv);
    assert.equal(all.code, 0, all.stderr);
    const result = JSON.parse(all.stdout) as { runs: RunRecord[]; notifications: { sent: boolean; subject: string }[] };
    assert.equal(result.runs[0]!.status, 'succeeded');
    assert.deepEqual(
      result.notifications.map((n) => n.sent),
      [true],
    );
    sent = await mails();
    assert.equal(sent.length, 2);
    assert.match(sent[1]!.subject, new RegExp(`Scheduled backup of table ${tableName} succeeded \\(12 items`));
    assert.match(sent[1]!.body.text ?? '', new RegExp(`Backup id +${result.runs[0]!.result!.restorePoint}`));

    const quiet = await coldkeep(['schedule', 'run', '--source', good.id], mailEnv);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal((await mails()).length, 2, 'no --notify, no email');
  });
});
