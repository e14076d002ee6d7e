import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { AwsClients, type RunningEmulators, startEmulators } from '@coldkeep/shared';
import { createBucket, createTable, listKeys, putItems, uniqueName } from '../helpers/fixture';
import { type CliRun, runCli } from '../helpers/cli';

/** Runs the real `coldkeep` CLI as a user would, optionally interrupting it like Ctrl-C. */
function coldkeep(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  interruptWhen?: (stderr: string) => boolean,
): Promise<CliRun> {
  return runCli(args, {
    env: { ...process.env, COLDKEEP_BUCKET: '', ...env },
    ...(interruptWhen ? { interruptWhen } : {}),
  });
}

describe('the coldkeep CLI', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let env: NodeJS.ProcessEnv;
  let bucket: string;

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('cli'));
    env = {
      COLDKEEP_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
      COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    };
  });
  after(async () => {
    clients?.destroy();
    await emulators?.stop();
  });

  test('demo runs the whole flow on embedded emulators and reports identical tables', async () => {
    const run = await coldkeep(['demo', '--items', '400', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as {
      ok: boolean;
      demo: { comparison: { equal: boolean; itemsA: number }; backup: { itemCount: number; segments: number } };
    };
    assert.equal(result.ok, true);
    assert.equal(result.demo.comparison.equal, true);
    assert.equal(result.demo.comparison.itemsA, 400);
    assert.equal(result.demo.backup.segments, 4);
  });

  test('usage errors exit 2 with a hint', async () => {
    const noBucket = await coldkeep(['backup', 'table', 'Orders']);
    assert.equal(noBucket.code, 2);
    assert.match(noBucket.stderr, /No bucket given/);
    assert.match(noBucket.stderr, /Hint: Pass --bucket NAME or set COLDKEEP_BUCKET/);
    const badNumber = await coldkeep(['backup', 'table', 'Orders', '--bucket', 'b', '--segments', 'x']);
    assert.equal(badNumber.code, 2);
    assert.match(badNumber.stderr, /--segments/);
    const unknown = await coldkeep(['frobnicate']);
    assert.equal(unknown.code, 2);
  });

  test('backup, list, show and restore through the CLI; failures exit 1 with a code in --json', async () => {
    const table = uniqueName('cli-table');
    await createTable(clients.dynamodb, { TableName: table });
    await putItems(
      clients.dynamodb,
      table,
      Array.from({ length: 150 }, (_, i) => ({ pk: { S: `c${i}` } })),
    );
    const backup = await coldkeep(['--json', 'backup', 'table', table, '--bucket', bucket, '--segments', '2'], env);
    assert.equal(backup.code, 0, backup.stderr);
    const report = (JSON.parse(backup.stdout) as { backup: { itemCount: number; uri: string; backupId: string } })
      .backup;
    assert.equal(report.itemCount, 150);

    const list = await coldkeep(['--json', 'backups', 'list', '--bucket', bucket, '--table', table], env);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { backups: { backupId: string }[] }).backups.map((b) => b.backupId),
      [report.backupId],
    );
    const human = await coldkeep(['backups', 'list', '--bucket', bucket], env);
    assert.match(human.stdout, new RegExp(`${table}\\s+${report.backupId}\\s+\\S+ \\S+\\s+150`));

    const restored = `${table}-restored`;
    const restore = await coldkeep(
      ['restore', 'latest', '--table', table, '--bucket', bucket, '--target', restored],
      env,
    );
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /Restored 150 items into .*created from the saved schema/);
    assert.match(restore.stdout, /Counted 150 items/);

    const missing = await coldkeep(['--json', 'backup', 'table', 'no-such-table', '--bucket', bucket], env);
    assert.equal(missing.code, 1);
    assert.equal((JSON.parse(missing.stdout) as { error: { code: string } }).error.code, 'NoSuchTable');
  });

  test('backups delete names the backup and deletes nothing without --yes; with it, the backup is gone', async () => {
    const table = uniqueName('cli-delete');
    await createTable(clients.dynamodb, { TableName: table });
    await putItems(
      clients.dynamodb,
      table,
      Array.from({ length: 40 }, (_, i) => ({ pk: { S: `d${i}` } })),
    );
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const backup = await coldkeep(['--json', 'backup', 'table', table, '--bucket', bucket, '--prefix', 'del'], env);
      assert.equal(backup.code, 0, backup.stderr);
      ids.push((JSON.parse(backup.stdout) as { backup: { backupId: string } }).backup.backupId);
    }
    const where = ['--table', table, '--bucket', bucket, '--prefix', 'del'];
    const keysBefore = await listKeys(clients.s3, bucket, 'del/');

    const unconfirmed = await coldkeep(['backups', 'delete', 'latest', ...where], env);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, new RegExp(`Not deleted: backup ${ids[1]} of ${table}`));
    assert.match(unconfirmed.stderr, /Hint: .*--yes/);
    assert.deepEqual(await listKeys(clients.s3, bucket, 'del/'), keysBefore);

    const deleted = await coldkeep(['--json', 'backups', 'delete', 'latest', ...where, '--yes'], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    const report = (JSON.parse(deleted.stdout) as { deleted: { uri: string; deletedObjects: number } }).deleted;
    assert.ok(report.uri.endsWith(`/${table}/${ids[1]}/`), report.uri);
    assert.equal(report.deletedObjects, keysBefore.filter((k) => k.includes(`/${ids[1]}/`)).length);
    const left = await coldkeep(['--json', 'backups', 'list', ...where], env);
    assert.deepEqual(
      (JSON.parse(left.stdout) as { backups: { backupId: string }[] }).backups.map((b) => b.backupId),
      [ids[0]],
    );

    // By URI, as "backups list" prints it; an id that is not there says so.
    const byUri = await coldkeep(['backups', 'delete', report.uri.replace(ids[1]!, ids[0]!), '--yes'], env);
    assert.equal(byUri.code, 0, byUri.stderr);
    assert.match(byUri.stdout, new RegExp(`Deleted backup ${ids[0]} of ${table}`));
    assert.deepEqual(await listKeys(clients.s3, bucket, 'del/'), []);
    const gone = await coldkeep(['--json', 'backups', 'delete', ids[0]!, ...where, '--yes'], env);
    assert.equal(gone.code, 1);
    assert.equal((JSON.parse(gone.stdout) as { error: { code: string } }).error.code, 'BackupNotFound');
    const notABackup = await coldkeep(['backups', 'delete', `s3://${bucket}/del/`, '--yes'], env);
    assert.equal(notABackup.code, 2);
    assert.match(notABackup.stderr, /is not the folder of a Coldkeep table backup/);
  });

  test('Ctrl-C during a backup exits 130, aborts the uploads and leaves no manifest', async () => {
    const table = uniqueName('cli-cancel');
    await createTable(clients.dynamodb, { TableName: table });
    await putItems(
      clients.dynamodb,
      table,
      Array.from({ length: 6000 }, (_, i) => ({ pk: { S: `x${i}` }, noise: { B: randomBytes(512) } })),
    );
    const run = await coldkeep(
      [
        'backup',
        'table',
        table,
        '--bucket',
        bucket,
        '--prefix',
        'interrupted',
        '--segments',
        '4',
        '--concurrency',
        '1',
      ],
      env,
      (stderr) => /Scanning /.test(stderr),
    );
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, /Cancelled \[Cancelled\]: Backup of .* cancelled\. No manifest was written/);
    assert.deepEqual(await listKeys(clients.s3, bucket, 'interrupted/'), []);
  });
});
