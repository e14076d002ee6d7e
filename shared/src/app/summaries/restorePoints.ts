import type { SnapshotSummary } from '../../folders/repository/snapshotCatalog';
import type { BackupSummary } from '../../tables/repository/listBackups';
import { bytesText, countText } from '../notify/figures';

/** Something a source can be restored from, as a list shows it: a table backup or a folder snapshot. */
export interface RestorePoint {
  /** A table backup's id or a folder snapshot's id. */
  id: string;
  createdAt: string;
  /** Its figures in a few words: "12,000 items", "120 files, 3.40 MB". */
  summary: string;
}

/** A snapshot's figures: "120 files, 3.40 MB". */
export function snapshotFigures(s: Pick<SnapshotSummary, 'files' | 'bytes'>): string {
  return `${countText(s.files)} files, ${bytesText(s.bytes)}`;
}

export function snapshotRestorePoints(snapshots: SnapshotSummary[]): RestorePoint[] {
  return snapshots.map((s) => ({ id: s.snapshotId, createdAt: s.time, summary: snapshotFigures(s) }));
}

export function backupRestorePoints(backups: BackupSummary[]): RestorePoint[] {
  return backups.map((b) => ({ id: b.backupId, createdAt: b.createdAt, summary: `${b.itemCount} items` }));
}
