import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { type BackupSummary, CancelledError, CHECKS, lintPolicy, type SessionStatus, sleep } from '@coldkeep/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { installFakeVscode } from '../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
const fake = installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const settings = require('coldkeep-vscode/out/settings') as typeof import('coldkeep-vscode/out/settings');
const nodes = require('coldkeep-vscode/out/views/nodes') as typeof import('coldkeep-vscode/out/views/nodes');
const trees =
  require('coldkeep-vscode/out/views/treeProviders') as typeof import('coldkeep-vscode/out/views/treeProviders');
const inputs = require('coldkeep-vscode/out/commands/inputs') as typeof import('coldkeep-vscode/out/commands/inputs');
const fixes =
  require('coldkeep-vscode/out/policy/policyFixes') as typeof import('coldkeep-vscode/out/policy/policyFixes');
const mfa =
  require('coldkeep-vscode/out/session/inputBoxMfaPrompt') as typeof import('coldkeep-vscode/out/session/inputBoxMfaPrompt');
const statusBar =
  require('coldkeep-vscode/out/session/sessionStatusBar') as typeof import('coldkeep-vscode/out/session/sessionStatusBar');
const connectionBar = require('coldkeep-vscode/out/ui/statusBar') as typeof import('coldkeep-vscode/out/ui/statusBar');
const jobs = require('coldkeep-vscode/out/jobs/runJob') as typeof import('coldkeep-vscode/out/jobs/runJob');
const folderCommands =
  require('coldkeep-vscode/out/commands/folderCommands') as typeof import('coldkeep-vscode/out/commands/folderCommands');
const stackCommands =
  require('coldkeep-vscode/out/commands/stackCommands') as typeof import('coldkeep-vscode/out/commands/stackCommands');
const core =
  require('coldkeep-vscode/out/features/coreFeatures') as typeof import('coldkeep-vscode/out/features/coreFeatures');
const tableCommands =
  require('coldkeep-vscode/out/commands/tableCommands') as typeof import('coldkeep-vscode/out/commands/tableCommands');
const connectionModule = require('coldkeep-vscode/out/connection') as typeof import('coldkeep-vscode/out/connection');
/* eslint-enable @typescript-eslint/no-require-imports */

type Connection = import('coldkeep-vscode/out/connection').Connection;
type Features = import('coldkeep-vscode/out/features/features').Features;
type SnapshotInfo = import('coldkeep-vscode/out/features/features').SnapshotInfo;
type StackDeployResult = import('coldkeep-vscode/out/features/features').StackDeployResult;

function config(values: Record<string, unknown>): { get<T>(key: string): T | undefined } {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

function summary(overrides: Partial<BackupSummary> = {}): BackupSummary {
  return {
    bucket: 'b',
    prefix: 'coldkeep',
    account: '111122223333',
    region: 'eu-west-1',
    table: 'Orders',
    backupId: '20261123T120000Z-abcd',
    manifestKey: 'coldkeep/tables/111122223333/eu-west-1/Orders/20261123T120000Z-abcd/manifest.json',
    uri: 's3://b/coldkeep/tables/111122223333/eu-west-1/Orders/20261123T120000Z-abcd/',
    createdAt: '2026-11-23T12:00:00.000Z',
    itemCount: 1234,
    bytes: 56_000,
    files: 1,
    storageClass: 'STANDARD',
    engine: 'scan',
    kind: 'full',
    chain: ['20261123T120000Z-abcd'],
    ...overrides,
  };
}

describe('extension settings', () => {
  test('read with defaults, and merged over the environment', () => {
    const s = settings.readSettings(
      config({ bucket: ' backups ', region: 'eu-west-1', endpoints: { s3: 'http://127.0.0.1:9000' }, segments: 0 }),
    );
    assert.equal(s.bucket, 'backups');
    assert.equal(s.segments, undefined);
    assert.equal(s.readFraction, 0.5);
    assert.deepEqual(s.lifecycleTag, { key: 'coldkeep-lifecycle', value: 'archive' });
    const aws = settings.awsSettingsFrom(s, {
      AWS_REGION: 'us-east-1',
      COLDKEEP_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
    });
    assert.equal(aws.region, 'eu-west-1', 'the VS Code setting wins over AWS_REGION');
    assert.deepEqual(aws.endpoints, { dynamodb: 'http://127.0.0.1:8000', s3: 'http://127.0.0.1:9000' });
    const input = settings.backupInputFrom(
      { ...s, sse: { type: 'aws:kms', kmsKeyId: 'alias/x' }, segments: 8 },
      'T',
      'b',
    );
    assert.deepEqual(input.sse, { type: 'aws:kms', kmsKeyId: 'alias/x' });
    assert.equal(input.segments, 8);
  });

  test('bad values are refused with the setting named and a hint', () => {
    for (const [values, setting] of [
      [{ endpoint: 'localhost:4566' }, 'coldkeep.endpoint'],
      [{ endpoints: { dynamo: 'http://x' } }, 'coldkeep.endpoints'],
      [{ segments: 2.5 }, 'coldkeep.segments'],
      [{ readFraction: 1.5 }, 'coldkeep.readFraction'],
      [{ lifecycleTag: 'no-equals' }, 'coldkeep.lifecycleTag'],
      [{ sse: 'rot13' }, 'coldkeep.sse'],
    ] as const) {
      assert.throws(
        () => settings.readSettings(config(values)),
        (err: Error & { code?: string; hint?: string }) =>
          err.code === 'InvalidInput' && err.message.includes(setting) && !!err.hint,
        setting,
      );
    }
    assert.equal(settings.readSettings(config({ lifecycleTag: '' })).lifecycleTag, null);
    assert.throws(
      () => settings.notifySettingsOf({ ...settings.readSettings(config({})), notifyTo: ['a@example.com'] }),
      /sender/,
    );
  });
});

describe('tree nodes', () => {
  test('a backup shows date, items, size, storage class and lock state; locked ones cannot be deleted', () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const past = new Date(Date.now() - 86_400_000).toISOString();
    const locked = nodes.backupNodes({
      kind: 'backupTable',
      bucket: 'b',
      table: 'Orders',
      backups: [summary({ objectLock: { mode: 'COMPLIANCE', retainUntil: future } })],
    })[0]!;
    const view = nodes.viewOf(locked);
    assert.equal(view.contextValue, 'backup.locked');
    assert.match(view.description!, /^2026-11-23 12:00 UTC · 1,234 items · 56\.0 KB · STANDARD · locked$/);
    const expired = nodes.backupNodes({
      kind: 'backupTable',
      bucket: 'b',
      table: 'Orders',
      backups: [summary({ objectLock: { mode: 'GOVERNANCE', retainUntil: past } })],
    })[0]!;
    assert.equal(nodes.viewOf(expired).contextValue, 'backup');
    assert.match(String(nodes.viewOf(expired).tooltip), /\(ended\)/);
  });

  test('backups are grouped per table, newest first', () => {
    const grouped = nodes.groupByTable('b', [
      summary({ table: 'Users', backupId: '20261120T000000Z-0001', createdAt: '2026-11-20T00:00:00.000Z' }),
      summary({ backupId: '20261101T000000Z-0001', createdAt: '2026-11-01T00:00:00.000Z' }),
      summary({ backupId: '20261122T000000Z-0001', createdAt: '2026-11-22T00:00:00.000Z' }),
    ]);
    assert.deepEqual(
      grouped.map((n) => (n.kind === 'backupTable' ? [n.table, n.backups.map((b) => b.backupId.slice(0, 8))] : [])),
      [
        ['Orders', ['20261122', '20261101']],
        ['Users', ['20261120']],
      ],
    );
  });
});

