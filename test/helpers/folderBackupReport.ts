// A folder backup's report as the core makes it, for tests of what front ends and emails say about one.
import { type FolderBackupReport } from '@coldkeep/shared';

/** Three files of 100 bytes backed up into a fresh pack; override what the test is about. */
export function folderBackupReport(overrides: Partial<FolderBackupReport> = {}): FolderBackupReport {
  return {
    snapshotId: 'snap-1',
    source: 'docs',
    bucket: 'b',
    uri: 's3://b/coldkeep/files/docs/',
    snapshotKey: 'coldkeep/files/docs/snapshots/snap-1.json.gz',
    dir: '/home/me/Documents',
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
    status: 'succeeded',
    skipped: [],
    changedWhileReading: [],
    startedAt: '2026-11-23T02:00:01.000Z',
    finishedAt: '2026-11-23T02:00:03.000Z',
    durationMs: 2000,
    ...overrides,
  };
}

/** A partial backup of /data/docs: a folder it could not list, a file deleted while it ran, one changed. */
export function partialDocsBackupReport(): FolderBackupReport {
  return folderBackupReport({
    snapshotId: 's2',
    uri: 's3://b/p/files/docs/',
    snapshotKey: 'k',
    dir: '/data/docs',
    status: 'partial',
    skipped: [
      {
        path: 'private',
        kind: 'unreadable',
        entry: 'folder',
        reason: 'cannot list the folder: user nobody (uid 65534) may not read it: permission denied (EACCES)',
        whatToDo: 'Let user nobody (uid 65534) read /data/docs/private and list it (r and x).',
      },
      { path: 'tmp.log', kind: 'vanished', entry: 'file', reason: 'deleted while the backup ran' },
    ],
    changedWhileReading: ['busy.log'],
  });
}
