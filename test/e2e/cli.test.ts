import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
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

  test('an unreachable endpoint names the service and the endpoint, with a hint about the endpoint setting', async () => {
    const closed = await closedPort();
    const endpoint = `http://127.0.0.1:${closed}`;
    const tables = await coldkeep(['tables', 'list', '--endpoint-url', endpoint], env);
    assert.equal(tables.code, 1);
    assert.match(
      tables.stderr,
      new RegExp(`Error \\[EndpointUnreachable\\]: Cannot reach DynamoDB at ${endpoint} \\(connection refused\\)`),
    );
    assert.match(tables.stderr, /Hint: Check the endpoint \(--endpoint-url\)/);
    assert.doesNotMatch(tables.stderr, /COLDKEEP_DEBUG|Unexpected/);
    const listing = await coldkeep(['--json', 'backups', 'list', '--bucket', bucket, '--endpoint-url', endpoint], env);
    assert.equal(listing.code, 1);
    const error = (JSON.parse(listing.stdout) as { error: { code: string; message: string; settings: string[] } })
      .error;
    assert.equal(error.code, 'EndpointUnreachable');
    assert.match(error.message, new RegExp(`Cannot reach S3 at ${endpoint}`));
    assert.deepEqual(error.settings, ['endpoint']);
  });

  test('an answer that is not the service’s XML or JSON is UnexpectedResponse, naming the service and endpoint', async () => {
    const impostor = await htmlServer();
    try {
      const s3 = await coldkeep(['backups', 'list', '--bucket', 'valid-bucket', '--endpoint-url', impostor.url], env);
      assert.equal(s3.code, 1);
      assert.match(
        s3.stderr,
        new RegExp(
          `Error \\[UnexpectedResponse\\]: S3 at ${impostor.url} answered \\(HTTP 200\\) with something that is not S3's XML`,
        ),
      );
      assert.doesNotMatch(s3.stderr, /XML parse error|COLDKEEP_DEBUG/);
      const dynamodb = await coldkeep(['tables', 'list', '--endpoint-url', impostor.url], env);
      assert.equal(dynamodb.code, 1);
      assert.match(dynamodb.stderr, /\[UnexpectedResponse\]: DynamoDB at .* not DynamoDB's JSON/);

      // A bucket name S3 would refuse is reported as invalid, and why, before any request.
      const before = impostor.requests();
      const invalid = await coldkeep(
        ['backups', 'list', '--bucket', 'My_Backups', '--endpoint-url', impostor.url],
        env,
      );
      assert.equal(invalid.code, 1);
      assert.match(
        invalid.stderr,
        /Error \[InvalidBucketName\]: "My_Backups" is not a valid S3 bucket name: it has the capital letter "M"/,
      );
      assert.match(invalid.stderr, /Hint: Check --bucket: S3 bucket names are 3-63 lowercase letters/);
      assert.equal(impostor.requests(), before, 'no request for an invalid bucket name');
    } finally {
      await impostor.close();
    }
  });

  test('restore s3:// with no bucket hints at flags that exist', async () => {
    const run = await coldkeep(['restore', 's3://'], env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /\[InvalidInput\]: "s3:\/\/" is not an s3:\/\/ URI/);
    assert.match(run.stderr, /Hint: .*"latest" with --table/);
    assert.doesNotMatch(run.stderr, /--backup-id/);
  });

  test('backups show gives SSE, the KMS key and Object Lock; a restore in another region says where the backup comes from', async () => {
    const table = uniqueName('cli-storage');
    await createTable(clients.dynamodb, { TableName: table });
    await putItems(clients.dynamodb, table, [{ pk: { S: 'a' } }, { pk: { S: 'b' } }]);
    const where = ['--bucket', bucket, '--prefix', 'storage'];
    const backup = await coldkeep(['--json', 'backup', 'table', table, ...where], env);
    assert.equal(backup.code, 0, backup.stderr);
    // s3rver ignores SSE and Object Lock headers, so the manifest is given what a real bucket would have recorded.
    const [manifestKey] = (await listKeys(clients.s3, bucket, 'storage/')).filter((k) => k.endsWith('manifest.json'));
    const got = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKey }));
    const manifest = JSON.parse(await got.Body!.transformToString()) as { storage: Record<string, unknown> };
    manifest.storage = {
      ...manifest.storage,
      sse: { type: 'aws:kms', kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/abcd' },
      objectLock: { mode: 'GOVERNANCE', retainUntil: '2030-01-01T00:00:00.000Z' },
    };
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: manifestKey, Body: JSON.stringify(manifest) }));

    const shown = await coldkeep(['backups', 'show', 'latest', '--table', table, ...where], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`Source +${table} in us-east-1 \\(account `));
    assert.match(shown.stdout, /SSE +aws:kms \(key arn:aws:kms:us-east-1:111122223333:key\/abcd\)/);
    assert.match(shown.stdout, /Lock +GOVERNANCE until 2030-01-01T00:00:00.000Z/);
    const shownJson = await coldkeep(['--json', 'backups', 'show', 'latest', '--table', table, ...where], env);
    const plan = JSON.parse(shownJson.stdout) as {
      storage: { sse: { kmsKeyId: string }; objectLock: { mode: string } };
    };
    assert.equal(plan.storage.sse.kmsKeyId, 'arn:aws:kms:us-east-1:111122223333:key/abcd');
    assert.equal(plan.storage.objectLock.mode, 'GOVERNANCE');

    const target = uniqueName('cli-elsewhere');
    const restored = await coldkeep(
      ['restore', 'latest', '--table', table, ...where, '--target', target, '--region', 'eu-west-1'],
      env,
    );
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(
      restored.stdout,
      new RegExp(
        `Warning: The backup \\S+ was made of ${table} in us-east-1 \\(account \\S+\\); it is restored in eu-west-1\\.`,
      ),
    );
    const sameRegion = await coldkeep(
      ['restore', 'latest', '--table', table, ...where, '--target', uniqueName('cli-here')],
      env,
    );
    assert.equal(sameRegion.code, 0, sameRegion.stderr);
    assert.doesNotMatch(sameRegion.stdout, /was made of/);
  });
});

/** A port on 127.0.0.1 nothing listens on: taken from the system, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An HTTP server that answers every request with a web page, as a proxy or login page would. */
async function htmlServer(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = createServer((_, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Please log in</body>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
