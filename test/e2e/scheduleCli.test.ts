import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AwsClients, listBackups, type RunRecord, type RunningEmulators, startEmulators } from '@coldkeep/shared';
import { createBucket, createTable, putItems, uniqueName } from '../helpers/fixture';

const CLI = join(__dirname, '..', '..', '..', 'shared', 'dist', 'cli', 'main.js');

function coldkeep(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
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

  test('add, list, run --all, history: a scheduled table is backed up for real and the run is kept with its report', async () => {
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

    const listed = await coldkeep(['schedule', 'list'], env);
    assert.match(listed.stdout, new RegExp(`${source.id}\\s+table\\s+${tableName}\\s+15 3 \\* \\* \\*`));

    const due = await coldkeep(['schedule', 'run'], env);
    assert.equal(due.code, 0, due.stderr);
    assert.match(due.stdout, /Nothing was due/);

    const run = await coldkeep(['--json', 'schedule', 'run', '--all'], env);
    assert.equal(run.code, 0, run.stderr);
    const { runs } = JSON.parse(run.stdout) as { runs: RunRecord[] };
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.status, 'succeeded');
    assert.equal(runs[0]!.result?.report.itemCount, 30);

    const catalog = await listBackups(clients.s3, { bucket, table: tableName });
    assert.deepEqual(
      catalog.backups.map((b) => b.backupId),
      [runs[0]!.result?.restorePoint],
    );

    const history = await coldkeep(['schedule', 'history'], env);
    assert.match(history.stdout, new RegExp(`SUCCEEDED ${tableName} \\(manual, .*\\) 30 items`));
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
