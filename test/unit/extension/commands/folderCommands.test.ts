// The folder commands: Back Up Folder, partial backups as warnings, Restore Folder Snapshot.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { partialDocsBackupReport } from '../../../helpers/folderBackupReport';
import { folderBackupLine, sleep } from '@coldkeep/shared';
import { fakeApp } from '../../../helpers/fakeExtensionApp';
import { installFakeVscode } from '../../../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
const fake = installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const folderCommands =
  require('coldkeep-vscode/out/commands/folderCommands') as typeof import('coldkeep-vscode/out/commands/folderCommands');
/* eslint-enable @typescript-eslint/no-require-imports */

type SnapshotInfo = import('coldkeep-vscode/out/features/features').SnapshotInfo;
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
    const report = partialDocsBackupReport();
    // The line as the real feature makes it (its own test: test/unit/app/summaries/folderBackupLine.test.ts).
    const summary = folderBackupLine(report, 'the Coldkeep output');

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
});
