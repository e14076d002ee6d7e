// A folder backup in one line: a partial one is INCOMPLETE, never "Backed up"; the details list what was left out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { folderBackupDetails, folderBackupLine } from '@coldkeep/shared';

describe('folderBackupLine', () => {
  test('a partial backup is INCOMPLETE with where to see the paths; a success counts what changed while read', () => {
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
      uploadedTrees: 1,
      uploadedTreeBytes: 200,
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
    const summary = folderBackupLine(report, 'the Coldkeep output');
    assert.match(summary, /^Backup of \/data\/docs INCOMPLETE: 1 folder not backed up/);
    assert.match(summary, /\(see the Coldkeep output\)/);
    assert.doesNotMatch(summary, /Backed up/);
    assert.match(
      folderBackupLine({ ...report, status: 'succeeded', skipped: [] }, 'the Coldkeep output'),
      /^Backed up .*1 changed while read: see the Coldkeep output\)\.$/,
    );
    const details = folderBackupDetails(report);
    assert.ok(
      details.some((line) => line.includes('private') && /cannot list the folder/.test(line)),
      details.join('\n'),
    );
    assert.ok(
      details.some((line) => /Let user nobody/.test(line)),
      details.join('\n'),
    );
  });
});