describe('tree providers', () => {
  function connectionWith(dynamodb: DynamoDBClient, s3: S3Client, bucket?: string): Connection {
    return {
      label: 'default · eu-west-1',
      settings: { bucket, endpoints: {}, readFraction: 0.5, lifecycleTag: null, notifyTo: [] },
      clients: { dynamodb, s3 },
    } as unknown as Connection;
  }

  test('Tables: connection → tables with estimates; a table that cannot be described says so', async () => {
    const dynamodb = new DynamoDBClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const mock = mockClient(dynamodb);
    mock.on(ListTablesCommand).resolves({ TableNames: ['Orders', 'Secret'] });
    mock.on(DescribeTableCommand, { TableName: 'Orders' }).resolves({
      Table: {
        TableName: 'Orders',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'N' },
        ],
        BillingModeSummary: { BillingMode: 'PROVISIONED' },
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 2 },
        ItemCount: 42,
        TableSizeBytes: 2048,
      },
    });
    mock
      .on(DescribeTableCommand, { TableName: 'Secret' })
      .rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    mock.on(DescribeTimeToLiveCommand).resolves({});
    const tree = new trees.TablesTree(() => connectionWith(dynamodb, new S3Client({})));
    const [root] = await tree.getChildren();
    assert.equal(root?.kind, 'connection');
    const [orders, secret] = await tree.getChildren(root);
    const item = tree.getTreeItem(orders!);
    assert.equal(item.description, '42 items · 2.05 KB');
    assert.match(String(item.tooltip), /pk \(partition key, S\), sk \(sort key, N\)/);
    assert.match(String(item.tooltip), /provisioned, 5 RCU \/ 2 WCU/);
    assert.equal(tree.getTreeItem(secret!).description, 'cannot describe');
    assert.deepEqual(
      await new trees.TablesTree(() => undefined).getChildren(),
      [],
      'nothing configured: the welcome view shows',
    );
  });

  test('Backups: bucket → table → backups; a listing error becomes a node, not a crash', async () => {
    const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(s3);
    const dir = 'coldkeep/tables/111122223333/eu-west-1/Orders/20261123T120000Z-abcd/';
    mock.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: `${dir}data/0000-0001.json.gz`, Size: 100 },
        { Key: `${dir}manifest.json`, Size: 10 },
        { Key: 'coldkeep/tables/111122223333/eu-west-1/Orders/20261123T130000Z-beef/data/0000-0001.json.gz', Size: 5 },
      ],
    });
    const manifest = {
      format: 'coldkeep.table-backup',
      formatVersion: 1,
      backupId: '20261123T120000Z-abcd',
      tool: { name: 'coldkeep', version: '0.1.0' },
      engine: 'scan',
      source: { account: '111122223333', region: 'eu-west-1', table: 'Orders' },
      schema: {
        tableName: 'Orders',
        keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        billingMode: 'PAY_PER_REQUEST',
        globalSecondaryIndexes: [],
        localSecondaryIndexes: [],
        approximateItemCount: 3,
        approximateSizeBytes: 30,
      },
      startedAt: '2026-11-23T12:00:00.000Z',
      finishedAt: '2026-11-23T12:00:01.000Z',
      itemCount: 3,
      uncompressedBytes: 300,
      bytes: 100,
      segments: { total: 1, consistentRead: false },
      files: [],
      storage: { objectLock: { mode: 'COMPLIANCE', retainUntil: '2999-01-01T00:00:00.000Z' } },
    };
    mock.on(GetObjectCommand).resolves({ Body: { transformToString: async () => JSON.stringify(manifest) } as never });
    const tree = new trees.BackupsTree(() => connectionWith(new DynamoDBClient({}), s3, 'b'));
    const [bucket] = await tree.getChildren();
    assert.equal(bucket?.kind, 'bucket');
    const level = await tree.getChildren(bucket);
    assert.deepEqual(
      level.map((n) => n.kind),
      ['backupTable', 'incomplete'],
    );
    const [backup] = await tree.getChildren(level[0]);
    assert.equal(tree.getTreeItem(backup!).contextValue, 'backup.locked');
    mock
      .on(ListObjectsV2Command)
      .rejects(Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' }));
    tree.refresh();
    const [error] = await tree.getChildren(bucket);
    assert.equal(error?.kind, 'message');
    assert.deepEqual(await new trees.BackupsTree(() => connectionWith(new DynamoDBClient({}), s3)).getChildren(), []);
  });
});

