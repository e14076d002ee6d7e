import { chmod, utimes } from 'node:fs/promises';
import type { AwsClients } from '../../base/aws/clients';
import { withAftermath } from '../../base/errors/withAftermath';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { sourceLocation } from '../repository/layout';
import { SourceKeyring } from '../repository/sourceKeyring';
import { damagedFilesError } from './damageFound';
import { planSnapshotRestore } from './planPhase';
import type { SnapshotRestoreInput, SnapshotRestoreProgress, SnapshotRestoreReport } from './restoreReport';
import { restoreEntries } from './restorePhase';
import type { RestoreStart, SnapshotRestoreRun } from './restoreRun';
import { RestoreTarget } from './restoreTarget';
import { thawArchivedObjects } from './thawPhase';

/**
 * Restores a snapshot (or part of it) into a folder, in phases (restoreRun.ts holds what they
 * share): plan → thaw archived blobs and packs → restore (every blob's SHA-256 checked before
 * the file appears; existing files left alone unless `overwrite`) → finish (folder modes and
 * mtimes). Damaged blobs are reported at the end, with everything else restored.
 */
export async function restoreSnapshot(
  clients: AwsClients,
  input: SnapshotRestoreInput,
  { signal, onProgress }: JobOptions<SnapshotRestoreProgress> = {},
): Promise<SnapshotRestoreReport> {
  const started = Date.now();
  throwIfAborted(signal);
  const loc = sourceLocation(input.bucket, input.prefix, input.source);
  const progress: SnapshotRestoreProgress = {
    phase: 'plan',
    source: loc.source,
    files: 0,
    filesDone: 0,
    bytes: 0,
    bytesDone: 0,
  };
  const emit = (extra?: Partial<SnapshotRestoreProgress>): void => onProgress?.({ ...progress, ...extra });
  const keyring = new SourceKeyring(clients, loc, input.keys, signal);
  const start: RestoreStart = { clients, input, signal, loc, keyring, progress, emit };
  emit();
  const plan = await planSnapshotRestore(start);
  await thawArchivedObjects(start, plan);

  const target = await RestoreTarget.open(input.target);
  const run: SnapshotRestoreRun = { ...start, ...plan, target, skippedExisting: [], skippedFiles: 0, damaged: [] };
  try {
    await restoreEntries(run);
    await finishFolders(run);
  } catch (err) {
    throw withAftermath(err, {
      job: `Restore of ${loc.source} ${plan.snapshotId}`,
      summary: `${progress.filesDone} of ${plan.files.length} file(s) were restored into ${target.dir}; files are written whole or not at all.`,
      details: { target: target.dir, filesDone: progress.filesDone, files: plan.files.length },
      fallbackCode: 'RestoreFailed',
      fallbackHint: 'Run the same restore again: files already there are left alone.',
    });
  }
  if (run.damaged.length) throw await damagedFilesError(run);
  return {
    source: loc.source,
    snapshotId: plan.snapshotId,
    target: target.dir,
    files: plan.files.length - run.skippedFiles,
    dirs: plan.dirs.length,
    symlinks: plan.links.length,
    bytes: progress.bytesDone,
    skippedExisting: run.skippedExisting,
    thawedBlobs: plan.archived.length,
    durationMs: Date.now() - started,
  };
}

/**
 * Phase "finish": folder modes and mtimes last, deepest first — writing into a folder changes
 * its mtime, and a read-only mode would stop the writes.
 */
async function finishFolders(run: SnapshotRestoreRun): Promise<void> {
  run.progress.phase = 'finish';
  run.emit();
  for (const d of [...run.dirs].reverse()) {
    const dest = run.target.destination(d.path);
    await chmod(dest, d.mode);
    await utimes(dest, d.mtimeMs / 1000, d.mtimeMs / 1000);
  }
}
