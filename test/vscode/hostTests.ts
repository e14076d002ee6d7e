import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  AwsClients,
  type BackupReport,
  type BackupSummary,
  countItems,
  type DrillTableReport,
  listSnapshots,
  type RestoreReport,
  type VerifyBackupReport,
  stackStatus,
} from '@coldkeep/shared';
import * as vscode from 'vscode';
import type { ColdkeepApi } from '../../extension/src/extension';
import type { FolderBackupResult, StackDeployResult } from '../../extension/src/features/features';
import type { TreeNode } from '../../extension/src/views/nodes';

/** Written by the driver into the workspace folder: what it seeded. */
export interface HostFixture {
  table: string;
  items: number;
  bucket: string;
  /** AWS settings of the target (endpoints, region); credentials come from the environment. */
  endpoints: Record<string, string>;
  region: string;
}

const tests: { name: string; fn: () => Promise<void> }[] = [];
function test(name: string, fn: () => Promise<void>): void {
  tests.push({ name, fn });
}
export const hostTests = tests;

const state: { api?: ColdkeepApi; backup?: BackupReport } = {};

function folder(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'the test window has a workspace folder');
  return f.uri.fsPath;
}

function fixture(): HostFixture {
  return JSON.parse(readFileSync(join(folder(), 'coldkeep-test.json'), 'utf8')) as HostFixture;
}

function targetClients(): AwsClients {
  const f = fixture();
  return new AwsClients({ region: f.region, endpoints: f.endpoints });
}

async function api(): Promise<ColdkeepApi> {
  if (state.api) return state.api;
  const extension = vscode.extensions.getExtension<ColdkeepApi>('coldkeep.coldkeep-vscode');
  assert.ok(extension, 'the Coldkeep extension is loaded');
  state.api = await extension.activate();
  return state.api;
}

/** A diagnostic's code: Coldkeep's are `{ value, target }` (a link to docs/policy-lint.md). */
function codeValue(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

async function completionsAt(uri: vscode.Uri, position: vscode.Position): Promise<vscode.CompletionItem[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>(
    'vscode.executeCompletionItemProvider',
    uri,
    position,
  );
  return list.items.filter((i) =>
    String(typeof i.label === 'string' ? i.label : i.label.label).startsWith('coldkeep-'),
  );
}

async function until<T>(
  what: string,
  probe: () => PromiseLike<T | undefined> | T | undefined,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function backupsInView(table: string): Promise<BackupSummary[]> {
  const { backups } = await api();
  const [bucket] = await backups.getChildren();
  assert.equal(bucket?.kind, 'bucket');
  const tables = await backups.getChildren(bucket);
  const node = tables.find(
    (n): n is Extract<TreeNode, { kind: 'backupTable' }> => n.kind === 'backupTable' && n.table === table,
  );
  if (!node) return [];
  return (await backups.getChildren(node)).flatMap((n) => (n.kind === 'backup' ? [n.backup] : []));
}

test('the Tables view lists the demo table with its item count, keys and billing mode', async () => {
  const { tables } = await api();
  const f = fixture();
  const connection = await until('the connection node', async () => (await tables.getChildren())[0]);
  assert.equal(connection.kind, 'connection');
  const children = await tables.getChildren(connection);
  const table = children.find(
    (n): n is Extract<TreeNode, { kind: 'table' }> => n.kind === 'table' && n.name === f.table,
  );
  assert.ok(
    table,
    `table ${f.table} is listed (got ${children.map((c) => JSON.stringify(c).slice(0, 80)).join(', ')})`,
  );
  const item = tables.getTreeItem(table);
  assert.match(String(item.description), /items ·/);
  assert.match(String(item.tooltip), /StudentId \(partition key, S\)/);
  assert.match(String(item.tooltip), /Billing: on demand/);
});

test('Back Up Table creates a backup that is listed in the Backups view and stored in S3', async () => {
  const f = fixture();
  const report = await vscode.commands.executeCommand<BackupReport | undefined>('coldkeep.backupTable', f.table);
  assert.ok(report, 'the command returns the backup report');
  assert.equal(report.itemCount, f.items);
  state.backup = report;
  const listed = await backupsInView(f.table);
  assert.ok(
    listed.some((b) => b.backupId === report.backupId),
    'the new backup is in the Backups view',
  );
  const clients = targetClients();
  try {
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: f.bucket, Key: report.manifestKey }));
    assert.ok((head.ContentLength ?? 0) > 0, 'the manifest is in S3');
  } finally {
    clients.destroy();
  }
});

