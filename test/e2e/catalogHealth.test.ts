// What the catalog and the CLI's input checks do when things are not as they should be, through
// the real CLI against s3rver and dynalite: numeric flags out of range (refused before any
// request), a segment count the table cannot use (reduced, with a note), a damaged manifest among
// good ones (listed apart, never taken for "latest"), a data file gone at restore (a coded error),
// and what a backup killed with SIGKILL leaves (found and removed by "backups gc").
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { AwsClients, backupTable, type RunningEmulators, startEmulators } from '@coldkeep/shared';
import { CLI, type CliRun, runCli } from '../helpers/cli';
import { startFaultProxy } from '../helpers/faultProxy';
import { createBucket, createTable, listKeys, putItems, uniqueName } from '../helpers/fixture';

interface GcJson {
  gc: {
    dryRun: boolean;
    orphans: { uri: string; backupId: string; objects: number }[];
    tooYoung: { uri: string; backupId: string; objects: number }[];
    uploads: { listed: boolean; note?: string };
    removedObjects: number;
  };
}

describe('catalog health and input bounds, through the CLI', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let env: NodeJS.ProcessEnv;
  let bucket: string;

  const coldkeep = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
    runCli(args, { env: { ...process.env, COLDKEEP_BUCKET: '', ...env, ...extra } });

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('health'));
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

  async function tableWith(name: string, count: number): Promise<string> {
    const table = uniqueName(name);
    await createTable(clients.dynamodb, { TableName: table });
    await putItems(
      clients.dynamodb,
      table,
      Array.from({ length: count }, (_, i) => ({ pk: { S: `${name}-${i}` }, n: { N: String(i) } })),
    );
    return table;
  }

  test('a numeric flag out of range is refused with FlagOutOfRange (exit 2), naming the flag and its range, before any request', async () => {
    // Every AWS endpoint is a listener that only counts connections: none may be made.
    const sockets: Socket[] = [];
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections++;
      sockets.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const offline = { COLDKEEP_ENDPOINT_URL_DYNAMODB: endpoint, COLDKEEP_ENDPOINT_URL_S3: endpoint };
    const backup = ['backup', 'table', 'Orders', '--bucket', 'b'];
    const cases: [string[], string, RegExp][] = [
      [[...backup, '--segments', '0'], '--segments', /from 1 to 1,000,000/],
      [[...backup, '--segments', '1000001'], '--segments', /from 1 to 1,000,000/],
      [[...backup, '--segments', 'x'], '--segments', /whole number/],
      [[...backup, '--concurrency', '0'], '--concurrency', /from 1 to 1,000/],
      [[...backup, '--read-fraction', '1.5'], '--read-fraction', /above 0 and at most 1/],
      [[...backup, '--read-units', '0'], '--read-units', /from 1 to/],
      [[...backup, '--lock-mode', 'GOVERNANCE', '--lock-days', '40000'], '--lock-days', /from 1 to 36,500/],
      [[...backup, '--auto-threshold', '2PB'], '--auto-threshold', /a size from 0 B to 1,024 TiB/],
      [[...backup, '--link-expires', '8d'], '--link-expires', /from 1 minute to 7 days/],
      [['export', 'table', 'Orders', '--to', 's3://b/k.json', '--segments', '0'], '--segments', /from 1 to/],
      [['restore', 'latest', '--table', 'T', '--bucket', 'b', '--write-units', '0'], '--write-units', /from 1 to/],
      [['restore', 'latest', '--table', 'T', '--bucket', 'b', '--concurrency', '65'], '--concurrency', /from 1 to 64/],
      [['files', 'backup', '.', '--bucket', 'b', '--concurrency', '0'], '--concurrency', /from 1 to 256/],
      [['files', 'backup', '.', '--bucket', 'b', '--max-file-size', '0'], '--max-file-size', /a size from 1 B/],
      [['files', 'restore', 'latest', '--bucket', 'b', '--source', 's', '--days', '0'], '--days', /from 1 to 36,500/],
      [['files', 'verify', '--bucket', 'b', '--source', 's', '--sample', '0'], '--sample', /from 1 to/],
      [['files', 'forget', '--bucket', 'b', '--source', 's', '--keep-daily', 'x'], '--keep-daily', /from 0 to/],
      [['backups', 'gc', '--bucket', 'b', '--older-than', '5x'], '--older-than', /a duration from 0 seconds/],
      [['schedule', 'history', '--limit', '0'], '--limit', /from 1 to 100,000/],
    ];
    try {
      for (const [args, flag, range] of cases) {
        const run = await coldkeep(args, offline);
        assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, new RegExp(`Error \\[FlagOutOfRange\\]: ${flag} takes`), args.join(' '));
        assert.match(run.stderr, range, args.join(' '));
      }
      const json = await coldkeep(['--json', ...backup, '--segments', '0'], offline);
      assert.equal(json.code, 2);
      const error = (JSON.parse(json.stdout) as { error: { code: string; details: { flag: string } } }).error;
      assert.equal(error.code, 'FlagOutOfRange');
      assert.equal(error.details.flag, '--segments');
      assert.equal(connections, 0, 'no request reached an endpoint');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('--segments far above what a small table can use is reduced, with a note', async () => {
    const table = await tableWith('seg', 60);
    const run = await coldkeep(['--json', 'backup', 'table', table, '--bucket', bucket, '--segments', '100']);
    assert.equal(run.code, 0, run.stderr);
    const report = (
      JSON.parse(run.stdout) as { backup: { segments: number; segmentsNote?: string; itemCount: number } }
    ).backup;
    assert.equal(report.itemCount, 60);
    assert.equal(report.segments, 16);
    assert.match(report.segmentsNote ?? '', /100 segments asked for, 16 used/);
    const text = await coldkeep(['backup', 'table', table, '--bucket', bucket, '--segments', '100']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Note: +100 segments asked for, 16 used/);
    // A count the table can use is kept as it is.
    const kept = await coldkeep(['--json', 'backup', 'table', table, '--bucket', bucket, '--segments', '3']);
    assert.equal((JSON.parse(kept.stdout) as { backup: { segments: number } }).backup.segments, 3);
  });

  test('a truncated manifest among good ones: backups list shows the others and the damaged one apart; restore latest refuses it', async () => {
    const prefix = 'damaged';
    const orders = await tableWith('orders', 30);
    const other = await tableWith('other', 10);
    const first = await backupTable(clients, { table: orders, bucket, prefix });
    const second = await backupTable(clients, { table: orders, bucket, prefix });
    const unrelated = await backupTable(clients, { table: other, bucket, prefix });
    const text = await (
      await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: second.manifestKey }))
    ).Body!.transformToString();
    await clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: second.manifestKey, Body: text.slice(0, text.length / 2) }),
    );

    const list = await coldkeep(['--json', 'backups', 'list', '--bucket', bucket, '--prefix', prefix]);
    assert.equal(list.code, 0, list.stderr);
    const catalog = JSON.parse(list.stdout) as {
      backups: { backupId: string }[];
      damaged: { backupId: string; manifestKey: string; problem: { code: string; message: string } }[];
    };
    assert.deepEqual(catalog.backups.map((b) => b.backupId).sort(), [first.backupId, unrelated.backupId].sort());
    assert.equal(catalog.damaged.length, 1);
    assert.equal(catalog.damaged[0]!.backupId, second.backupId);
    assert.equal(catalog.damaged[0]!.manifestKey, second.manifestKey);
    assert.equal(catalog.damaged[0]!.problem.code, 'ManifestInvalid');
    assert.match(catalog.damaged[0]!.problem.message, /not valid JSON/);

    const human = await coldkeep(['backups', 'list', '--bucket', bucket, '--prefix', prefix]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(first.backupId));
    assert.match(human.stdout, /1 damaged backup\(s\)/);
    assert.match(human.stdout, new RegExp(`${second.manifestKey}: ManifestInvalid`));

    const latest = await coldkeep([
      'restore',
      'latest',
      '--table',
      orders,
      '--bucket',
      bucket,
      '--prefix',
      prefix,
      '--target',
      `${orders}-r`,
    ]);
    assert.equal(latest.code, 1, latest.stderr);
    assert.match(latest.stderr, /Error \[BackupDamaged\]: The newest backup .* is damaged/);
    assert.match(latest.stderr, new RegExp(second.manifestKey));
    assert.match(latest.stderr, new RegExp(`Hint: The newest readable backup is ${first.backupId}`));
    // The damaged backup of one table does not stop another table's restore.
    const fine = await coldkeep([
      'restore',
      'latest',
      '--table',
      other,
      '--bucket',
      bucket,
      '--prefix',
      prefix,
      '--target',
      `${other}-r`,
    ]);
    assert.equal(fine.code, 0, fine.stderr);
    assert.match(fine.stdout, /Restored 10 items/);
  });

  test('a data file deleted from a backup: restore fails with DataFileMissing naming the file', async () => {
    const table = await tableWith('gone', 40);
    const backup = await backupTable(clients, { table, bucket, prefix: 'gone', segments: 2 });
    const data = (await listKeys(clients.s3, bucket, backup.uri.slice(`s3://${bucket}/`.length))).filter((k) =>
      k.includes('/data/'),
    );
    assert.ok(data.length >= 1);
    await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: data[0]! }));
    const run = await coldkeep(['--json', 'restore', backup.uri, '--target', `${table}-r`]);
    assert.equal(run.code, 1, run.stderr);
    const error = (JSON.parse(run.stdout) as { error: { code: string; message: string; hint: string } }).error;
    assert.equal(error.code, 'DataFileMissing');
    assert.ok(error.message.includes(`s3://${bucket}/${data[0]}`), error.message);
    // s3rver keeps no versions and refuses ListObjectVersions: the hint says it could not check.
    assert.match(error.hint, /older version .*could not be checked/);
    const text = await coldkeep(['restore', backup.uri, '--target', `${table}-r`]);
    assert.match(text.stderr, /Error \[DataFileMissing\]/);
  });

  test('a backup killed with SIGKILL leaves data without a manifest: backups gc finds it, leaves it while young, removes it with --yes', async () => {
    const prefix = 'gc';
    const table = await tableWith('killed', 400);
    const good = await backupTable(clients, { table, bucket, prefix });
    // The manifest PUT is held back by the proxy, so the data files are written and the run is
    // between its data and its manifest when it is killed.
    const proxy = await startFaultProxy(emulators.endpoints.s3, [
      { match: { method: 'PUT', pathIncludes: 'manifest.json' }, action: { kind: 'delay', ms: 25_000 } },
    ]);
    let stderr = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [CLI, 'backup', 'table', table, '--bucket', bucket, '--prefix', prefix, '--segments', '4'],
          {
            env: { ...process.env, ...env, COLDKEEP_ENDPOINT_URL_S3: proxy.url },
            stdio: ['ignore', 'ignore', 'pipe'],
          },
        );
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (/Writing manifest/.test(stderr)) child.kill('SIGKILL');
        });
        child.on('error', reject);
        child.on('close', (_code, signal) => {
          clearTimeout(timer);
          if (signal === 'SIGKILL') resolve();
          else reject(new Error(`the backup ended by itself: ${stderr}`));
        });
      });
    } finally {
      // Stopping the proxy drops the held manifest PUT: it never reaches s3rver.
      await proxy.stop();
    }
    assert.match(stderr, /Writing manifest/);
    const before = await listKeys(clients.s3, bucket, `${prefix}/`);
    const orphanKeys = before.filter((k) => !k.startsWith(good.uri.slice(`s3://${bucket}/`.length)));
    assert.ok(orphanKeys.length >= 1, `the killed run left data (${before.join(', ')})`);
    assert.ok(!orphanKeys.some((k) => k.endsWith('manifest.json')));

    const gc = async (...args: string[]): Promise<GcJson['gc']> => {
      const run = await coldkeep(['--json', 'backups', 'gc', '--bucket', bucket, '--prefix', prefix, ...args]);
      assert.equal(run.code, 0, run.stderr);
      return (JSON.parse(run.stdout) as GcJson).gc;
    };
    // The default age (24 h) keeps a folder written just now: it may be a backup in progress.
    const young = await gc('--yes');
    assert.equal(young.orphans.length, 0);
    assert.equal(young.tooYoung.length, 1);
    assert.equal(young.tooYoung[0]!.objects, orphanKeys.length);
    assert.equal(young.removedObjects, 0);
    assert.equal(young.uploads.listed, false, 's3rver does not list multipart uploads');
    assert.match(young.uploads.note ?? '', /does not list multipart uploads/);
    // A dry run (the default without --yes) names the leftovers and removes nothing.
    const dry = await gc('--older-than', '0');
    assert.equal(dry.dryRun, true);
    assert.equal(dry.orphans.length, 1);
    assert.equal(dry.orphans[0]!.objects, orphanKeys.length);
    assert.deepEqual(await listKeys(clients.s3, bucket, `${prefix}/`), before);
    const human = await coldkeep(['backups', 'gc', '--bucket', bucket, '--prefix', prefix, '--older-than', '0']);
    assert.match(human.stdout, /would remove: s3:\/\/.*no manifest/);
    assert.match(human.stdout, /Run the same command with --yes to remove them/);

    const removed = await gc('--older-than', '0', '--yes');
    assert.equal(removed.dryRun, false);
    assert.equal(removed.removedObjects, orphanKeys.length);
    const after = await listKeys(clients.s3, bucket, `${prefix}/`);
    assert.deepEqual(
      after,
      before.filter((k) => !orphanKeys.includes(k)),
    );

    const list = await coldkeep(['--json', 'backups', 'list', '--bucket', bucket, '--prefix', prefix]);
    const catalog = JSON.parse(list.stdout) as { backups: { backupId: string }[]; incomplete: unknown[] };
    assert.deepEqual(
      catalog.backups.map((b) => b.backupId),
      [good.backupId],
    );
    assert.deepEqual(catalog.incomplete, []);
  });
});
