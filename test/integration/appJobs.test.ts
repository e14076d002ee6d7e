// The application layer over HTTP, against the embedded emulators: a Connection's credentials
// (a profile's MFA session from a fake STS, keys in the environment) and runJob's session check,
// job and email (the SES emulator's store gives the email back).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  type AwsSettings,
  backupSummary,
  backupTable,
  Connection,
  EMULATOR_CREDENTIALS,
  type MfaPromptRequest,
  MemorySecretStore,
  runJob,
  type RunningEmulators,
  type SessionCheck,
  startEmulators,
  tableBackupEstimateMs,
  tableRunner,
} from '@coldkeep/shared';
import { startFakeSts, type FakeSts } from '../helpers/fakeSts';
import { createBucket, createTable, putItems, uniqueName } from '../helpers/fixture';

interface StoredEmail {
  subject: string;
  body: { text?: string };
}

const notify = { to: ['ops@example.com'], from: 'coldkeep@example.com' };

describe('the application layer: one connection, one way to run a job', () => {
  let emulators: RunningEmulators;
  let sts: FakeSts;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let bucket: string;
  let table: string;
  /** The emulators' endpoints, without their keys: the credentials are the Connection's to find. */
  let endpoints: AwsSettings;

  async function mails(): Promise<StoredEmail[]> {
    const response = await fetch(`${emulators.endpoints.ses}/store`);
    return ((await response.json()) as { emails: StoredEmail[] }).emails;
  }

  before(async () => {
    emulators = await startEmulators();
    sts = await startFakeSts({ credentials: { ...EMULATOR_CREDENTIALS, sessionToken: 'SESSIONTOKEN' } });
    dir = await mkdtemp(join(tmpdir(), 'coldkeep-app-'));
    await writeFile(
      join(dir, 'config'),
      '[default]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\n[profile mfa]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n',
    );
    await writeFile(
      join(dir, 'credentials'),
      '[mfa]\naws_access_key_id = AKIALONGTERM\naws_secret_access_key = long-secret\n',
    );
    env = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') };
    const { credentials: _keys, ...rest } = emulators.settings;
    endpoints = { ...rest, endpoints: { ...rest.endpoints, sts: sts.endpoint } };
    const setup = new Connection({ settings: emulators.settings, store: new MemorySecretStore() });
    bucket = await createBucket(setup.clients.s3, uniqueName('app'));
    table = uniqueName('students');
    await createTable(setup.clients.dynamodb, { TableName: table });
    await putItems(
      setup.clients.dynamodb,
      table,
      Array.from({ length: 50 }, (_, i) => ({ pk: { S: `s${i}` } })),
    );
    setup.destroy();
  });
  after(async () => {
    await sts?.close();
    await emulators?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await fetch(`${emulators.endpoints.ses}/clear-store`, { method: 'POST' });
  });

  test('a failed job is emailed (FAILED, with its error), and the result says failed', async () => {
    const connection = new Connection({ settings: emulators.settings, store: new MemorySecretStore() });
    try {
      const result = await runJob(
        connection,
        {
          what: 'Backup of table no-such-table',
          run: (job) => backupTable(connection.clients, { table: 'no-such-table', bucket }, job),
          summary: backupSummary,
        },
        { notify },
      );
      assert.equal(result.status, 'failed');
      assert.equal(result.notification?.sent, true);
      const [mail] = await mails();
      assert.match(mail!.subject, /^Coldkeep: Backup of table no-such-table FAILED/);
      assert.match(mail!.body.text!, /\[NoSuchTable\]/);
    } finally {
      connection.destroy();
    }
  });

  test('a partial job is emailed as INCOMPLETE, never as a success', async () => {
    const connection = new Connection({ settings: emulators.settings, store: new MemorySecretStore() });
    try {
      const result = await runJob(
        connection,
        {
          what: `Backup of table ${table}`,
          run: (job) => backupTable(connection.clients, { table, bucket }, job),
          // As a folder snapshot with an unreadable file says it.
          summary: (report) => ({ ...backupSummary(report), incomplete: '1 file not backed up' }),
        },
        { notify },
      );
      assert.equal(result.status, 'partial');
      const [mail] = await mails();
      assert.match(mail!.subject, /INCOMPLETE: 1 file not backed up/);
    } finally {
      connection.destroy();
    }
  });

  test("a profile's MFA session that would end mid-job is renewed through the prompt before the job starts", async () => {
    const store = new MemorySecretStore();
    // A session with 10 minutes left, for a job expected to take 20.
    await store.set(
      'coldkeep.session.mfa',
      JSON.stringify({
        ...EMULATOR_CREDENTIALS,
        sessionToken: 'OLDTOKEN',
        expiration: new Date(Date.now() + 10 * 60_000).toISOString(),
        profile: 'mfa',
        mode: 'session-token',
        mfaSerial: 'arn:aws:iam::123456789012:mfa/alice',
        source: 'sts',
      }),
    );
    const asked: MfaPromptRequest[] = [];
    const warned: SessionCheck[] = [];
    const connection = new Connection({
      settings: { ...endpoints, profile: 'mfa' },
      store,
      prompt: { askCode: async (request) => (asked.push(request), '123456') },
      env,
    });
    try {
      const result = await runJob(
        connection,
        {
          what: `Backup of table ${table}`,
          estimateMs: () => 20 * 60_000,
          run: (job) => backupTable(connection.clients, { table, bucket }, job),
          summary: backupSummary,
        },
        { onSession: (check) => void warned.push(check) },
      );
      assert.equal(result.status, 'succeeded', JSON.stringify(result.summary));
      assert.deepEqual(
        asked.map((r) => r.reason),
        ['outlive'],
      );
      assert.equal(result.session?.renewed, true);
      assert.equal(result.session?.outlives, true);
      assert.deepEqual(warned, [], 'a session that now lasts the job is nothing to warn about');
      // The new session was asked of STS, signed by the profile's own long-term keys.
      assert.deepEqual(
        sts.requests.map((r) => [r.action, r.signedBy, r.params.TokenCode]),
        [['GetSessionToken', 'AKIALONGTERM', '123456']],
      );
    } finally {
      connection.destroy();
    }
  });

  test('without a prompt, a session that ends before the job is told to the front end, which may refuse the job (emailed)', async () => {
    const store = new MemorySecretStore();
    await store.set(
      'coldkeep.session.mfa',
      JSON.stringify({
        ...EMULATOR_CREDENTIALS,
        sessionToken: 'OLDTOKEN',
        expiration: new Date(Date.now() + 10 * 60_000).toISOString(),
        profile: 'mfa',
        mode: 'session-token',
        mfaSerial: 'arn:aws:iam::123456789012:mfa/alice',
        source: 'sts',
      }),
    );
    const connection = new Connection({ settings: { ...endpoints, profile: 'mfa' }, store, env });
    let ran = false;
    try {
      const result = await runJob(
        connection,
        {
          what: `Backup of table ${table}`,
          estimateMs: (signal) =>
            tableBackupEstimateMs(connection.clients, table, signal).then((ms) => ms + 20 * 60_000),
          run: async (job) => {
            ran = true;
            return backupTable(connection.clients, { table, bucket }, job);
          },
          summary: backupSummary,
        },
        {
          notify,
          onSession: (check) => {
            assert.equal(check.asked, false);
            throw new Error(`the session ends at ${check.status.expiresAt}`);
          },
        },
      );
      assert.equal(result.status, 'failed');
      assert.equal(ran, false, 'the job never started');
      const [mail] = await mails();
      assert.match(mail!.subject, /FAILED/);
    } finally {
      connection.destroy();
    }
  });

  test('keys in the environment with no profile named are used as they are, even when the default profile has mfa_serial', async () => {
    const saved = { ...process.env };
    // The SDK's environment provider reads process.env itself.
    Object.assign(process.env, env, {
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    });
    delete process.env.AWS_PROFILE;
    const connection = new Connection({ settings: endpoints, store: new MemorySecretStore(), env: process.env });
    try {
      assert.equal(await connection.session(), undefined);
      const result = await runJob(connection, {
        what: `Backup of table ${table}`,
        run: (job) => backupTable(connection.clients, { table, bucket }, job),
        summary: backupSummary,
      });
      assert.equal(result.status, 'succeeded', JSON.stringify(result.summary));
    } finally {
      connection.destroy();
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
  test("a scheduled table run on a connection checks the session first; the front end's refusal stops it before the backup", async () => {
    // STS hands out 5-minute sessions: even a renewed one ends before a minute's job plus the 5-minute margin.
    const shortSts = await startFakeSts({
      credentials: { ...EMULATOR_CREDENTIALS, sessionToken: 'SHORT' },
      lifetimeSeconds: 300,
    });
    const store = new MemorySecretStore();
    await store.set(
      'coldkeep.session.mfa',
      JSON.stringify({
        ...EMULATOR_CREDENTIALS,
        sessionToken: 'OLDTOKEN',
        expiration: new Date(Date.now() + 5.5 * 60_000).toISOString(),
        profile: 'mfa',
        mode: 'session-token',
        mfaSerial: 'arn:aws:iam::123456789012:mfa/alice',
        source: 'sts',
      }),
    );
    const connection = new Connection({
      settings: { ...endpoints, endpoints: { ...endpoints.endpoints, sts: shortSts.endpoint }, profile: 'mfa' },
      store,
      prompt: { askCode: async () => '123456' },
      env,
    });
    let backedUp = false;
    const checks: SessionCheck[] = [];
    try {
      const runner = tableRunner(
        () => ({
          clients: connection.clients,
          bucket,
          connection,
          onSession: (check) => {
            checks.push(check);
            throw new Error('refused');
          },
        }),
        async () => {
          backedUp = true;
          throw new Error('the backup ran');
        },
      );
      await assert.rejects(
        runner(
          {
            id: 't',
            name: table,
            kind: 'table',
            table,
            cron: '0 2 * * *',
            enabled: true,
            createdAt: new Date().toISOString(),
          },
          {},
        ),
        {
          message: 'refused',
        },
      );
      assert.equal(backedUp, false);
      assert.deepEqual(
        checks.map((c) => [c.renewed, c.outlives]),
        [[true, false]],
      );
    } finally {
      connection.destroy();
      await shortSts.close();
    }
  });
});