describe('command inputs', () => {
  test('table and bucket names are checked as AWS does', () => {
    assert.equal(inputs.validateTableName('Orders-restored.2026_11'), undefined);
    assert.match(inputs.validateTableName('ab')!, /3 to 255/);
    assert.match(inputs.validateTableName('bad name')!, /letters, digits/);
    assert.equal(
      inputs.validateTableName(inputs.defaultRestoreName('Orders', new Date('2026-11-23T12:52:00Z'))),
      undefined,
    );
    assert.equal(
      inputs.defaultRestoreName('Orders', new Date('2026-11-23T12:52:00Z')),
      'Orders-restored-20261123-1252',
    );
    assert.equal(inputs.validateBucketName('acme-backups'), undefined);
    assert.ok(inputs.validateBucketName('Acme_Backups'));
  });

  test('commands take a tree node, a summary or a name', () => {
    const backup = summary();
    assert.equal(inputs.tableFromArgument('Orders'), 'Orders');
    assert.equal(inputs.tableFromArgument({ kind: 'table', name: 'Users' }), 'Users');
    assert.equal(inputs.backupFromArgument({ kind: 'backup', backup, locked: false }), backup);
    assert.equal(inputs.backupFromArgument(backup), backup);
    assert.equal(inputs.backupFromArgument({ kind: 'table', name: 'x' }), undefined);
  });

  test('progress text follows the job', () => {
    const text = tableCommands.backupProgressText({
      phase: 'scan',
      table: 'T',
      items: 500,
      estimatedItems: 1000,
      uncompressedBytes: 0,
      totalSegments: 4,
      segments: [
        { segment: 0, items: 250, done: true },
        { segment: 1, items: 250, done: false },
      ],
      throttledRequests: 0,
      consumedReadUnits: 0,
    });
    assert.deepEqual(text, { message: '500 items · 1/4 segments', percent: 50 });
    assert.deepEqual(
      tableCommands.restoreProgressText({
        phase: 'restore',
        target: 'T',
        itemsWritten: 10,
        itemsExpected: 40,
        filesDone: 1,
        filesTotal: 2,
      }),
      { message: '10 of 40 items · 1/2 files', percent: 25 },
    );
  });
});

