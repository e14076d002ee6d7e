import { jobOutcome } from '../../base/jobs/jobOutcome';
import { s3SourceUri } from '../repository/layout';
import { putSnapshot } from '../repository/snapshotCatalog';
import type { SnapshotTail } from '../repository/snapshotWriter';
import type { FolderBackupRun } from './backupRun';
import type { FolderBackupReport } from './backupReport';

/** Phase "manifest", last: the manifest's closing figures, its upload, and the report. */
export async function writeManifest(run: FolderBackupRun): Promise<FolderBackupReport> {
  const { progress, head, blobs, loc, parent, skipped } = run;
  progress.phase = 'manifest';
  run.emit();
  const finished = run.now();
  const tail: SnapshotTail = {
    finishedAt: finished.toISOString(),
    files: progress.files,
    dirs: run.counts.dirs,
    symlinks: run.counts.symlinks,
    bytes: progress.bytes,
    skipped,
  };
  const body = await run.manifest.finish(tail);
  const key = await putSnapshot(run.clients.s3, loc, { ...head, ...tail }, body, run.input, run.signal);
  return {
    snapshotId: run.snapshotId,
    source: loc.source,
    bucket: loc.bucket,
    uri: s3SourceUri(loc),
    snapshotKey: key,
    dir: run.dir,
    ...(parent ? { parent: parent.snapshotId } : {}),
    files: tail.files,
    dirs: tail.dirs,
    symlinks: tail.symlinks,
    bytes: tail.bytes,
    unchangedFiles: progress.unchangedFiles,
    hashedFiles: progress.hashedFiles,
    hashedBytes: progress.hashedBytes,
    uploadedBlobs: blobs.uploadedBlobs,
    uploadedBytes: blobs.uploadedBytes,
    uploadedPacks: blobs.uploadedPacks,
    uploadedTrees: run.trees.uploadedTrees,
    uploadedTreeBytes: run.trees.uploadedTreeBytes,
    status: jobOutcome({ skipped }).status,
    skipped,
    changedWhileReading: run.changedWhileReading,
    startedAt: head.startedAt,
    finishedAt: tail.finishedAt,
    durationMs: finished.getTime() - run.started.getTime(),
  };
}
