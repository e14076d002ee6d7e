import { isAbsolute } from 'node:path';
import {
  backupFolder,
  ColdkeepError,
  listSnapshots,
  restoreSnapshot,
  snapshotRestoreLine,
  snapshotRestorePoints,
} from '@coldkeep/shared';
import type { FolderBackups } from './services';

/** Folder snapshots for the app: the core's `folders` engine, with the application layer's lines and restore points. */
export const coreFolderBackups: FolderBackups = {
  backupFolder,
  listSnapshots: async (clients, query) => snapshotRestorePoints(await listSnapshots(clients, query)),
  restoreSnapshot: async (clients, input, options) => {
    // A relative path would land wherever the app happened to start; ask for a real place.
    if (!isAbsolute(input.target)) {
      throw new ColdkeepError('InvalidInput', `"${input.target}" is not a full folder path to restore into.`, {
        hint: 'Use Choose Folder… (or type a path that starts at the root, e.g. /home/me/restored).',
      });
    }
    const report = await restoreSnapshot(clients, input, options);
    const left = report.skippedExisting.length ? ' (tick "Write into a target that is not empty" to replace them)' : '';
    return { summary: snapshotRestoreLine(report) + left, report: { ...report } };
  },
};