describe('policy quick fixes', () => {
  test('add Version to a JSON policy, and the linter is satisfied', async () => {
    const text =
      '{\n  "Statement": [{ "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*" }]\n}\n';
    const { findings } = await lintPolicy(text, { fileName: 'p.json' });
    const missing = findings.find((f) => f.code === 'MissingVersion')!;
    const [fix] = fixes.fixesFor(missing, text);
    const fixed = text.slice(0, fix!.edit.start) + fix!.edit.text + text.slice(fix!.edit.end);
    assert.match(fixed, /^\{\n {2}"Version": "2012-10-17",\n {2}"Statement"/);
    assert.deepEqual((await lintPolicy(fixed, { fileName: 'p.json' })).findings, []);
  });

  test('append /* to a bucket ARN given to an object action (JSON and YAML)', async () => {
    for (const [text, name] of [
      [
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b"}]}',
        'p.json',
      ],
      [
        "Version: '2012-10-17'\nStatement:\n  - Effect: Allow\n    Action: s3:GetObject\n    Resource: arn:aws:s3:::b\n",
        'p.yaml',
      ],
    ] as const) {
      const { findings } = await lintPolicy(text, { fileName: name });
      const finding = findings.find((f) => f.code === 'ObjectActionOnBucket')!;
      const [fix] = fixes.fixesFor(finding, text);
      assert.ok(fix, name);
      const fixed = text.slice(0, fix.edit.start) + fix.edit.text + text.slice(fix.edit.end);
      assert.deepEqual((await lintPolicy(fixed, { fileName: name })).findings, [], name);
    }
  });

  test('add Version to a YAML policy; no fix where it is not certain', async () => {
    const yaml = 'Statement:\n  - Effect: Allow\n    Action: s3:GetObject\n    Resource: arn:aws:s3:::b/*\n';
    const missing = (await lintPolicy(yaml, { fileName: 'p.yaml' })).findings.find((f) => f.code === 'MissingVersion')!;
    const [fix] = fixes.fixesFor(missing, yaml);
    const fixed = yaml.slice(0, fix!.edit.start) + fix!.edit.text + yaml.slice(fix!.edit.end);
    assert.deepEqual((await lintPolicy(fixed, { fileName: 'p.yaml' })).findings, []);
    assert.deepEqual(fixes.fixesFor({ code: 'WildcardAction', start: 0, end: 3 }, yaml), []);
    assert.equal(fixes.looksLikePolicy('{"name": "package"}'), false);
    assert.equal(fixes.looksLikePolicy(yaml), true);
  });
});

describe('policy editing helpers', () => {
  test('a missing comma gets a fix after the value before the gap, and the policy parses', async () => {
    const text = '{\n  "Version": "2012-10-17"\n  "Statement": []\n}';
    const syntax = (await lintPolicy(text, { fileName: 'p.json' })).findings.find((f) => f.code === 'JsonSyntax')!;
    const fix = fixes.missingCommaFix(text, syntax.start)!;
    const fixed = text.slice(0, fix.edit.start) + fix.edit.text + text.slice(fix.edit.end);
    assert.deepEqual(JSON.parse(fixed), { Version: '2012-10-17', Statement: [] });
    assert.equal(fixes.missingCommaFix('{ "a": ', 7), undefined);
  });

  test('snippets fit an empty document or where a policy document goes, never in tsconfig.json', () => {
    const at = (text: string): boolean => fixes.snippetFits(text.replace('|', ''), text.indexOf('|'), 'json');
    assert.equal(at('coldkeep-|'), true);
    assert.equal(at('|'), true);
    assert.equal(at('{ "compilerOptions": { "coldkeep-| } }'), false);
    assert.equal(at('{ "compilerOptions": { "strict": coldkeep-| } }'), false);
    assert.equal(
      at(
        '{ "AWSTemplateFormatVersion": "2010-09-09", "Resources": { "P": { "Properties": { "PolicyDocument": coldkeep-| } } } }',
      ),
      true,
    );
    assert.equal(at('{ "Version": "2012-10-17", "Statement": [{ "Effect": coldkeep-| }] }'), false);
    const yaml =
      "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  P:\n    Properties:\n      PolicyDocument:\n        coldkeep-";
    assert.equal(fixes.snippetFits(yaml, yaml.length, 'yaml'), true);
    assert.equal(fixes.snippetFits(`${yaml}\n`.replace('PolicyDocument', 'Description'), yaml.length, 'yaml'), false);
    assert.deepEqual(fixes.typedWord('{ coldkeep-bucket', 17), { start: 2, end: 17 });
  });

  test('every lint code has the heading in docs/policy-lint.md that its diagnostic links to', () => {
    const docs = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'policy-lint.md'), 'utf8');
    for (const code of Object.keys(CHECKS)) assert.match(docs, new RegExp(`^### ${code}$`, 'm'), code);
  });

  test('row commands are kept out of the palette; the extension activates on JSON, JSONC and YAML', () => {
    const manifest = JSON.parse(
      readFileSync(join(__dirname, '..', '..', '..', 'extension', 'package.json'), 'utf8'),
    ) as {
      activationEvents: string[];
      contributes: { menus: { commandPalette: { command: string; when: string }[] } };
    };
    for (const language of ['json', 'jsonc', 'yaml'])
      assert.ok(manifest.activationEvents.includes(`onLanguage:${language}`));
    const hidden = manifest.contributes.menus.commandPalette.filter((m) => m.when === 'false').map((m) => m.command);
    for (const row of ['copyBackupUri', 'deleteBackup', 'showBackupDetails', 'verifyBackup', 'copyPresignedLink']) {
      assert.ok(hidden.includes(`coldkeep.${row}`), row);
    }
  });
});

describe('MFA prompt and status bar', () => {
  test('the input box accepts 6 digits only, and says why it asks', () => {
    assert.equal(mfa.validateMfaCode('123456'), undefined);
    assert.equal(mfa.validateMfaCode(' 123456 '), undefined);
    assert.match(mfa.validateMfaCode('12345')!, /6 digits/);
    assert.match(mfa.validateMfaCode('12a456')!, /6 digits/);
    const request = { profile: 'prod', mfaSerial: 'arn:aws:iam::111122223333:mfa/alice', attempt: 1 };
    assert.match(mfa.promptText({ ...request, reason: 'start' }), /6-digit MFA code from alice for profile "prod"/);
    assert.match(mfa.promptText({ ...request, reason: 'expired' }), /has ended/);
    assert.match(mfa.promptText({ ...request, reason: 'rejected', attempt: 2 }), /rejected/);
  });

  test('the prompt returns the code, or undefined on Escape', async () => {
    const prompt = new mfa.InputBoxMfaPrompt();
    const request = { profile: 'prod', mfaSerial: 'arn:aws:iam::1:mfa/a', attempt: 1, reason: 'start' as const };
    fake.answers.push(' 654321 ', undefined);
    assert.equal(await prompt.askCode(request), '654321');
    assert.equal(await prompt.askCode(request), undefined);
    fake.answers.push('12');
    await assert.rejects(prompt.askCode(request), /would not be accepted/);
  });

  test('the status bar shows who and until when, and the end of a session', () => {
    const now = new Date('2026-11-23T12:00:00Z');
    const status: SessionStatus = {
      profile: 'prod',
      mode: 'session-token',
      identity: 'IAM user alice in account 111122223333',
      mfaSerial: 'arn:aws:iam::111122223333:mfa/alice',
      expiresAt: '2026-11-23T20:00:00Z',
      remainingMs: 8 * 3600_000,
      expired: false,
      source: 'sts',
    };
    const live = statusBar.sessionLabel(status, 'prod', now);
    assert.match(live.text, /prod until/);
    assert.match(live.tooltip, /alice/);
    assert.equal(live.expired, false);
    assert.equal(statusBar.sessionLabel({ ...status, expired: true }, 'prod', now).expired, true);
    assert.match(statusBar.sessionLabel(undefined, 'prod', now).text, /no MFA session/);
    const bar = new connectionBar.ConnectionStatusBar();
    const live2 = { ...status, expiresAt: new Date(Date.now() + 3600_000).toISOString() };
    bar.show({ ready: true, demo: false, profile: 'prod', region: 'eu-west-1', session: { status: live2 } });
    assert.equal(fake.statusBar.visible, true);
    assert.match(bar.text!, /prod until .* · eu-west-1/);
    bar.show({ ready: true, demo: false, profile: 'dev', region: 'us-east-2' });
    assert.equal(bar.text, '$(cloud) dev · us-east-2', 'a profile without MFA shows profile and region');
    bar.show({ ready: false, demo: false, profile: 'default', region: 'us-east-1' });
    assert.equal(fake.statusBar.visible, false, 'hidden until AWS is set up');
    bar.dispose();
  });
});

