import type { FolderBackupProgress } from '../../folders/backup/backupReport';
import type { SnapshotRestoreProgress } from '../../folders/restore/restoreReport';
import { bytesText, countText } from '../notify/figures';
import type { ProgressLine } from './progressLine';

/** A folder backup's progress: files and bytes read, and what was uploaded. */
export function folderBackupProgressLine(p: FolderBackupProgress): ProgressLine {
  if (p.phase === 'prepare') return { message: 'Reading the previous snapshot…' };
  if (p.phase === 'manifest') return { message: 'Writing the snapshot…', percent: 100 };
  const uploaded = p.uploadedBytes ? ` · ${bytesText(p.uploadedBytes)} uploaded` : '';
  return { message: `${countText(p.files)} files · ${bytesText(p.bytes)}${uploaded}` };
}

/** A snapshot restore's progress: files done, as a percentage of the bytes. */
export function snapshotRestoreProgressLine(p: SnapshotRestoreProgress): ProgressLine {
  if (p.phase === 'plan') return { message: 'Reading the snapshot…' };
  if (p.phase === 'thaw') return { message: `Waiting for ${p.waitingFor ?? 0} archived file(s)…` };
  if (p.phase === 'finish') return { message: 'Setting modes and times…', percent: 100 };
  const percent = p.bytes > 0 ? Math.min(99, (p.bytesDone / p.bytes) * 100) : undefined;
  return {
    message: `${countText(p.filesDone)} of ${countText(p.files)} files`,
    ...(percent !== undefined ? { percent } : {}),
  };
}