test('Restore to New Table writes every item into a new table', async () => {
  const f = fixture();
  const [backup] = await backupsInView(f.table);
  assert.ok(backup, 'a backup to restore');
  const target = `${f.table}-copy`;
  const report = await vscode.commands.executeCommand<RestoreReport | undefined>(
    'coldkeep.restoreToNewTable',
    { kind: 'backup', backup, locked: false },
    target,
  );
  assert.ok(report, 'the command returns the restore report');
  assert.equal(report.createdTable, true);
  assert.equal(report.itemsWritten, f.items);
  const clients = targetClients();
  try {
    assert.equal(await countItems(clients.dynamodb, target, 1), f.items);
  } finally {
    clients.destroy();
  }
  const { tables } = await api();
  tables.refresh();
  const [connection] = await tables.getChildren();
  const names = (await tables.getChildren(connection)).flatMap((n) => (n.kind === 'table' ? [n.name] : []));
  assert.ok(names.includes(target), 'the new table shows in the Tables view');
});

test('Verify Backup reads every file and writes nothing', async () => {
  const f = fixture();
  const [backup] = await backupsInView(f.table);
  const report = await vscode.commands.executeCommand<VerifyBackupReport | undefined>('coldkeep.verifyBackup', {
    kind: 'backup',
    backup,
    locked: false,
  });
  assert.ok(report);
  assert.equal(report.ok, true, report.problems.join('; '));
  assert.equal(report.itemsVerified, f.items);
  assert.ok(report.files.every((file) => file.check === 'ok'));
});

test('Drill Table restores the latest backup into a scratch table, compares it, and the Tables view says verified', async () => {
  const f = fixture();
  const report = await vscode.commands.executeCommand<DrillTableReport | undefined>('coldkeep.drillTable', f.table);
  assert.ok(report, 'the command returns the drill report');
  assert.equal(report.status, 'succeeded', report.problems.join('; '));
  assert.equal(report.itemsCompared, f.items);
  assert.equal(report.scratchDeleted, true);
  const { tables } = await api();
  tables.refresh();
  const [connection] = await tables.getChildren();
  const node = (await tables.getChildren(connection)).find((n) => n.kind === 'table' && n.name === f.table);
  assert.ok(node, 'the table is in the view');
  const item = tables.getTreeItem(node);
  assert.match(String(item.description), / · verified \d{4}-\d\d-\d\d \d\d:\d\d UTC, restore /);
  assert.match(String(item.tooltip), /Last verified restore: .*measured restore time/);
});

test('Copy S3 URI puts the backup URI on the clipboard', async () => {
  const f = fixture();
  const [backup] = await backupsInView(f.table);
  await vscode.commands.executeCommand('coldkeep.copyBackupUri', { kind: 'backup', backup, locked: false });
  assert.equal(await vscode.env.clipboard.readText(), backup!.uri);
});

test('Show Backup Details opens the manifest with its files and checksums', async () => {
  const f = fixture();
  const [backup] = await backupsInView(f.table);
  const document = await vscode.commands.executeCommand<vscode.TextDocument | undefined>('coldkeep.showBackupDetails', {
    kind: 'backup',
    backup,
    locked: false,
  });
  assert.ok(document, 'a document opens');
  const details = JSON.parse(document.getText()) as {
    uri: string;
    locked: boolean;
    manifest: { itemCount: number; files: { sha256: string }[] };
  };
  assert.equal(details.uri, backup!.uri);
  assert.equal(details.locked, false);
  assert.equal(details.manifest.itemCount, f.items);
  assert.match(details.manifest.files[0]!.sha256, /^[0-9a-f]{64}$/);
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
});