describe('jobs and the connection', () => {
  test('Cancel in the progress notification aborts the job signal, and the job ends as cancelled', async () => {
    fake.messages.length = 0;
    let pressCancel: (() => void) | undefined;
    fake.onProgress = (cancel) => (pressCancel = cancel);
    let aborted = false;
    const result = await jobs.runJob('Backing up T', async (signal) => {
      setTimeout(() => pressCancel!(), 10);
      try {
        await sleep(10_000, signal);
      } finally {
        aborted = signal.aborted;
      }
      return 'finished';
    });
    fake.onProgress = undefined;
    assert.equal(result, undefined);
    assert.equal(aborted, true);
    assert.deepEqual(fake.messages, [{ level: 'info', text: 'Backing up T: cancelled.' }]);
    assert.equal(jobs.isCancelled(new CancelledError()), true);
  });

  test('the connection uses the demo emulators when asked, else the settings and environment', () => {
    const s = settings.readSettings(config({ bucket: 'b', region: 'eu-west-1' }));
    const store = { get: async () => undefined, set: async () => undefined, delete: async () => undefined };
    const prompt = { askCode: async () => undefined };
    const plain = new connectionModule.Connection(s, store, prompt, { AWS_ACCESS_KEY_ID: 'x' });
    assert.equal(plain.isDemo, false);
    assert.equal(plain.label, 'default · eu-west-1');
    assert.equal(plain.bucket(), 'b');
    plain.dispose();
    const demo = new connectionModule.Connection(
      s,
      store,
      prompt,
      {},
      {
        region: 'us-east-1',
        endpoints: { dynamodb: 'http://127.0.0.1:1' },
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      },
    );
    assert.equal(demo.isDemo, true);
    assert.equal(demo.label, 'local demo · us-east-1');
    demo.dispose();
    const none = new connectionModule.Connection(settings.readSettings(config({})), store, prompt, {
      AWS_ACCESS_KEY_ID: 'x',
    });
    assert.throws(() => none.bucket(), /No backup bucket/);
    none.dispose();
  });
});

/** A command's view of the app: a connection to bucket "b" under prefix "p", and the features given. */
function fakeApp(
  features: { folders?: Partial<Features['folders']>; stacks?: Partial<Features['stacks']> },
  clients: Record<string, unknown> = {},
): never {
  const connection = {
    settings: settings.readSettings(config({ bucket: 'b', prefix: 'p' })),
    clients,
    // The core's connection, as runJob sees it: no MFA session.
    core: { clients, session: async () => undefined },
    bucket: () => 'b',
    session: async () => undefined,
  } as unknown as Connection;
  const lines: string[] = [];
  return {
    features,
    connection: () => connection,
    awsConnection: async () => connection,
    callerIdentity: async () => ({
      account: '111122223333',
      arn: 'arn:aws:iam::111122223333:user/u',
      partition: 'aws',
      region: 'eu-west-1',
    }),
    output: { appendLine: (l: string) => lines.push(l), show: () => undefined },
    refreshViews: () => undefined,
    lines,
  } as never;
}

