// The desktop app's credentials come from the core's Connection, as in the CLI and the extension:
// keys in the environment with no profile named are used as they are, even when the default
// profile has mfa_serial (before, the app took the default profile's MFA session, which it had
// no code for).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DrillRecords, MemorySecretStore, newSource, type RunRecord, TOOL_NAME } from '@coldkeep/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { IpcChannel, type IpcResult, type SourceView, type StatusOverview } from 'coldkeep-desktop/dist/ipc';
import { ColdkeepApp } from 'coldkeep-desktop/dist/main/coldkeepApp';
import { dispatch } from 'coldkeep-desktop/dist/main/ipcHandlers';
import { stacksFrom } from 'coldkeep-desktop/dist/main/stacksService';

describe('desktop main: the connection', () => {
  test('keys in the environment with no profile named are used as they are, as in the CLI', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coldkeep-desktop-conn-'));
    await writeFile(join(dir, 'config'), '[default]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n');
    const env = {
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_ACCESS_KEY_ID: 'AKIAFROMENV',
      AWS_SECRET_ACCESS_KEY: 'env-secret',
    };
    const saved = { ...process.env };
    // The SDK's environment provider reads process.env itself.
    Object.assign(process.env, env);
    delete process.env.AWS_PROFILE;
    const app = await ColdkeepApp.open({
      dataDir: dir,
      scheduleDir: join(dir, 'schedule'),
      appInfo: { name: TOOL_NAME, version: '0.0.0-test', electronVersion: 'none', platform: process.platform },
      secrets: { store: new MemorySecretStore(), problem: () => undefined },
      pickFolder: async () => undefined,
      stacks: stacksFrom(),
      env: process.env,
    });
    try {
      const identity = await (await app.clients()).dynamodb.config.credentials();
      assert.equal(identity.accessKeyId, 'AKIAFROMENV');
    } finally {
      await app.close();
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("desktop main: the sources' status", () => {
  test("GetStatus and ListSources give the core's state, last verified restore and restore time; bad input is refused", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coldkeep-desktop-status-'));
    const app = await ColdkeepApp.open({
      dataDir: dir,
      scheduleDir: join(dir, 'schedule'),
      appInfo: { name: TOOL_NAME, version: '0.0.0-test', electronVersion: 'none', platform: process.platform },
      secrets: { store: new MemorySecretStore(), problem: () => undefined },
      pickFolder: async () => undefined,
      stacks: stacksFrom(),
      env: { ...process.env, AWS_CONFIG_FILE: join(dir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no') },
    });
    try {
      const now = new Date().toISOString();
      const orders = await app.store.addSource(newSource({ kind: 'table', table: 'orders', cron: '0 * * * *' }));
      const drill = await app.store.addSource(
        newSource({ kind: 'table', table: 'orders', drill: true, cron: '0 4 * * 0' }),
      );
      const photos = await app.store.addSource(newSource({ kind: 'folder', dir: '/data/photos', cron: '0 * * * *' }));
      const run = (sourceId: string, status: RunRecord['status']): RunRecord => ({
        runId: `${sourceId}-1`,
        sourceId,
        sourceName: sourceId,
        kind: sourceId === photos.id ? 'folder' : 'table',
        trigger: 'manual',
        startedAt: now,
        finishedAt: now,
        durationMs: 1,
        status,
        attempts: 1,
        ...(status === 'failed'
          ? { error: { code: 'NoSuchBucket', message: 'no bucket' } }
          : { result: { summary: 'ok', report: {} } }),
      });
      await app.store.appendRun(run(orders.id, 'succeeded'));
      await app.store.appendRun(run(photos.id, 'failed'));
      await new DrillRecords(join(dir, 'schedule', 'drills.json')).record({
        source: 'table:orders',
        status: 'succeeded',
        at: now,
        restoreMs: 2500,
        restorePoint: 'b-1',
        summary: 'passed',
      });
      const handlers = app.handlers();

      const all = (await dispatch(handlers, IpcChannel.GetStatus, {})) as IpcResult<StatusOverview>;
      assert.ok(all.ok);
      assert.equal(all.value.overall, 'failing');
      assert.deepEqual(
        all.value.sources.map((s) => [s.status.name, s.status.state, s.status.headline, s.sourceIds]),
        [
          ['orders', 'protected', 'protected', [orders.id, drill.id]],
          ['/data/photos', 'failing', 'last backup failed (NoSuchBucket)', [photos.id]],
        ],
      );
      assert.deepEqual(all.value.sources[0]!.status.lastVerified, { at: now, restoreMs: 2500, restorePoint: 'b-1' });
      const one = (await dispatch(handlers, IpcChannel.GetStatus, { sourceId: drill.id })) as IpcResult<StatusOverview>;
      assert.ok(one.ok);
      assert.deepEqual(
        one.value.sources.map((s) => s.status.key),
        ['table:orders'],
      );
      assert.equal(one.value.overall, 'protected');

      const views = (await dispatch(handlers, IpcChannel.ListSources, undefined)) as IpcResult<SourceView[]>;
      assert.ok(views.ok);
      assert.deepEqual(
        views.value.map((v) => [v.source.id, v.status.state, v.status.verifiedText]),
        [
          [orders.id, 'protected', `verified ${now.slice(0, 10)} ${now.slice(11, 16)}Z, restore 2.5 s`],
          [drill.id, 'protected', `verified ${now.slice(0, 10)} ${now.slice(11, 16)}Z, restore 2.5 s`],
          [photos.id, 'failing', 'never verified'],
        ],
      );

      for (const bad of [{ sourceId: '' }, { sourceId: 7 }, { all: true }, 'orders']) {
        const refused = await dispatch(handlers, IpcChannel.GetStatus, bad);
        assert.equal(refused.ok, false, JSON.stringify(bad));
        assert.equal(!refused.ok && refused.error.code, 'InvalidInput');
      }
      const unknown = await dispatch(handlers, IpcChannel.GetStatus, { sourceId: 'nope' });
      assert.equal(!unknown.ok && unknown.error.code, 'NoSuchSource');
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('desktop main: a table run its MFA session would not outlive', () => {
  test('is refused before the backup with SessionTooShort, not retried, and its history entry is written by runJob', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coldkeep-desktop-short-'));
    await writeFile(join(dir, 'config'), '[profile mfa]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n');
    await writeFile(join(dir, 'credentials'), '[mfa]\naws_access_key_id = AKIALONG\naws_secret_access_key = long\n');
    const env = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') };
    // 5.5 minutes left: usable for 30 s before the 5-minute refresh margin, less than a minute's backup.
    const store = new MemorySecretStore();
    await store.set(
      'coldkeep.session.mfa',
      JSON.stringify({
        accessKeyId: 'ASIASESSION',
        secretAccessKey: 'session-secret',
        sessionToken: 'SESSIONTOKEN',
        expiration: new Date(Date.now() + 5.5 * 60_000).toISOString(),
        profile: 'mfa',
        mode: 'session-token',
        mfaSerial: 'arn:aws:iam::123456789012:mfa/alice',
        source: 'sts',
      }),
    );
    // The estimate's DescribeTable (no emulator is needed for it): an empty table, a minute's job.
    const dynamodb = mockClient(DynamoDBClient);
    dynamodb.on(DescribeTableCommand).resolves({
      Table: {
        TableName: 'orders',
        TableStatus: 'ACTIVE',
        TableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        TableSizeBytes: 0,
        ItemCount: 0,
      },
    });
    dynamodb.on(DescribeTimeToLiveCommand).resolves({});
    const app = await ColdkeepApp.open({
      dataDir: dir,
      scheduleDir: join(dir, 'schedule'),
      appInfo: { name: TOOL_NAME, version: '0.0.0-test', electronVersion: 'none', platform: process.platform },
      secrets: { store, problem: () => undefined },
      pickFolder: async () => undefined,
      stacks: stacksFrom(),
      // Retries a millisecond apart: a refusal that were retried would show in the tries.
      retry: { baseMs: 1, maxMs: 1, maxAttempts: 4 },
      env,
    });
    try {
      const handlers = app.handlers();
      await handlers[IpcChannel.SaveSettings]({ profile: 'mfa', region: 'us-east-1', bucket: 'acme-backups' });
      const { source } = await handlers[IpcChannel.AddSource]({ kind: 'table', table: 'orders' });
      const [run] = (await handlers[IpcChannel.BackUpNow]({ sourceId: source.id })) as RunRecord[];
      assert.equal(run?.status, 'failed', JSON.stringify(run?.error));
      assert.equal(run?.error?.code, 'SessionTooShort', JSON.stringify(run?.error));
      assert.match(
        run?.error?.message ?? '',
        /The MFA session of "mfa" ends at .*, before this job is expected to finish/,
      );
      assert.match(run?.error?.hint ?? '', /Enter a new MFA code under Settings/);
      assert.equal(run?.attempts, 1, 'another try finds the same session: not retried');
      assert.deepEqual(
        dynamodb.calls().map((c) => c.args[0].constructor.name),
        ['DescribeTableCommand', 'DescribeTimeToLiveCommand'],
        'only the estimate: the backup never started',
      );
      assert.deepEqual(await app.store.history(), [run]);
      assert.deepEqual(await app.store.running(), [], "the record ended the run's claim");
    } finally {
      dynamodb.restore();
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
