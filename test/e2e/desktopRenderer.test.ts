import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  AwsClients,
  DEMO_TABLE,
  DrillRecords,
  durationText,
  MemorySecretStore,
  newSource,
  TOOL_NAME,
} from '@coldkeep/shared';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type ResourceStatus,
  type StackEvent as SdkStackEvent,
} from '@aws-sdk/client-cloudformation';
import { ColdkeepApp } from 'coldkeep-desktop/dist/main/coldkeepApp';
import { stacksFrom } from 'coldkeep-desktop/dist/main/stacksService';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { openRenderer, type RendererSession } from '../helpers/rendererHarness';

const STACK = 'coldkeep-backup-bucket';
const STACK_ID = `arn:aws:cloudformation:us-east-1:111122223333:stack/${STACK}/1234`;
const CHANGE_SET_ID = 'arn:aws:cloudformation:us-east-1:111122223333:changeSet/cs/5678';
const BUCKET = 'my-coldkeep-backups';

/**
 * CloudFormation, which no emulator serves, as aws-sdk-client-mock: a new stack whose change set
 * adds the key and the bucket; once executed its events come in two batches, the second (and the
 * end of the deploy) held back until the test has seen the first in the page.
 */
function mockCloudFormation(cf: AwsClientStub<CloudFormationClient>): { release(): void } {
  let executed = false;
  let released = false;
  let counter = 0;
  const event = (logicalId: string, type: string, status: ResourceStatus): SdkStackEvent => ({
    EventId: `e${++counter}`,
    StackId: STACK_ID,
    StackName: STACK,
    LogicalResourceId: logicalId,
    ResourceType: type,
    ResourceStatus: status,
    Timestamp: new Date(Date.UTC(2026, 10, 23, 12, 0, counter)),
  });
  const first = [
    event(STACK, 'AWS::CloudFormation::Stack', 'CREATE_IN_PROGRESS'),
    event('BackupKey', 'AWS::KMS::Key', 'CREATE_IN_PROGRESS'),
  ];
  const second = [
    event('BackupKey', 'AWS::KMS::Key', 'CREATE_COMPLETE'),
    event('BackupBucket', 'AWS::S3::Bucket', 'CREATE_COMPLETE'),
    event(STACK, 'AWS::CloudFormation::Stack', 'CREATE_COMPLETE'),
  ];
  const missing = Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: 'ValidationError' });
  cf.on(DescribeStacksCommand, { StackName: STACK }).rejects(missing);
  cf.on(DescribeStacksCommand, { StackName: STACK_ID }).callsFake(() => ({
    Stacks: [
      {
        StackName: STACK,
        StackId: STACK_ID,
        CreationTime: new Date(),
        StackStatus: released ? 'CREATE_COMPLETE' : 'CREATE_IN_PROGRESS',
        ...(released
          ? {
              Outputs: [
                { OutputKey: 'BucketName', OutputValue: BUCKET, Description: 'The backup bucket' },
                { OutputKey: 'BucketArn', OutputValue: `arn:aws:s3:::${BUCKET}` },
              ],
            }
          : {}),
      },
    ],
  }));
  cf.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ID, StackId: STACK_ID });
  cf.on(DescribeChangeSetCommand).resolves({
    Status: 'CREATE_COMPLETE',
    StackId: STACK_ID,
    Changes: [
      {
        Type: 'Resource',
        ResourceChange: { Action: 'Add', LogicalResourceId: 'BackupKey', ResourceType: 'AWS::KMS::Key' },
      },
      {
        Type: 'Resource',
        ResourceChange: { Action: 'Add', LogicalResourceId: 'BackupBucket', ResourceType: 'AWS::S3::Bucket' },
      },
    ],
  });
  cf.on(DeleteChangeSetCommand).resolves({});
  cf.on(DeleteStackCommand).resolves({});
  cf.on(ExecuteChangeSetCommand).callsFake(() => {
    executed = true;
    return {};
  });
  // Newest first, as CloudFormation lists them; nothing before the change set is executed.
  cf.on(DescribeStackEventsCommand).callsFake(() => ({
    StackEvents: (executed ? (released ? [...first, ...second] : first) : []).slice().reverse(),
  }));
  return {
    release: () => {
      released = true;
    },
  };
}

