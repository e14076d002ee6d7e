import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { AwsClients, DEMO_TABLE, MemorySecretStore, TOOL_NAME } from '@coldkeep/shared';
import type { TemplateParameter } from 'coldkeep-desktop/dist/ipc';
import { ColdkeepApp } from 'coldkeep-desktop/dist/main/coldkeepApp';
import type { Stacks } from 'coldkeep-desktop/dist/main/services';
import { openRenderer, type RendererSession } from '../helpers/rendererHarness';

/**
 * A stand-in for the stacks module (issue 6) until it is wired: the bundled template's parameters,
 * a change set and a deploy that streams events and ends with outputs, as CloudFormation would.
 * TODO after wiring: replace with the real Stacks service over aws-sdk-client-mock's CloudFormation.
 */
function scriptedStacks(deployed: { parameters: Record<string, string> }[]): Stacks {
  const parameters: TemplateParameter[] = [
    {
      name: 'BucketName',
      type: 'String',
      description: 'Name of the backup bucket',
      allowedPattern: '[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]',
      constraintDescription: 'lower-case letters, digits, dots and hyphens',
    },
    { name: 'GlacierAfterDays', type: 'Number', default: '14', minValue: 1, maxValue: 3650 },
    { name: 'Encryption', type: 'String', default: 'aws:kms', allowedValues: ['AES256', 'aws:kms'] },
  ];
  return {
    available: true,
    listTemplates: async () => [{ name: 'backup-bucket', description: 'Secure backup bucket' }],
    templateParameters: async () => parameters,
    validateParameters: async (_template, values) =>
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(values.BucketName ?? '') ? [] : ['BucketName is not a bucket name'],
    previewChangeSet: async () => [
      { action: 'Add', logicalId: 'BackupBucket', resourceType: 'AWS::S3::Bucket' },
      { action: 'Add', logicalId: 'BackupKey', resourceType: 'AWS::KMS::Key' },
    ],
    deployStack: async (_clients, input, { onProgress }) => {
      deployed.push({ parameters: input.parameters });
      const steps: [string, string, string][] = [
        [input.stackName, 'AWS::CloudFormation::Stack', 'CREATE_IN_PROGRESS'],
        ['BackupKey', 'AWS::KMS::Key', 'CREATE_COMPLETE'],
        ['BackupBucket', 'AWS::S3::Bucket', 'CREATE_COMPLETE'],
        [input.stackName, 'AWS::CloudFormation::Stack', 'CREATE_COMPLETE'],
      ];
      for (const [logicalId, resourceType, status] of steps) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        onProgress?.({ timestamp: new Date().toISOString(), logicalId, resourceType, status });
      }
      return {
        outputs: {
          BucketName: input.parameters.BucketName ?? '',
          BucketArn: `arn:aws:s3:::${input.parameters.BucketName}`,
        },
      };
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
  const deployed: { parameters: Record<string, string> }[] = [];

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
      stacks: scriptedStacks(deployed),
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

  test('stacks: a form from the template parameters, validation, change-set preview, deploy with live events and outputs', async () => {
    const { page } = ui;
    await ui.open('stacks');
    await page.waitForSelector('#param-BucketName');
    assert.equal(await page.inputValue('#param-GlacierAfterDays'), '14');
    assert.deepEqual(await page.$$eval('#param-Encryption option', (options) => options.map((o) => o.textContent)), [
      'AES256',
      'aws:kms',
    ]);
    await page.fill('#param-BucketName', 'Not A Bucket');
    await page.fill('#param-GlacierAfterDays', '0');
    assert.match((await page.textContent('#param-BucketName-problem')) ?? '', /does not match/);
    assert.match((await page.textContent('#param-GlacierAfterDays-problem')) ?? '', /at least 1/);
    await page.click('#stack-preview-button');
    await page.waitForSelector('#stacks-status .error:has-text("Check the form")');
    assert.equal(await page.isDisabled('#stack-deploy'), true);

    await page.fill('#param-BucketName', 'my-coldkeep-backups');
    await page.fill('#param-GlacierAfterDays', '30');
    await page.click('#stack-preview-button');
    await page.waitForSelector('#change-set td:has-text("AWS::KMS::Key")');
    await ui.screenshot('06-stack-preview');
    await page.click('#stack-deploy');
    await page.waitForSelector('#stack-events td:has-text("CREATE_IN_PROGRESS")');
    await page.waitForSelector('#deploy-state.succeeded', { timeout: 10_000 });
    assert.match((await page.textContent('#stack-outputs')) ?? '', /arn:aws:s3:::my-coldkeep-backups/);
    assert.equal(await page.$$eval('#stack-events tbody tr', (rows) => rows.length), 4);
    assert.deepEqual(deployed, [
      { parameters: { BucketName: 'my-coldkeep-backups', GlacierAfterDays: '30', Encryption: 'aws:kms' } },
    ]);
    await ui.screenshot('07-stack-deployed');
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
});
