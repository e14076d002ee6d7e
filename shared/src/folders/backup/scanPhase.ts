import { throwIfAborted } from '../../base/jobs/job';
import { runPoolAsync } from '../../base/jobs/pool';
import type { FileEntry } from '../repository/snapshotManifest';
import type { FolderBackupRun } from './backupRun';
import { storeFile } from './storeFile';
import { type FileTask, fileTasks } from './walkPhase';

/**
 * Phase "scan": the walk feeds a pool of workers that read, hash and store the files that
 * changed, each entry filled into its place in the manifest; then the last pack is uploaded,
 * since the snapshot may only name packs that are whole in the bucket.
 */
export async function scanFiles(run: FolderBackupRun): Promise<void> {
  const { progress, manifest } = run;
  progress.phase = 'scan';
  run.emit();
  // Files bound for a pack are read into a reused buffer and copied into the pack, so reading
  // 100,000 of them leaves no buffer garbage behind (one buffer per file being read at once).
  const readBuffers: Buffer[] = [];
  const store = async (task: FileTask, poolSignal: AbortSignal): Promise<FileEntry | undefined> => {
    const { packFilesUpTo } = run.limits;
    const packable = packFilesUpTo > 0 && task.stats.size <= packFilesUpTo;
    const readBuffer = packable ? (readBuffers.pop() ?? Buffer.allocUnsafe(packFilesUpTo + 1)) : undefined;
    try {
      return await storeFile(run, task, poolSignal, readBuffer);
    } finally {
      if (readBuffer) readBuffers.push(readBuffer);
    }
  };
  await runPoolAsync(
    fileTasks(run),
    run.input.concurrency ?? 8,
    async (task, poolSignal) => {
      const entry = await store(task, poolSignal);
      manifest.fill(task.index, entry);
      if (entry) {
        progress.files++;
        progress.bytes += entry.size;
      }
      run.emit();
      await manifest.drained();
    },
    run.signal,
  );
  await run.blobs.flush();
  throwIfAborted(run.signal);
}