describe('desktop window in headless Chromium, on the real main-process handlers and the demo emulators', () => {
  let app: ColdkeepApp;
  let ui: RendererSession;
  let dataDir: string;
  let folder: string;
  /** The folder's files, by path relative to it, as they must come back from a restore. */
  const folderFiles: Record<string, Buffer> = {
    'notes.txt': Buffer.from('hello'),
    'photos/2026/beach.bin': randomBytes(300_000),
    'photos/empty.txt': Buffer.alloc(0),
  };
  const cf = mockClient(CloudFormationClient);
  const cloudFormation = mockCloudFormation(cf);

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'coldkeep-desktop-ui-'));
    folder = join(dataDir, 'Documents');
    for (const [path, bytes] of Object.entries(folderFiles)) {
      await mkdir(join(folder, path, '..'), { recursive: true });
      await writeFile(join(folder, path), bytes);
    }
    app = await ColdkeepApp.open({
      dataDir,
      scheduleDir: join(dataDir, 'schedule'),
      appInfo: {
        name: TOOL_NAME,
        version: '0.0.0-test',
        electronVersion: 'none (Chromium)',
        platform: process.platform,
      },
      secrets: { store: new MemorySecretStore(), problem: () => undefined },
      pickFolder: async () => folder,
      stacks: stacksFrom({ pollIntervalMs: 50 }),
      retry: { baseMs: 1, maxMs: 2, maxAttempts: 2 },
      env: {
        ...process.env,
        AWS_CONFIG_FILE: join(dataDir, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dataDir, 'no-creds'),
      },
    });
    await app.start();
    ui = await openRenderer(app.handlers());
  });

  after(async () => {
    await ui?.close();
    await app?.scheduler.cancelAll();
    await app?.close();
    cf.restore();
  });

  test('demo mode, add a table and a folder, back up now, see the runs in History, restore the backup', async () => {
    const { page } = ui;
    await ui.open('settings');
    await page.click('#demo-toggle');
    await page.waitForSelector('#demo-state:has-text("Demo mode is on")', { timeout: 60_000 });
    assert.match((await page.textContent('#app-info')) ?? '', /coldkeep 0\.0\.0-test/i);
    assert.match((await page.textContent('#mfa-device')) ?? '', /MFA device: none/);
    await ui.screenshot('01-settings-demo');

    await ui.open('sources');
    await page.waitForSelector(`#table-select option[value="${DEMO_TABLE}"]`, { state: 'attached' });
    await page.selectOption('#table-select', DEMO_TABLE);
    await page.selectOption('#engine-select', 'scan');
    await page.fill('#new-cron', 'every night');
    await page.click('#add-table');
    await page.waitForSelector('#sources-status .error:has-text("not a cron expression")');
    await page.fill('#new-cron', '0 3 * * *');
    await page.click('#add-table');
    await page.waitForSelector(`#sources-table .source-name:has-text("${DEMO_TABLE}")`);
    await page.click('#add-folder');
    await page.waitForSelector(`#sources-table .source-name:has-text("${folder}")`);
    await ui.screenshot('02-sources');

    const [tableSource, folderSource] = await app.sources();
    assert.equal(tableSource?.kind === 'table' ? tableSource.engine : undefined, 'scan', 'the chosen engine is saved');
    const row = (id: string) => `#sources-table tr:has(button.run-source[data-source="${id}"])`;
    await page.click(`button.run-source[data-source="${tableSource!.id}"]`);
    await page.waitForSelector(`${row(tableSource!.id)} .last-run.succeeded`, { timeout: 60_000 });
    await page.click(`button.run-source[data-source="${folderSource!.id}"]`);
    await page.waitForSelector(`${row(folderSource!.id)} .last-run.succeeded`, { timeout: 60_000 });
    await ui.screenshot('03-sources-after-runs');

    await ui.open('history');
    await page.waitForSelector('#history-table');
    assert.deepEqual(await page.$$eval('#history-table .run-status', (cells) => cells.map((c) => c.textContent)), [
      'succeeded',
      'succeeded',
    ]);
    assert.match((await page.textContent('#history-table tr:has-text("Documents")')) ?? '', /3 files, 300\.\d+ KB/);
    await page.click(`#history-table tr:has-text("${DEMO_TABLE}") .run-link`);
    await page.waitForSelector('#run-details .restore-point');
    const backupId = (await page.textContent('#run-details .restore-point'))!;
    assert.match((await page.textContent('#run-details')) ?? '', /200 items/);
    assert.match((await page.textContent('#run-details .engine')) ?? '', /^scan: asked for the scan engine/);
    await ui.screenshot('04-history-details');

    await ui.open('restore');
    await page.waitForSelector(`#restore-source option[value="${tableSource!.id}"]`, { state: 'attached' });
    await page.selectOption('#restore-source', tableSource!.id);
    await page.waitForSelector(`#restore-point option[value="${backupId}"]`, { state: 'attached' });
    await page.fill('#restore-target', 'studentData-from-window');
    await page.click('#restore-run');
    await page.waitForSelector('#restore-result .ok', { timeout: 60_000 });
    assert.match((await page.textContent('#restore-result .ok')) ?? '', /200 items written to studentData-from-window/);
    await ui.screenshot('05-restore');

    // A restore can be cancelled from the page: it stops, and its error says what it had written.
    assert.equal(await page.isHidden('#restore-cancel'), true, 'no Cancel button while nothing runs');
    await page.fill('#restore-target', 'studentData-cancelled');
    await page.click('#restore-run');
    await page.click('#restore-cancel');
    await page.waitForSelector('#restore-status .error', { timeout: 60_000 });
    assert.match((await page.textContent('#restore-status .error')) ?? '', /cancel/i);
    assert.equal(await page.isHidden('#restore-cancel'), true);
    assert.equal(app.restores.isRunning, false);
    await ui.screenshot('05b-restore-cancelled');

    const clients = new AwsClients((await app.clients()).settings);
    try {
      const scan = await clients.dynamodb.send(
        new ScanCommand({ TableName: 'studentData-from-window', Select: 'COUNT' }),
      );
      assert.equal(scan.Count, 200, 'the restored table holds every item');
    } finally {
      clients.destroy();
    }
    assert.deepEqual(ui.pageErrors, []);
  });

  test('folder: the snapshot in History, restored from the Restore page into a new folder, byte for byte', async () => {
    const { page } = ui;
    const folderSource = (await app.sources()).find((s) => s.kind === 'folder')!;
    await ui.open('history');
    await page.click('#history-table tr:has-text("Documents") .run-link');
    await page.waitForSelector('#run-details .restore-point');
    const snapshotId = (await page.textContent('#run-details .restore-point'))!;
    assert.match((await page.textContent('#run-details')) ?? '', /3 files/);
    await ui.screenshot('08-history-folder-snapshot');

    await ui.open('restore');
    await page.waitForSelector(`#restore-source option[value="${folderSource.id}"]`, { state: 'attached' });
    await page.selectOption('#restore-source', folderSource.id);
    await page.waitForSelector(`#restore-point option[value="${snapshotId}"]`, { state: 'attached' });
    assert.match((await page.textContent(`#restore-point option[value="${snapshotId}"]`)) ?? '', /3 files/);
    await page.fill('#restore-target', 'Restored');
    await page.click('#restore-run');
    await page.waitForSelector('#restore-status .error:has-text("not a full folder path")');

    const target = join(dataDir, 'Restored');
    await page.fill('#restore-target', target);
    await page.click('#restore-run');
    await page.waitForSelector('#restore-result .ok', { timeout: 60_000 });
    assert.match((await page.textContent('#restore-result .ok')) ?? '', /3 files, .* restored into .*Restored/);
    await ui.screenshot('09-restore-folder');
    for (const [path, bytes] of Object.entries(folderFiles)) {
      assert.ok((await readFile(join(target, path))).equals(bytes), `${path} came back byte for byte`);
    }

    // Again into the same folder: nothing is replaced unless asked, and the page says so.
    await writeFile(join(target, 'notes.txt'), 'changed since');
    await page.click('#restore-run');
    await page.waitForSelector('#restore-result .ok:has-text("0 files, 0 B restored")', { timeout: 60_000 });
    assert.match((await page.textContent('#restore-result .ok')) ?? '', /; 3 already there left alone/);
    assert.equal(await readFile(join(target, 'notes.txt'), 'utf8'), 'changed since');
    assert.deepEqual(ui.pageErrors, []);
  });

  test('stacks: the real templates as a form, validation in the page and in main, change-set preview, deploy with live events and outputs', async () => {
    const { page } = ui;
    await ui.open('stacks');
    await page.waitForSelector('#stack-template option[value="table-backup-schedule"]', { state: 'attached' });

    // A rule over two values is checked in main (the page checks one value at a time).
    await page.selectOption('#stack-template', 'table-backup-schedule');
    await page.waitForSelector('#param-Tables');
    assert.equal(await page.inputValue('#stack-name'), 'coldkeep-table-backup-schedule');
    assert.equal(await page.$('#param-CodeKey'), null, 'the parameter the deploy fills in is not asked for');
    assert.match((await page.textContent('#stack-note')) ?? '', /serverless/);
    assert.match((await page.textContent('#stack-note .lambda-note')) ?? '', /Lambda bundle/);
    await page.fill('#param-Tables', 'studentData');
    await page.fill('#param-BucketName', BUCKET);
    await page.fill('#param-NotifyRecipient', 'ops@example.com');
    await page.click('#stack-preview-button');
    await page.waitForSelector(
      '#stacks-status .error:has-text("NotifySender (an address verified in SES) is required")',
    );
    assert.equal(cf.commandCalls(CreateChangeSetCommand).length, 0, 'nothing reached CloudFormation');

    await page.selectOption('#stack-template', 'backup-bucket');
    await page.waitForSelector('#param-ArchiveAfterDays');
    assert.equal(await page.inputValue('#stack-name'), STACK, 'the stack name follows the template');
    assert.equal(await page.$('#stack-note .lambda-note'), null);
    assert.equal(await page.inputValue('#param-ArchiveAfterDays'), '14');
    assert.deepEqual(
      await page.$$eval('#param-ObjectLockMode option', (options) => options.map((o) => o.textContent)),
      ['NONE', 'GOVERNANCE', 'COMPLIANCE'],
    );
    await page.fill('#param-BucketName', 'Not A Bucket');
    await page.fill('#param-ArchiveAfterDays', '0');
    assert.match((await page.textContent('#param-BucketName-problem')) ?? '', /does not match .*3-63 lower-case/);
    assert.match((await page.textContent('#param-ArchiveAfterDays-problem')) ?? '', /below the minimum 1/);
    await page.click('#stack-preview-button');
    await page.waitForSelector('#stacks-status .error:has-text("Check the form")');
    assert.equal(await page.isDisabled('#stack-deploy'), true);
    await ui.screenshot('06-stack-validation');

    await page.fill('#param-BucketName', BUCKET);
    await page.fill('#param-ArchiveAfterDays', '30');
    await page.click('#stack-preview-button');
    await page.waitForSelector('#change-set td:has-text("AWS::KMS::Key")');
    await page.waitForSelector('#stack-deploy:not([disabled])');
    assert.equal(cf.commandCalls(ExecuteChangeSetCommand).length, 0, 'a preview executes nothing');
    assert.equal(cf.commandCalls(DeleteChangeSetCommand).length, 1, 'the preview change set is discarded');
    assert.equal(cf.commandCalls(DeleteStackCommand).length, 1, 'and so is the empty stack it made');
    await ui.screenshot('07-stack-preview');
    // An edit after the preview asks for a new one: Deploy sends only what was previewed.
    await page.fill('#param-ArchiveAfterDays', '31');
    assert.equal(await page.isDisabled('#stack-deploy'), true);
    await page.fill('#param-ArchiveAfterDays', '30');
    await page.click('#stack-preview-button');
    await page.waitForSelector('#stack-deploy:not([disabled])');

    await page.click('#stack-deploy');
    await page.waitForSelector('#deploy-state.running');
    await page.waitForSelector('#stack-events td:has-text("AWS::KMS::Key")');
    assert.equal(await page.$$eval('#stack-events tbody tr', (rows) => rows.length), 2, 'the first events, live');
    cloudFormation.release();
    await page.waitForSelector('#deploy-state.succeeded', { timeout: 10_000 });
    assert.match((await page.textContent('#deploy-state')) ?? '', /CREATE_COMPLETE/);
    assert.match((await page.textContent('#stack-outputs')) ?? '', new RegExp(`arn:aws:s3:::${BUCKET}`));
    assert.match((await page.textContent('#stack-outputs')) ?? '', /The backup bucket/);
    assert.equal(await page.$$eval('#stack-events tbody tr', (rows) => rows.length), 5);
    assert.equal(await page.isDisabled('#stack-deploy'), true, 'another deploy needs another preview');

    const changeSets = cf.commandCalls(CreateChangeSetCommand).map((call) => call.args[0].input);
    assert.equal(changeSets.length, 3, 'one change set per preview, one for the deploy');
    assert.equal(cf.commandCalls(ExecuteChangeSetCommand).length, 1);
    const deployed = Object.fromEntries(
      (changeSets[2]!.Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]),
    );
    assert.equal(deployed.BucketName, BUCKET);
    assert.equal(deployed.ArchiveAfterDays, '30');
    assert.equal(changeSets[2]!.ChangeSetType, 'CREATE');
    await ui.screenshot('08-stack-deployed');
    assert.deepEqual(ui.pageErrors, []);
  });

  test('a bad IPC input from the page is refused by main with a clear error, and the page survives', async () => {
    const result = await ui.page.evaluate(async () => {
      try {
        const api = (globalThis as unknown as { coldkeep: { removeSource(input: unknown): Promise<unknown> } })
          .coldkeep;
        await api.removeSource({ id: 42 });
        return 'accepted';
      } catch (err) {
        return `${(err as { code: string }).code}: ${(err as Error).message}`;
      }
    });
    assert.match(result, /^InvalidInput: Invalid input at id/);
    assert.ok(!(await app.sources()).some((s) => s.id === '42'));
  });

  test('status: the demo table goes from "never verified" to verified, with its measured restore time, after a real drill on the emulators', async () => {
    const { page } = ui;
    const tableSource = (await app.sources()).find((s) => s.kind === 'table' && !s.drill)!;
    const row = (id: string) => `#sources-table tr:has(button.run-source[data-source="${id}"])`;
    await ui.open('sources');
    await page.waitForSelector(`${row(tableSource.id)} .verified.never:has-text("never verified")`);
    await page.waitForSelector(`${row(tableSource.id)} .state.attention:has-text("Needs attention: never verified")`);
    await page.waitForSelector('#overall-status.state.attention');

    // A drill source, as "coldkeep schedule add --drill weekly" makes it; Drill Now runs it in the app.
    const drill = await app.store.addSource(
      newSource({ kind: 'table', table: DEMO_TABLE, drill: true, cron: '0 4 * * 0' }),
    );
    await app.scheduler.reload();
    await page.click(`button.run-source[data-source="${drill.id}"]:has-text("Drill Now")`);
    await page.waitForSelector(`${row(tableSource.id)} .state.protected:has-text("Protected")`, { timeout: 120_000 });
    const records = await new DrillRecords(join(dataDir, 'schedule', 'drills.json')).status(`table:${DEMO_TABLE}`);
    assert.equal(records.last?.status, 'succeeded');
    const restoreMs = records.lastVerified!.restoreMs!;
    const shown = (await page.textContent(`${row(tableSource.id)} .verified`)) ?? '';
    assert.ok(shown.endsWith(` · restore ${durationText(restoreMs)}`), shown);
    assert.doesNotMatch(shown, /never verified/);
    // The drill source's row shows the same table's state.
    await page.waitForSelector(`${row(drill.id)} .state.protected`);
    await ui.screenshot('10-sources-verified');
    assert.deepEqual(ui.pageErrors, []);
  });
});