describe('folder snapshots', () => {
  test('Back Up Folder asks for a folder, runs the snapshot with progress, and cancel aborts it', async () => {
    fake.messages.length = 0;
    const calls: unknown[] = [];
    const progress: unknown[] = [];
    const app = fakeApp({
      folders: {
        backupFolder: async (_clients, input, { onProgress }) => {
          calls.push(input);
          onProgress?.({ message: '3 files · 1 KB' });
          progress.push('reported');
          return {
            status: 'succeeded',
            summary: 'Backed up /data/docs.',
            details: [],
            uri: 's3://b/p/files/docs/',
            source: 'docs',
            snapshotId: 's1',
          };
        },
        listSnapshots: async () => [],
        restoreSnapshot: async () => assert.fail('not called'),
      },
    });
    fake.answers.push(undefined);
    assert.equal(await folderCommands.backupFolderCommand(app), undefined, 'Escape in the dialog: nothing runs');
    assert.deepEqual(calls, []);
    fake.answers.push([{ fsPath: '/data/docs' }]);
    const result = await folderCommands.backupFolderCommand(app);
    assert.equal(result?.snapshotId, 's1');
    assert.deepEqual(calls, [{ folder: '/data/docs', bucket: 'b', prefix: 'p' }]);
    assert.deepEqual(progress, ['reported']);
    assert.deepEqual(fake.messages.at(-1), { level: 'info', text: 'Backed up /data/docs.' });

    let pressCancel: (() => void) | undefined;
    fake.onProgress = (cancel) => (pressCancel = cancel);
    let aborted = false;
    const slow = fakeApp({
      folders: {
        backupFolder: async (_clients, _input, { signal }) => {
          setTimeout(() => pressCancel!(), 10);
          await sleep(10_000, signal).finally(() => (aborted = signal?.aborted ?? false));
          return assert.fail('cancelled before the end');
        },
      },
    });
    const { Uri } = require('vscode') as { Uri: { file(path: string): unknown } }; // eslint-disable-line @typescript-eslint/no-require-imports
    assert.equal(await folderCommands.backupFolderCommand(slow, Uri.file('/data/docs')), undefined);
    fake.onProgress = undefined;
    assert.equal(aborted, true, 'cancel aborted the job signal');
    assert.match(fake.messages.at(-1)!.text, /cancelled/);
  });

  test('a partial folder backup is a warning with what was left out in the output, never an info', async () => {
    fake.messages.length = 0;
    const report = {
      snapshotId: 's2',
      source: 'docs',
      bucket: 'b',
      uri: 's3://b/p/files/docs/',
      snapshotKey: 'k',
      dir: '/data/docs',
      files: 3,
      dirs: 1,
      symlinks: 0,
      bytes: 300,
      unchangedFiles: 0,
      hashedFiles: 3,
      hashedBytes: 300,
      uploadedBlobs: 3,
      uploadedBytes: 300,
      uploadedPacks: 1,
      status: 'partial' as const,
      skipped: [
        {
          path: 'private',
          kind: 'unreadable' as const,
          entry: 'folder' as const,
          reason: 'cannot list the folder: user nobody (uid 65534) may not read it: permission denied (EACCES)',
          whatToDo: 'Let user nobody (uid 65534) read /data/docs/private and list it (r and x).',
        },
        { path: 'tmp.log', kind: 'vanished' as const, entry: 'file' as const, reason: 'deleted while the backup ran' },
      ],
      changedWhileReading: ['busy.log'],
      startedAt: '2026-11-23T02:00:01.000Z',
      finishedAt: '2026-11-23T02:00:03.000Z',
      durationMs: 2000,
    };
    const summary = core.folderBackupSummary(report);
    assert.match(summary, /^Backup of \/data\/docs INCOMPLETE: 1 folder not backed up/);
    assert.doesNotMatch(summary, /Backed up/);
    assert.match(
      core.folderBackupSummary({ ...report, status: 'succeeded', skipped: [] }),
      /^Backed up .*1 changed while read/,
    );

    const app = fakeApp({
      folders: {
        backupFolder: async () => ({
          status: 'partial',
          summary,
          details: ['Not backed up: private/ — cannot list the folder', '  What to do: Let user nobody read it'],
          uri: report.uri,
          source: 'docs',
          snapshotId: 's2',
        }),
        listSnapshots: async () => [],
        restoreSnapshot: async () => assert.fail('not called'),
      },
    });
    fake.answers.push([{ fsPath: '/data/docs' }]);
    await folderCommands.backupFolderCommand(app);
    assert.deepEqual(fake.messages.at(-1), { level: 'warning', text: summary });
    assert.ok(!fake.messages.some((m) => m.level === 'info'), 'no info message for a partial backup');
    const lines = (app as unknown as { lines: string[] }).lines;
    assert.ok(lines.includes('  What to do: Let user nobody read it'), lines.join('\n'));
  });

  test('Restore Folder Snapshot picks a snapshot of the bucket and restores it into the chosen folder', async () => {
    fake.messages.length = 0;
    const snapshots: SnapshotInfo[] = [
      {
        source: 'docs',
        snapshotId: '20261123T120000Z-b',
        time: '2026-11-23T12:00:00.000Z',
        files: 3,
        bytes: 2048,
        dir: '/data/docs',
        host: 'pc',
      },
      {
        source: 'docs',
        snapshotId: '20261122T120000Z-a',
        time: '2026-11-22T12:00:00.000Z',
        files: 2,
        bytes: 1024,
        dir: '/data/docs',
        host: 'pc',
      },
    ];
    const restored: unknown[] = [];
    const app = fakeApp({
      folders: {
        backupFolder: async () => assert.fail('not called'),
        listSnapshots: async (_c, query) => {
          assert.deepEqual(query, { bucket: 'b', prefix: 'p' });
          return snapshots;
        },
        restoreSnapshot: async (_c, input) => {
          restored.push(input);
          return { summary: 'Restored 2 files.', target: input.target, files: 2 };
        },
      },
    });
    const items = folderCommands.snapshotItems(snapshots);
    assert.match(items[0]!.label, /^docs · 2026-11-23 12:00 UTC$/);
    assert.match(items[1]!.description!, /2 files/);
    fake.answers.push(items[1], [{ fsPath: '/restore/here' }]);
    const result = await folderCommands.restoreSnapshotCommand(app);
    assert.equal(result?.files, 2);
    assert.deepEqual(restored, [
      { bucket: 'b', prefix: 'p', source: 'docs', snapshotId: '20261122T120000Z-a', target: '/restore/here' },
    ]);
  });

  test('folder progress reads as files and bytes, the restore as a percentage', () => {
    const scan = core.folderBackupProgressText({
      phase: 'scan',
      source: 'docs',
      files: 1200,
      bytes: 5_000_000,
      unchangedFiles: 0,
      hashedFiles: 10,
      hashedBytes: 10,
      uploadedBlobs: 3,
      uploadedBytes: 2_000_000,
      skipped: 0,
    });
    assert.match(scan.message, /1,200 files · .*MB.* uploaded/);
    const restore = core.snapshotRestoreProgressText({
      phase: 'restore',
      source: 'docs',
      files: 4,
      filesDone: 1,
      bytes: 400,
      bytesDone: 100,
    });
    assert.deepEqual(restore, { message: '1 of 4 files', percent: 25 });
  });
});

