import { isAbsolute } from 'node:path';
import {
  backupFolder,
  bytesText,
  ColdkeepError,
  countText,
  listSnapshots,
  restoreSnapshot,
  type SnapshotRestoreReport,
} from '@coldkeep/shared';
import type { FolderBackups } from './services';

/** The line the Restore page shows once a snapshot is back on disk. */
function snapshotRestoreSummary(report: SnapshotRestoreReport): string {
  const left = report.skippedExisting.length;
  return (
    `${countText(report.files)} files, ${bytesText(report.bytes)} restored into ${report.target}` +
    (left
      ? `; ${countText(left)} already there left alone (tick "Write into a target that is not empty" to replace them)`
      : '')
  );
}

/** Folder snapshots for the app: the core's `files` module, shaped to the IPC contract. */
export const coreFolderBackups: FolderBackups = {
  backupFolder,
  listSnapshots: async (clients, query) =>
    (await listSnapshots(clients, query)).map((s) => ({
      id: s.snapshotId,
      createdAt: s.time,
      summary: `${countText(s.files)} files, ${bytesText(s.bytes)}`,
    })),
  restoreSnapshot: async (clients, input, options) => {
    // A relative path would land wherever the app happened to start; ask for a real place.
    if (!isAbsolute(input.target)) {
      throw new ColdkeepError('InvalidInput', `"${input.target}" is not a full folder path to restore into.`, {
        hint: 'Use Choose Folder… (or type a path that starts at the root, e.g. /home/me/restored).',
      });
    }
    const report = await restoreSnapshot(clients, input, options);
    return { summary: snapshotRestoreSummary(report), report: { ...report } };
  },
};
