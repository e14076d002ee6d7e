import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { AwsClients, parseManifest, type RunningEmulators, startEmulators } from '@coldkeep/shared';
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { assertSameItems, createBucket, createTable, putItems, scanAll, uniqueName } from '../helpers/fixture';
import { runCli } from '../helpers/cli';

/** `coldkeep restore` as a user runs it: dry-run wording, and a SIGKILLed restore finished with --resume. */
describe('coldkeep restore (CLI): dry runs, kill and --resume', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let dynamoProxy: FaultProxy;
  let bucket: string;
  let configHome: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    dynamoProxy = await startFaultProxy(emulators.endpoints.dynamodb);
    bucket = await createBucket(clients.s3, uniqueName('restore-cli'));
    configHome = await mkdtemp(join(tmpdir(), 'coldkeep-restore-cli-'));
    env = {
      ...process.env,
      COLDKEEP_BUCKET: '',
      XDG_CONFIG_HOME: configHome,
      COLDKEEP_ENDPOINT_URL_DYNAMODB: dynamoProxy.url,
      COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    };
  });
  after(async () => {
    clients?.destroy();
    await dynamoProxy?.stop();
    await emulators?.stop();
    if (configHome) await rm(configHome, { recursive: true, force: true });
  });

  async function backedUpTable(count: number, segments: number) {
    const table = uniqueName('rc');
    const items = Array.from({ length: count }, (_, i) => ({ pk: { S: `r${i}` }, n: { N: String(i) } }));
    await createTable(clients.dynamodb, { TableName: table });
    await putItems(clients.dynamodb, table, items);
    const run = await runCli(['--json', 'backup', 'table', table, '--bucket', bucket, '--segments', String(segments)], {
      env,
    });
    assert.equal(run.code, 0, run.stderr);
    const backup = (JSON.parse(run.stdout) as { backup: { uri: string; manifestKey: string } }).backup;
    const manifestBody = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: backup.manifestKey }));
    const manifest = parseManifest(await manifestBody.Body!.transformToString(), 'manifest');
    const dir = backup.manifestKey.replace(/manifest\.json$/, '');
    return { table, items, uri: backup.uri, files: manifest.files.map((f) => ({ key: dir + f.key, items: f.items })) };
  }

  test('a dry run speaks of verifying, warns that a non-empty target needs --overwrite, and a failed one wrote nothing', async () => {
    const { table, uri, files } = await backedUpTable(150, 2);
    const dry = await runCli(['restore', uri, '--dry-run'], { env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^Verified 150 items in 2 files; nothing written\.$/m);
    assert.doesNotMatch(dry.stdout, /written to|items written/);
    assert.match(
      dry.stdout,
      new RegExp(`Warning: Table "${table}" already holds items: the real restore will need --overwrite`),
    );

    const fresh = await runCli(['restore', uri, '--dry-run', '--target', uniqueName('rc-new')], { env });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /Verified 150 items in 2 files; nothing written\./);
    assert.doesNotMatch(fresh.stdout, /Warning/);

    // Damage the second file: the dry run fails, and says nothing was written.
    const original = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: files[1]!.key }));
    const text = gunzipSync(Buffer.from(await original.Body!.transformToByteArray())).toString();
    await clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: files[1]!.key, Body: gzipSync(text.replace('"N":"1', '"N":"7')) }),
    );
    const damaged = await runCli(['--json', 'restore', uri, '--dry-run', '--target', uniqueName('rc-never')], { env });
    assert.equal(damaged.code, 1, damaged.stderr);
    const error = (
      JSON.parse(damaged.stdout) as { error: { code: string; message: string; details: { itemsWritten: number } } }
    ).error;
    assert.equal(error.code, 'ChecksumMismatch');
    assert.match(error.message, /Dry run: nothing was written/);
    assert.doesNotMatch(error.message, /items were written/);
    assert.equal(error.details.itemsWritten, 0);
  });

  test('a SIGKILLed restore, resumed with --resume, ends exact without writing the finished files again', async () => {
    const { items, uri, files } = await backedUpTable(3000, 6);
    assert.equal(files.length, 6);
    const target = uniqueName('rc-killed');
    // Slow acknowledgements, so the kill lands mid-restore.
    dynamoProxy.setRules([
      { match: { operation: 'BatchWriteItem' }, action: { kind: 'delayAnswer', ms: 60 }, times: 100_000 },
    ]);
    const killed = await runCli(['restore', uri, '--target', target, '--concurrency', '1'], {
      env,
      killWhen: (stderr) => /Restoring into .*files 2\/6/.test(stderr),
    });
    assert.equal(killed.code, null, `killed, not finished: ${killed.stdout}${killed.stderr}`);
    dynamoProxy.setRules([]);

    const journals = await readdir(join(configHome, 'coldkeep', 'restore-journals'));
    assert.equal(journals.length, 1);
    const journal = JSON.parse(
      await readFile(join(configHome, 'coldkeep', 'restore-journals', journals[0]!), 'utf8'),
    ) as {
      files: Record<string, { records: number }>;
    };
    const done = Object.keys(journal.files);
    assert.ok(done.length >= 2 && done.length < 6, `files journaled as written: ${done.length}`);
    const inTableAfterKill = (await scanAll(clients.dynamodb, target)).length;
    assert.ok(inTableAfterKill < items.length);

    // Without --resume the target is refused (it holds items), and the hint names --resume.
    const refused = await runCli(['restore', uri, '--target', target], { env });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already holds items/);
    assert.match(refused.stderr, /--resume/);

    dynamoProxy.stats.requests.length = 0;
    const resumed = await runCli(['--json', 'restore', uri, '--target', target, '--resume', '--concurrency', '1'], {
      env,
    });
    assert.equal(resumed.code, 0, resumed.stderr);
    const report = (
      JSON.parse(resumed.stdout) as {
        restore: {
          resumed: { files: number; items: number };
          countedItems: number;
          expectedCount: number;
          itemsWritten: number;
        };
      }
    ).restore;
    assert.equal(report.resumed.files, done.length);
    assert.equal(report.countedItems, items.length);
    assert.equal(report.expectedCount, items.length);
    // Exactly the BatchWriteItem requests of the files not finished before the kill: none of a finished file.
    const left = files.filter((f) => !done.includes(f.key));
    const expectedRequests = left.reduce((n, f) => n + Math.ceil(f.items / 25), 0);
    const writes = dynamoProxy.stats.requests.filter((r) => r.operation === 'BatchWriteItem').length;
    assert.equal(writes, expectedRequests);
    assert.equal(
      report.itemsWritten,
      left.reduce((n, f) => n + f.items, 0),
    );
    assertSameItems(await scanAll(clients.dynamodb, target), items);
    // Done: the journal is gone.
    assert.deepEqual(await readdir(join(configHome, 'coldkeep', 'restore-journals')), []);
  });
});