describe('stack deploys', () => {
  // The real catalogue (infra-templates/, found up the tree) and parameter checks; the deploy is a fake.
  const real = core.coreFeatures().stacks;
  const deployed: { input: unknown; approved: boolean }[] = [];
  const stacks: Features['stacks'] = {
    ...real,
    deployStack: async (_clients, input, options): Promise<StackDeployResult> => {
      const approved = await options.approve([
        { action: 'Add', logicalId: 'BackupBucket', resourceType: 'AWS::S3::Bucket' },
      ]);
      deployed.push({ input, approved });
      return approved
        ? {
            stackName: 'coldkeep-backup-bucket',
            executed: true,
            noChanges: false,
            status: 'CREATE_COMPLETE',
            outputs: { BucketName: 'my-backups', Prefix: 'coldkeep' },
          }
        : { stackName: 'coldkeep-backup-bucket', executed: false, noChanges: false, outputs: {} };
    },
  };

  test('the catalogue and parameter checks come from the templates', async () => {
    const names = (await real.listTemplates()).map((t) => t.name);
    assert.ok(names.includes('backup-bucket'), names.join(', '));
    // A template that runs the Lambda bundle says so when its zip is not where the deploy looks.
    const saved = process.env.COLDKEEP_LAMBDA_BUNDLE;
    try {
      process.env.COLDKEEP_LAMBDA_BUNDLE = '/nonexistent/table-backup.zip';
      const schedule = (await real.listTemplates()).find((t) => t.name === 'table-backup-schedule');
      assert.match(schedule?.missing ?? '', /COLDKEEP_LAMBDA_BUNDLE/);
      assert.equal((await real.listTemplates()).find((t) => t.name === 'backup-bucket')?.missing, undefined);
      process.env.COLDKEEP_LAMBDA_BUNDLE = __filename;
      assert.equal((await real.listTemplates()).find((t) => t.name === 'table-backup-schedule')?.missing, undefined);
    } finally {
      if (saved === undefined) delete process.env.COLDKEEP_LAMBDA_BUNDLE;
      else process.env.COLDKEEP_LAMBDA_BUNDLE = saved;
    }
    const params = await real.templateParameters('table-backup-schedule');
    assert.ok(!params.some((p) => p.name === 'CodeKey'), 'the deploy fills in the Lambda key itself');
    const problems = real.validateParameters('backup-bucket', { BucketName: 'Bad_Bucket' });
    assert.deepEqual(
      problems.map((p) => [p.parameter, p.code]),
      [['BucketName', 'Pattern']],
    );
  });

  test('Deploy Stack: each value is validated before any AWS call, the change set is previewed, Deploy runs it', async () => {
    fake.messages.length = 0;
    deployed.length = 0;
    const app = fakeApp({ stacks });
    // A bad bucket name is refused in the input box: nothing is deployed.
    fake.answers.push({ label: 'backup-bucket' }, { action: 'edit', parameter: 'BucketName' }, 'Bad_Bucket');
    assert.equal(await stackCommands.deployStackCommand(app), undefined);
    assert.match(fake.messages.at(-1)!.text, /Bad_Bucket.*would not be accepted.*BucketName/s);
    assert.equal(deployed.length, 0);
    fake.answers.length = 0;

    fake.answers.push({ label: 'backup-bucket' }, { action: 'edit', parameter: 'BucketName' }, 'my-backups', {
      action: 'deploy',
    });
    fake.modalReplies.push('Deploy');
    const result = await stackCommands.deployStackCommand(app);
    assert.equal(result?.executed, true);
    assert.deepEqual(deployed, [
      {
        input: { template: 'backup-bucket', stackName: 'coldkeep-backup-bucket', params: { BucketName: 'my-backups' } },
        approved: true,
      },
    ]);
    const preview = fake.messages.find((m) => /Deploy stack coldkeep-backup-bucket: 1 change/.test(m.text));
    assert.ok(preview, 'the change set was shown for confirmation');
    assert.match(
      fake.messages.at(-1)!.text,
      /Deployed stack coldkeep-backup-bucket \(CREATE_COMPLETE\)\. Bucket: my-backups/,
    );
    const form = fake.picks.at(-1) as { label: string; description?: string }[];
    assert.equal(form.find((i) => i.label === 'BucketName')?.description, 'my-backups');
    assert.equal(form.find((i) => i.label === 'Prefix')?.description, 'coldkeep (default)');

    // Closing the preview discards the change set.
    fake.answers.push({ action: 'deploy' });
    fake.modalReplies.push(undefined);
    const declined = await stackCommands.deployStackCommand(app, 'backup-bucket');
    assert.equal(declined?.executed, false);
    assert.equal(deployed.at(-1)?.approved, false);
    assert.match(fake.messages.at(-1)!.text, /Nothing was deployed/);
  });

  test('a preset given to the command keeps only what it knows', () => {
    assert.deepEqual(stackCommands.deployPresetArgument({ params: { Days: 7 }, approve: true, other: 1 }), {
      params: { Days: '7' },
      approve: true,
    });
    assert.deepEqual(stackCommands.deployPresetArgument('backup-bucket'), {});
  });

  test('cancelling a deploy says what CloudFormation does with the stack', async () => {
    fake.messages.length = 0;
    let pressCancel: (() => void) | undefined;
    fake.onProgress = (cancel) => (pressCancel = cancel);
    const app = fakeApp({
      stacks: {
        ...stacks,
        deployStack: async (_clients, _input, { signal }) => {
          setTimeout(() => pressCancel!(), 10);
          await sleep(10_000, signal).catch(() => undefined);
          throw new CancelledError('Stopped waiting: CloudFormation goes on creating "coldkeep-backup-bucket".');
        },
      },
    });
    const result = await stackCommands.deployStackCommand(app, 'backup-bucket', { params: {}, approve: true });
    fake.onProgress = undefined;
    assert.equal(result, undefined);
    assert.match(fake.messages.at(-1)!.text, /cancelled\. Stopped waiting: CloudFormation goes on creating/);
  });

  test('stack progress counts settled resources against the change set', () => {
    const track = core.stackProgressTracker();
    const changes = [
      { action: 'Add', logicalId: 'A', resourceType: 'AWS::S3::Bucket' },
      { action: 'Modify', logicalId: 'B', resourceType: 'AWS::IAM::Role', replacement: 'True' },
    ];
    assert.deepEqual(core.changeLines(changes), ['Add A (AWS::S3::Bucket)', 'Modify B (AWS::IAM::Role) — replaced']);
    assert.match(track({ phase: 'changes', stackName: 's', changes }).message, /2 change/);
    const event = (logicalId: string, status: string) =>
      track({
        phase: 'event',
        stackName: 's',
        event: { timestamp: '', logicalId, resourceType: 'AWS::S3::Bucket', status },
      });
    assert.equal(event('A', 'CREATE_IN_PROGRESS').percent, 0);
    assert.equal(event('A', 'CREATE_COMPLETE').percent, 50);
    assert.deepEqual(track({ phase: 'done', stackName: 's', status: 'CREATE_COMPLETE' }), {
      message: 'CREATE_COMPLETE',
      percent: 100,
    });
  });
});

