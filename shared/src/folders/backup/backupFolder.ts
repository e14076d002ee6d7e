import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { withAftermath } from '../../base/errors/withAftermath';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { newBackupId } from '../../storage/backupId';
import { checkBucket } from '../../storage/checkBucket';
import { defaultSourceName, locksDir, type SourceLocation, sourceLocation } from '../repository/layout';
import { snapshotIds } from '../repository/snapshotCatalog';
import { acquireSourceLock, type HeldLock } from '../repository/sourceLock';
import { excludeRules } from '../source/excludes';
import { backupLimits, type BackupStart, type FolderBackupRun, openRun } from './backupRun';
import type { FolderBackupInput, FolderBackupProgress, FolderBackupReport } from './backupReport';
import { writeManifest } from './manifestPhase';
import { scanFiles } from './scanPhase';

/**
 * Backs up a folder as a snapshot, in phases (backupRun.ts holds what they share): check the
 * input → lock the source → prepare (the parent, the blobs known to be stored) → scan (a
 * streaming walk with excludes, size limit, special files noted; each file's content stored
 * once as a SHA-256-named blob, files unchanged since the parent snapshot — same size and mtime
 * — not read again, uploads running concurrently) → the snapshot manifest, last. Blobs uploaded
 * by a run that fails stay and are reused by the next.
 */
export async function backupFolder(
  clients: AwsClients,
  input: FolderBackupInput,
  { signal, onProgress }: JobOptions<FolderBackupProgress> = {},
): Promise<FolderBackupReport> {
  const now = input.now ?? (() => new Date());
  const started = now();
  throwIfAborted(signal);
  const dir = await checkInput(input, started);
  const excludes = excludeRules(input.excludes, input.defaultExcludes !== false);
  const loc: SourceLocation = sourceLocation(input.bucket, input.prefix, input.source ?? defaultSourceName(dir));
  const snapshotId = newBackupId(started);
  const limits = backupLimits(input);
  const progress = startProgress(loc.source, snapshotId);
  const start: BackupStart = {
    clients,
    input,
    signal,
    onProgress,
    now,
    started,
    dir,
    loc,
    snapshotId,
    excludes,
    limits,
    progress,
  };
  onProgress?.({ ...progress });

  const lock = await lockSource(start);
  let run: FolderBackupRun | undefined;
  try {
    run = await openRun(start, lock.alongside);
    await scanFiles(run);
    return await writeManifest(run);
  } catch (err) {
    throw withAftermath(err, {
      job: `Backup of ${dir}`,
      summary:
        'No snapshot was written. Blobs already uploaded stay in the bucket and are reused by the next run ' +
        '(prune removes them if no snapshot ever needs them).',
      details: { snapshotId, source: loc.source, snapshotWritten: false },
      fallbackCode: 'BackupIncomplete',
      fallbackHint: 'Run the backup again; it resumes from the blobs already uploaded.',
    });
  } finally {
    // Pack uploads still under way after a failure end before the lock goes.
    run?.manifest.destroy();
    await run?.blobs.settle();
    await run?.trees.settle();
    await lock.release();
  }
}

/** Refuses what cannot be backed up before anything is asked of the bucket; resolves to the folder's full path. */
async function checkInput(input: FolderBackupInput, started: Date): Promise<string> {
  if (!input.bucket) {
    throw new ColdkeepError('InvalidInput', 'No bucket was given for the backup.', {
      hint: 'Give the bucket ({setting:bucket}).',
    });
  }
  const dir = resolve(input.dir);
  const dirStats = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    throw new ColdkeepError(
      'InvalidInput',
      `Cannot back up ${dir}: ${err.code === 'ENOENT' ? 'no such folder' : err.code}.`,
      {
        hint: 'Give an existing folder.',
      },
    );
  });
  if (!dirStats.isDirectory()) {
    throw new ColdkeepError('InvalidInput', `${dir} is not a folder.`, {
      hint: 'Give the folder that holds the file.',
    });
  }
  if (input.objectLock && !(input.objectLock.retainUntil.getTime() > started.getTime())) {
    throw new ColdkeepError(
      'InvalidInput',
      `Object Lock retain-until ${input.objectLock.retainUntil.toISOString()} is not in the future.`,
      { hint: 'Give a later date in {setting:lockUntil}, or {setting:lockDays=N}.' },
    );
  }
  return dir;
}

function startProgress(source: string, snapshotId: string): FolderBackupProgress {
  return {
    phase: 'prepare',
    source,
    snapshotId,
    files: 0,
    bytes: 0,
    unchangedFiles: 0,
    hashedFiles: 0,
    hashedBytes: 0,
    uploadedBlobs: 0,
    uploadedBytes: 0,
    skipped: 0,
  };
}

/**
 * The bucket check and the source's lock go out together; a missing bucket is reported by the
 * check. Alongside the lock, the source's snapshot ids are listed (to find the latest as parent).
 */
async function lockSource({ clients, input, loc, signal }: BackupStart): Promise<HeldLock<string[]>> {
  const [bucketChecked, locked] = await Promise.allSettled([
    checkBucket(clients.s3, input.bucket, signal, locksDir(loc)),
    acquireSourceLock(clients.s3, loc, 'backup', {
      staleMs: input.lockStaleMs,
      storage: input,
      signal,
      alongside: () => (input.parent ? Promise.resolve([]) : snapshotIds(clients.s3, loc, signal)),
    }),
  ]);
  if (bucketChecked.status === 'rejected') {
    if (locked.status === 'fulfilled') await locked.value.release();
    throw bucketChecked.reason;
  }
  if (locked.status === 'rejected') throw locked.reason;
  return locked.value;
}