test('a bad policy file gets diagnostics, and the quick fixes repair it', async () => {
  const file = vscode.Uri.file(join(folder(), 'bad-policy.json'));
  const text = JSON.stringify(
    { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::my-backups' }] },
    null,
    2,
  );
  await vscode.workspace.fs.writeFile(file, Buffer.from(text));
  const document = await vscode.workspace.openTextDocument(file);
  await vscode.window.showTextDocument(document);
  const codes = (): string[] => vscode.languages.getDiagnostics(file).map(codeValue);
  await until('diagnostics on the policy', () => (codes().length >= 2 ? true : undefined));
  assert.ok(codes().includes('MissingVersion'), `MissingVersion in ${codes().join(', ')}`);
  assert.ok(codes().includes('ObjectActionOnBucket'), `ObjectActionOnBucket in ${codes().join(', ')}`);
  const titles: Record<string, RegExp> = { MissingVersion: /Version/, ObjectActionOnBucket: /\/\*/ };
  for (const code of ['MissingVersion', 'ObjectActionOnBucket']) {
    const diagnostic = vscode.languages.getDiagnostics(file).find((d) => codeValue(d) === code)!;
    // The request is cancelled when the editor changes meanwhile (e.g. a diagnostics refresh): ask again.
    const actions = await until(`quick fixes for ${code}`, () =>
      vscode.commands
        .executeCommand<vscode.CodeAction[]>(
          'vscode.executeCodeActionProvider',
          file,
          diagnostic.range,
          vscode.CodeActionKind.QuickFix.value,
        )
        .then(
          (found) => found,
          () => undefined,
        ),
    );
    const fix = actions.find((a) => titles[code]!.test(a.title) && a.edit);
    assert.ok(fix?.edit, `a quick fix for ${code} among ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    await until(`${code} to go`, () => (codes().includes(code) ? undefined : true));
  }
  assert.match(document.getText(), /"Version": "2012-10-17"/);
  assert.match(document.getText(), /arn:aws:s3:::my-backups\/\*/);
  assert.deepEqual(codes(), []);
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
});

test('a placeholder quick fix fills the account ID and the region from the connected account (STS)', async () => {
  const f = fixture();
  const file = vscode.Uri.file(join(folder(), 'placeholder-policy.json'));
  const text = JSON.stringify(
    {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::<AWS_ACCOUNT_ID>:root' },
          Action: 'dynamodb:DescribeTable',
          Resource: 'arn:aws:dynamodb:<REGION>:<AWS_ACCOUNT_ID>:table/Orders',
        },
      ],
    },
    null,
    2,
  );
  await vscode.workspace.fs.writeFile(file, Buffer.from(text));
  const document = await vscode.workspace.openTextDocument(file);
  await vscode.window.showTextDocument(document);
  const placeholders = (): vscode.Diagnostic[] =>
    vscode.languages.getDiagnostics(file).filter((d) => codeValue(d) === 'Placeholder');
  const fill = async (on: string, title: RegExp): Promise<void> => {
    const diagnostic = await until(`a Placeholder finding on ${on}`, () =>
      placeholders().find((d) => document.getText(d.range).includes(on)),
    );
    const action = await until(`the fill quick fix on ${on}`, () =>
      vscode.commands
        .executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', file, diagnostic.range)
        .then((all) => all.find((a) => title.test(a.title))),
    );
    assert.ok(action.command, `${action.title} runs a command`);
    await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
  };
  await fill(':root', /^Fill <AWS_ACCOUNT_ID> from the connected AWS account$/);
  // Every place the policy writes the same placeholder is filled, from GetCallerIdentity's account.
  assert.ok(document.getText().includes('"arn:aws:iam::111122223333:root"'), document.getText());
  assert.ok(document.getText().includes(':111122223333:table/Orders'), document.getText());
  await fill('table/Orders', /^Fill <REGION> from the connected AWS account$/);
  assert.ok(
    document.getText().includes(`"arn:aws:dynamodb:${f.region}:111122223333:table/Orders"`),
    document.getText(),
  );
  await until('no placeholder left', () => (placeholders().length === 0 ? true : undefined));
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  await vscode.workspace.fs.delete(file);
});

test('the status bar shows the profile and the region, and AWS counts as set up', async () => {
  const { app } = await api();
  await until('the status bar item', () => app.statusBar.text);
  assert.equal(app.statusBar.text, `$(cloud) default · ${fixture().region}`);
  assert.equal(app.awsReady, true);
});

test('Deploy Stack checks the credentials before it asks for any parameter', async () => {
  const { app } = await api();
  const config = vscode.workspace.getConfiguration('coldkeep');
  const endpoints = config.get<Record<string, string>>('endpoints') ?? {};
  // STS that nobody answers: the credentials cannot be checked.
  await config.update('endpoints', { ...endpoints, sts: 'http://127.0.0.1:9' }, vscode.ConfigurationTarget.Workspace);
  try {
    await until('the new STS endpoint', () => app.connection().settings.endpoints.sts?.endsWith(':9'));
    // The old order opened the parameter form first, and the command waited on it.
    const outcome = await Promise.race([
      vscode.commands
        .executeCommand<StackDeployResult | undefined>('coldkeep.deployStack', 'backup-bucket')
        .then((result) => ({ result })),
      new Promise<'form'>((resolve) => setTimeout(() => resolve('form'), 30_000)),
    ]);
    if (outcome === 'form') await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.deepEqual(outcome, { result: undefined }, 'the deploy stopped at the credentials, before the form');
  } finally {
    await config.update('endpoints', endpoints, vscode.ConfigurationTarget.Workspace);
    await until('the STS endpoint back', () => app.connection().settings.endpoints.sts === endpoints.sts);
  }
});

test('activation is cheap, and a snippet completion replaces exactly the typed coldkeep- word (valid JSON)', async () => {
  const { activationMs } = await api();
  console.log(`[coldkeep-host] activation took ${activationMs.toFixed(1)} ms`);
  const document = await vscode.workspace.openTextDocument({ language: 'json', content: 'coldkeep-bucket' });
  const editor = await vscode.window.showTextDocument(document);
  const end = document.positionAt(document.getText().length);
  const items = await completionsAt(document.uri, end);
  const item = items.find((i) => i.label === 'coldkeep-bucket-backup-writers');
  assert.ok(item, `the snippet is offered in an empty policy file: ${items.map((i) => String(i.label)).join(', ')}`);
  const range = item.range instanceof vscode.Range ? item.range : item.range?.replacing;
  assert.ok(range, 'the completion says what it replaces');
  assert.deepEqual([range.start.character, range.end.character], [0, 'coldkeep-bucket'.length]);
  assert.ok(await editor.insertSnippet(item.insertText as vscode.SnippetString, range));
  const policy = JSON.parse(document.getText()) as { Version: string };
  assert.equal(policy.Version, '2012-10-17');
  assert.match(String((item.documentation as vscode.MarkdownString).value), /"Statement"/);
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
});

test('no policy snippet is offered in tsconfig.json', async () => {
  const file = vscode.Uri.file(join(folder(), 'tsconfig.json'));
  const text = '{\n  "compilerOptions": {\n    "coldkeep-\n  }\n}\n';
  await vscode.workspace.fs.writeFile(file, Buffer.from(text));
  const document = await vscode.workspace.openTextDocument(file);
  await vscode.window.showTextDocument(document);
  const items = await completionsAt(file, new vscode.Position(2, '    "coldkeep-'.length));
  assert.deepEqual(
    items.map((i) => i.label),
    [],
  );
  await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  await vscode.workspace.fs.delete(file);
});

test('Insert Policy Snippet inserts the snippet with tab stops filled by placeholders', async () => {
  const document = await vscode.workspace.openTextDocument({ language: 'json', content: '' });
  await vscode.window.showTextDocument(document);
  const inserted = await vscode.commands.executeCommand<boolean>(
    'coldkeep.insertPolicySnippet',
    'bucket-backup-writers',
  );
  assert.equal(inserted, true);
  const text = document.getText();
  assert.match(text, /"Statement"/);
  assert.match(text, /<Bucket>/);
  const policy = JSON.parse(text) as { Version: string };
  assert.equal(policy.Version, '2012-10-17');
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
});

test('Delete Backup removes a backup from S3 and the view', async () => {
  const f = fixture();
  const report = await vscode.commands.executeCommand<BackupReport | undefined>('coldkeep.backupTable', f.table);
  assert.ok(report);
  const backup = (await backupsInView(f.table)).find((b) => b.backupId === report.backupId);
  assert.ok(backup);
  const deleted = await vscode.commands.executeCommand<{ deletedObjects: number } | undefined>(
    'coldkeep.deleteBackup',
    { kind: 'backup', backup, locked: false },
    true,
  );
  assert.ok(deleted && deleted.deletedObjects >= 2);
  assert.ok(!(await backupsInView(f.table)).some((b) => b.backupId === report.backupId));
});

test('Back Up Folder snapshots a folder into the bucket, and Restore Folder Snapshot brings it back', async () => {
  const f = fixture();
  const dir = join(folder(), 'notes');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'a.txt'), 'first note\n');
  writeFileSync(join(dir, 'sub', 'b.txt'), 'second note\n'.repeat(100));
  const result = await vscode.commands.executeCommand<FolderBackupResult | undefined>(
    'coldkeep.backupFolder',
    vscode.Uri.file(dir),
  );
  assert.ok(result, 'the command returns the snapshot');
  const { app } = await api();
  const prefix = app.connection().settings.prefix;
  const clients = targetClients();
  try {
    const snapshots = await listSnapshots(clients, {
      bucket: f.bucket,
      source: result.source,
      ...(prefix !== undefined ? { prefix } : {}),
    });
    const stored = snapshots.find((s) => s.snapshotId === result.snapshotId);
    assert.ok(
      stored,
      `snapshot ${result.snapshotId} is in S3 (found ${snapshots.map((s) => s.snapshotId).join(', ')})`,
    );
    assert.equal(stored.files, 2);
  } finally {
    clients.destroy();
  }
  const target = join(folder(), 'notes-restored');
  const restored = await vscode.commands.executeCommand<{ files: number } | undefined>(
    'coldkeep.restoreSnapshot',
    { source: result.source, snapshotId: result.snapshotId },
    target,
  );
  assert.equal(restored?.files, 2);
  assert.equal(readFileSync(join(target, 'sub', 'b.txt'), 'utf8'), 'second note\n'.repeat(100));
});

test('Deploy Stack refuses a bad parameter before any call, then deploys through the change set and returns the outputs', async () => {
  const refused = await vscode.commands.executeCommand<StackDeployResult | undefined>(
    'coldkeep.deployStack',
    'backup-bucket',
    { params: { BucketName: 'Bad_Bucket' }, approve: true },
  );
  assert.equal(refused, undefined);
  const result = await vscode.commands.executeCommand<StackDeployResult | undefined>(
    'coldkeep.deployStack',
    'backup-bucket',
    { params: { BucketName: 'host-test-backups' }, approve: true },
  );
  assert.ok(result, 'the command returns the deploy');
  assert.equal(result.executed, true);
  assert.equal(result.status, 'CREATE_COMPLETE');
  assert.ok(result.outputs.BucketName, `a BucketName output in ${JSON.stringify(result.outputs)}`);
  const clients = targetClients();
  try {
    const status = await stackStatus(clients, result.stackName);
    assert.equal(status.exists, true);
    assert.equal(status.status, 'CREATE_COMPLETE');
    assert.equal(status.template, 'backup-bucket');
  } finally {
    clients.destroy();
  }
});

test('Start Local Demo points the views at embedded emulators with the studentData table; Stop returns', async () => {
  const { tables, app } = await api();
  assert.equal(await vscode.commands.executeCommand('coldkeep.startDemo'), true);
  try {
    assert.equal(app.demoRunning, true);
    const [connection] = await tables.getChildren();
    assert.ok(connection?.kind === 'connection' && connection.label.startsWith('local demo'));
    const names = (await tables.getChildren(connection)).flatMap((n) => (n.kind === 'table' ? [n.name] : []));
    assert.deepEqual(names, ['studentData']);
    assert.equal(app.connection().settings.bucket, 'coldkeep-demo');
  } finally {
    await vscode.commands.executeCommand('coldkeep.stopDemo');
  }
  assert.equal(app.demoRunning, false);
  assert.equal(app.connection().settings.bucket, fixture().bucket);
});