describe('table backup engine', () => {
  test('coldkeep.engine: auto by default, checked, and passed to the backup', () => {
    const s = settings.readSettings(config({}));
    assert.equal(s.engine, 'auto');
    assert.equal(
      settings.backupInputFrom(settings.readSettings(config({ engine: 'export' })), 't', 'b').engine,
      'export',
    );
    assert.throws(() => settings.readSettings(config({ engine: 'fast' })), /coldkeep\.engine.*"fast"/);
    assert.deepEqual(tableCommands.engineArgument('scan'), { engine: 'scan' });
    assert.deepEqual(tableCommands.engineArgument({ engine: 'export', incremental: true }), {
      engine: 'export',
      incremental: true,
    });
    assert.equal(tableCommands.engineArgument('fast'), undefined);
    const items = tableCommands.engineItems('scan');
    assert.deepEqual(
      items.map((i) => i.label),
      ['Scan', 'Auto', 'Export', 'Incremental export'],
    );
    assert.equal(items[0]!.description, 'coldkeep.engine setting');
  });

  test('Back Up Table asks for the engine only when the table has point-in-time recovery', async () => {
    const dynamodb = new DynamoDBClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    const mock = mockClient(dynamodb);
    try {
      mock.on(DescribeContinuousBackupsCommand).resolves({
        ContinuousBackupsDescription: {
          ContinuousBackupsStatus: 'ENABLED',
          PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED' },
        },
      });
      const app = fakeApp({}, { dynamodb });
      const picks = fake.picks.length;
      fake.answers.push(undefined);
      assert.equal(await tableCommands.backupTableCommand(app, 'Orders'), undefined, 'Escape: no backup');
      assert.equal(fake.picks.length, picks + 1);
      assert.deepEqual(
        (fake.picks.at(-1) as { label: string }[]).map((i) => i.label),
        ['Auto', 'Scan', 'Export', 'Incremental export'],
      );
      assert.deepEqual(
        mock.calls().map((c) => c.args[0].constructor.name),
        ['DescribeContinuousBackupsCommand'],
        'nothing read from the table',
      );

      mock.reset();
      mock.on(DescribeContinuousBackupsCommand).resolves({
        ContinuousBackupsDescription: {
          ContinuousBackupsStatus: 'DISABLED',
          PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' },
        },
      });
      mock.on(DescribeTableCommand).rejects(new Error('stop here'));
      fake.messages.length = 0;
      assert.equal(await tableCommands.backupTableCommand(app, 'Orders'), undefined);
      assert.equal(fake.picks.length, picks + 1, 'no engine pick without PITR: the setting (auto) applies');
      assert.ok(mock.commandCalls(DescribeTableCommand).length >= 1, 'the backup went ahead');
      assert.match(fake.messages.at(-1)!.text, /^Backup failed/);
    } finally {
      mock.restore();
      dynamodb.destroy();
    }
  });
});
