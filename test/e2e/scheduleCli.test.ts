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
});
