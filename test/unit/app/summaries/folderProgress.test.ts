// A folder backup's and a snapshot restore's progress as the lines a front end shows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { folderBackupProgressLine, snapshotRestoreProgressLine } from '@coldkeep/shared';

describe('folder progress lines', () => {
  test('folder progress reads as files and bytes, the restore as a percentage', () => {
    const scan = folderBackupProgressLine({
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
    const restore = snapshotRestoreProgressLine({
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
