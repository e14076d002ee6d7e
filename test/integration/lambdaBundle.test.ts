// The Lambda bundle of the table-backup-schedule template: `npm run build:lambda`'s script builds
// it into a temp folder, and its handler runs in a separate Node process, outside the repository
// (so nothing but the bundle can be loaded), against the embedded emulators: it backs the tables
// up to s3rver and emails each result through the SES emulator. Reads the SES emulator's store,
// so it runs on the embedded emulators whatever COLDKEEP_TEST_TARGET says.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AwsClients, EMULATOR_CREDENTIALS, listBackups, type RunningEmulators, startEmulators } from '@coldkeep/shared';
import { createBucket, createTable, putItems, uniqueName } from '../helpers/fixture';

const ROOT = join(__dirname, '..', '..', '..');

interface HandlerRun {
  status: number | null;
  result?: {
    ok: boolean;
    backups: { table: string; items: number }[];
    failures: { table: string; code: string }[];
    emails: { table: string; sent: boolean }[];
  };
  stderr: string;
}

describe('the Lambda bundle runs a scheduled table backup', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let bucket: string;
  let table: string;
  let out: string;

  /** Runs index.handler in a fresh process from a folder outside the repository. */
  function invoke(env: Record<string, string>): HandlerRun {
    const script =
      'require(process.argv[1]).handler({}, { getRemainingTimeInMillis: () => 600000 })' +
      '.catch((e) => { process.stderr.write(String(e.message)); process.exitCode = 1; })';
    const cwd = mkdtempSync(join(tmpdir(), 'coldkeep-lambda-run-'));
    try {
      const run = spawnSync(process.execPath, ['-e', script, join(out, 'table-backup', 'index.js')], {
        cwd,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
          COLDKEEP_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
          COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
          COLDKEEP_ENDPOINT_URL_SES: emulators.endpoints.ses,
          COLDKEEP_BUCKET: bucket,
          COLDKEEP_PREFIX: 'nightly',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...env,
        },
      });
      // The handler logs one JSON line with its report, as Lambda's logs would show it.
      const line = run.stdout.split('\n').find((l) => l.includes('"coldkeep":"scheduled-backup"'));
      return { status: run.status, stderr: run.stderr, ...(line ? { result: JSON.parse(line) } : {}) };
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }

  /**
   * One request on a fresh connection: the handler runs take seconds, long enough for the SES
   * emulator to close an idle kept-alive socket just as fetch would reuse it.
   */
  function ses(method: 'GET' | 'POST', path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(`${emulators.endpoints.ses}${path}`, { method, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
  }

  async function mails(): Promise<{ subject: string; destination: { to: string[] } }[]> {
    return (JSON.parse(await ses('GET', '/store')) as { emails: { subject: string; destination: { to: string[] } }[] })
      .emails;
  }

  before(async () => {
    out = mkdtempSync(join(tmpdir(), 'coldkeep-lambda-'));
    const build = spawnSync(
      process.execPath,
      [join(ROOT, 'shared', 'scripts', 'buildLambda.mjs'), '--out', out, '--unpacked'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(build.status, 0, build.stderr);
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('lambda'));
    table = uniqueName('studentData');
    await createTable(clients.dynamodb, { TableName: table });
    await putItems(
      clients.dynamodb,
      table,
      Array.from({ length: 300 }, (_, i) => ({ pk: { S: `s${i}` }, name: { S: `Student ${i}` } })),
    );
  });
  after(async () => {
    clients?.destroy();
    await emulators?.stop();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  test('the build writes a zip holding index.js (the handler Lambda calls)', () => {
    const zip = readFileSync(join(out, 'table-backup.zip'));
    assert.equal(zip.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004');
    assert.ok(zip.includes(Buffer.from('index.js')), 'index.js is in the zip');
    assert.ok(existsSync(join(out, 'table-backup', 'index.js')));
  });

  test('backs up every listed table to S3 and emails the result with a link', async () => {
    await ses('POST', '/clear-store');
    const run = invoke({
      COLDKEEP_TABLES: table,
      COLDKEEP_NOTIFY_TO: 'ops@example.com',
      COLDKEEP_NOTIFY_FROM: 'coldkeep@example.com',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.result?.ok, true);
    assert.deepEqual(
      run.result?.backups.map((b) => [b.table, b.items]),
      [[table, 300]],
    );
    const catalog = await listBackups(clients.s3, { bucket, prefix: 'nightly', table });
    assert.equal(catalog.backups.length, 1);
    assert.equal(catalog.backups[0]!.itemCount, 300);
    const sent = await mails();
    assert.equal(sent.length, 1);
    assert.match(sent[0]!.subject, new RegExp(`Backup of table ${table} succeeded`));
    assert.deepEqual(sent[0]!.destination.to, ['ops@example.com']);
  });

  test('a table that fails is reported, emailed, and fails the invocation; the others are still backed up', async () => {
    await ses('POST', '/clear-store');
    const run = invoke({
      COLDKEEP_TABLES: `no-such-table,${table}`,
      COLDKEEP_NOTIFY_TO: 'ops@example.com',
      COLDKEEP_NOTIFY_FROM: 'coldkeep@example.com',
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /no-such-table \(NoSuchTable/);
    assert.equal(run.result?.ok, false);
    assert.deepEqual(
      run.result?.failures.map((f) => [f.table, f.code]),
      [['no-such-table', 'NoSuchTable']],
    );
    assert.deepEqual(
      run.result?.backups.map((b) => b.table),
      [table],
    );
    const subjects = (await mails()).map((m) => m.subject);
    assert.equal(subjects.length, 2);
    assert.match(subjects[0]!, /no-such-table FAILED \(\[NoSuchTable\]\)/);
  });

  test('without a recipient no email is sent; without tables the function says what is missing', async () => {
    await ses('POST', '/clear-store');
    const quiet = invoke({ COLDKEEP_TABLES: table, COLDKEEP_NOTIFY_TO: '', COLDKEEP_NOTIFY_FROM: '' });
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.deepEqual(quiet.result?.emails, []);
    assert.equal((await mails()).length, 0);
    const none = invoke({ COLDKEEP_TABLES: '' });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /COLDKEEP_TABLES and COLDKEEP_BUCKET/);
  });
});
