// The engine choice through the real CLI against the emulators. dynalite serves tables but not
// point-in-time recovery or exports, as many DynamoDB-compatible stores: the export engine must
// then fail before it writes anything, with a hint, and auto must scan and say why.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AwsClients, type RunningEmulators, startEmulators } from '@coldkeep/shared';
import { createBucket, createTable, listKeys, putItems, uniqueName } from '../helpers/fixture';
import { type CliRun, runCli } from '../helpers/cli';

function coldkeep(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return runCli(args, { env: { ...process.env, ...env }, timeoutMs: 60_000 });
}

describe('coldkeep backup table --engine', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let env: NodeJS.ProcessEnv;
  let bucket: string;
  const table = uniqueName('engine');

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('engine'));
    await createTable(clients.dynamodb, { TableName: table });
    await putItems(clients.dynamodb, table, [{ pk: { S: 'a' } }, { pk: { S: 'b' } }]);
    env = {
      COLDKEEP_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
      COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      COLDKEEP_BUCKET: bucket,
    };
  });
  after(async () => {
    clients?.destroy();
    await emulators?.stop();
  });

  test('--engine export and --incremental on an endpoint without PITR fail with a hint and write nothing', async () => {
    for (const flags of [['--engine', 'export'], ['--incremental']]) {
      const run = await coldkeep(['--json', 'backup', 'table', table, ...flags], env);
      assert.equal(run.code, 1, run.stdout);
      const { ok, error } = JSON.parse(run.stdout) as { ok: boolean; error: { code: string; hint: string } };
      assert.equal(ok, false);
      assert.equal(error.code, 'PitrDisabled');
      assert.match(error.hint, /--engine scan/);
    }
    assert.deepEqual(await listKeys(clients.s3, bucket), []);
  });

  test('auto (the default) scans a small table and says why in the report', async () => {
    const run = await coldkeep(['--json', 'backup', 'table', table], env);
    assert.equal(run.code, 0, run.stdout);
    const { backup } = JSON.parse(run.stdout) as {
      backup: { engine: string; engineReason: string; itemCount: number };
    };
    assert.equal(backup.engine, 'scan');
    assert.match(backup.engineReason, /at most the auto threshold \(10\.0 GiB\)/);
    assert.equal(backup.itemCount, 2);
  });

  test('--engine fast is a usage error (exit 2)', async () => {
    const run = await coldkeep(['backup', 'table', table, '--engine', 'fast'], env);
    assert.equal(run.code, 2);
  });
});
