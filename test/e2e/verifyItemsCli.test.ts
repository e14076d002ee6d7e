// `coldkeep backups verify` and `coldkeep restore --key/--where/--conflict`, run as a user would
// (the real CLI in a child process) against dynalite and s3rver over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { AwsClients, parseManifest, type RunningEmulators, startEmulators } from '@coldkeep/shared';
import { createBucket, createTable, putItems, scanAll, uniqueName } from '../helpers/fixture';
import { type CliRun, runCli } from '../helpers/cli';

describe('backups verify and item restore through the CLI', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let env: NodeJS.ProcessEnv;
  let bucket: string;
  const coldkeep = (args: string[]): Promise<CliRun> => runCli(args, { env: { ...process.env, ...env } });

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('verify'));
    env = {
      COLDKEEP_BUCKET: '',
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

  async function backedUpTable(items = 120): Promise<{ table: string; uri: string; manifestKey: string }> {
    const table = uniqueName('vt');
    await createTable(clients.dynamodb, { TableName: table });
    await putItems(
      clients.dynamodb,
      table,
      Array.from({ length: items }, (_, i) => ({ pk: { S: `c${i}` }, v: { N: String(i) } })),
    );
    const run = await coldkeep(['--json', 'backup', 'table', table, '--bucket', bucket, '--segments', '3']);
    assert.equal(run.code, 0, run.stderr);
    const backup = (JSON.parse(run.stdout) as { backup: { uri: string; manifestKey: string } }).backup;
    return { table, uri: backup.uri, manifestKey: backup.manifestKey };
  }

  test('backups verify: a good backup passes (exit 0) with every file and count checked, nothing written', async () => {
    const { table } = await backedUpTable();
    const text = await coldkeep(['backups', 'verify', 'latest', '--table', table, '--bucket', bucket]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /is intact: 3 file\(s\) verified, 120 items \(matches the manifest\); nothing written/);
    const json = await coldkeep(['--json', 'backups', 'verify', 'latest', '--table', table, '--bucket', bucket]);
    assert.equal(json.code, 0, json.stderr);
    const report = (
      JSON.parse(json.stdout) as {
        verify: { ok: boolean; itemsVerified: number; files: { check: string; checksum: string; items: number }[] };
      }
    ).verify;
    assert.equal(report.ok, true);
    assert.equal(report.itemsVerified, 120);
    assert.deepEqual(
      report.files.map((f) => [f.check, f.checksum]),
      [
        ['ok', 'sha256'],
        ['ok', 'sha256'],
        ['ok', 'sha256'],
      ],
    );
  });

  test('backups verify: a damaged file is named and the exit code is 1; a missing one too', async () => {
    const { uri, manifestKey } = await backedUpTable();
    const manifest = parseManifest(
      await (
        await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKey }))
      ).Body!.transformToString(),
      'test',
    );
    const dir = manifestKey.replace(/manifest\.json$/, '');
    const damaged = manifest.files[1]!;
    const original = Buffer.from(
      await (
        await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: dir + damaged.key }))
      ).Body!.transformToByteArray(),
    );
    const flipped = Buffer.from(original);
    flipped[flipped.length - 12] = flipped[flipped.length - 12]! ^ 0x01;
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: dir + damaged.key, Body: flipped }));

    const text = await coldkeep(['backups', 'verify', uri]);
    assert.equal(text.code, 1, text.stdout);
    assert.match(text.stdout, new RegExp(`Damaged: ${dir}${damaged.key}: damaged \\(.*SHA-256`));
    assert.match(text.stderr, /Error \[BackupDamaged\]: Backup .* is not intact: 1 of 3 file\(s\) failed the check/);
    assert.match(text.stderr, new RegExp(damaged.key.split('/').pop()!.replace('.', '\\.')));
    const json = await coldkeep(['--json', 'backups', 'verify', uri]);
    assert.equal(json.code, 1);
    const error = (
      JSON.parse(json.stdout) as {
        ok: boolean;
        error: { code: string; details: { verify: { files: { key: string; check: string }[] } } };
      }
    ).error;
    assert.equal(error.code, 'BackupDamaged');
    assert.deepEqual(
      error.details.verify.files.filter((f) => f.check !== 'ok').map((f) => [f.key, f.check]),
      [[dir + damaged.key, 'damaged']],
    );
    await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: dir + manifest.files[0]!.key }));
    const missing = await coldkeep(['--json', 'backups', 'verify', uri]);
    assert.equal(missing.code, 1);
    const checks = (
      JSON.parse(missing.stdout) as { error: { details: { verify: { files: { check: string }[] } } } }
    ).error.details.verify.files.map((f) => f.check);
    assert.deepEqual(checks, ['missing', 'damaged', 'ok']);
  });

  test('restore --key into the live table: the deleted item comes back, a changed one is skipped, exit codes say the rest', async () => {
    const { table } = await backedUpTable(40);
    await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'c3' } } }));
    await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'c4' }, v: { N: '-1' } } }));
    const base = ['restore', 'latest', '--table', table, '--bucket', bucket];
    const run = await coldkeep([...base, '--key', '{"pk":"c3"}', '--key', '{"pk":"c4"}']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /1 written, 1 skipped as existing, 0 failed of 2 selected/);
    const items = await scanAll(clients.dynamodb, table);
    assert.equal(items.length, 40);
    assert.equal(items.find((i) => i.pk?.S === 'c4')?.v?.N, '-1', 'the changed item is left as it is');

    const json = await coldkeep(['--json', ...base, '--where', "pk = 'c4'", '--conflict', 'overwrite']);
    assert.equal(json.code, 0, json.stderr);
    const report = (JSON.parse(json.stdout) as { itemRestore: { written: number; conflict: string } }).itemRestore;
    assert.deepEqual([report.written, report.conflict], [1, 'overwrite']);
    const back = await scanAll(clients.dynamodb, table);
    assert.equal(back.find((i) => i.pk?.S === 'c4')?.v?.N, '4');

    const notThere = await coldkeep([...base, '--key', '{"pk":"nope"}']);
    assert.equal(notThere.code, 1, 'a key asked for that the backup lacks is not a success');
    assert.match(notThere.stderr, /\[ItemsNotRestored\]: 1 of the 1 key\(s\) asked for are not in the backup/);
    const usage = await coldkeep([...base, '--key', '{"pk":"c3"}', '--overwrite']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--overwrite cannot be combined with --key/);
    const conflictAlone = await coldkeep([...base, '--conflict', 'skip-existing']);
    assert.equal(conflictAlone.code, 2);
    const badMode = await coldkeep([...base, '--key', '{"pk":"c3"}', '--conflict', 'merge']);
    assert.equal(badMode.code, 2);
  });
});
