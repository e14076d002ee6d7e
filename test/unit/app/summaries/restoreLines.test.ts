// What a restore list and a snapshot restore's result say: figures, and the files left alone.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  backupRestorePoints,
  type SnapshotRestoreReport,
  snapshotRestoreLine,
  snapshotRestorePoints,
} from '@coldkeep/shared';

describe('restore points and lines', () => {
  test('snapshots and table backups as restore points: id, time, figures', () => {
    const snapshot = {
      source: 'docs',
      snapshotId: 's1',
      time: '2026-11-23T02:00:00.000Z',
      files: 1200,
      bytes: 3_400_000,
    };
    assert.deepEqual(snapshotRestorePoints([snapshot as never]), [
      { id: 's1', createdAt: '2026-11-23T02:00:00.000Z', summary: '1,200 files, 3.40 MB' },
    ]);
    const backup = { backupId: 'b1', createdAt: '2026-11-23T03:00:00.000Z', itemCount: 200 };
    assert.deepEqual(backupRestorePoints([backup as never]), [
      { id: 'b1', createdAt: '2026-11-23T03:00:00.000Z', summary: '200 items' },
    ]);
  });

  test('a snapshot restore says what it wrote where, and how many files already there it left alone', () => {
    const report = { files: 3, bytes: 300, snapshotId: 's1', target: '/restored', skippedExisting: [] as string[] };
    assert.equal(
      snapshotRestoreLine(report as unknown as SnapshotRestoreReport),
      '3 files, 300 B restored into /restored from snapshot s1',
    );
    assert.equal(
      snapshotRestoreLine({ ...report, skippedExisting: ['a', 'b'] } as unknown as SnapshotRestoreReport),
      '3 files, 300 B restored into /restored from snapshot s1; 2 already there left alone',
    );
  });
});
