import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type AwsClients } from '../../base/aws/clients';
import { checkBucket } from '../../storage/checkBucket';
import { newBackupId } from '../../storage/backupId';
import { DEFAULT_LIFECYCLE_TAG, type StorageOptions } from '../../storage/storageOptions';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { withAftermath } from '../../base/errors/withAftermath';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { jobOutcome, type LeftOut } from '../../base/jobs/jobOutcome';
import { runPoolAsync } from '../../base/jobs/pool';
import { TOOL_NAME, TOOL_VERSION } from '../../base/version';
import { type BlobPlace, BlobStore, FileChangedError, knownBlobs, placeFields } from '../repository/blobStore';
import { damageForBackup } from '../repository/damageRecords';
import { excludeRules } from '../source/excludes';
import { unreadable, vanished } from '../source/leftOut';
import { defaultSourceName, locksDir, s3SourceUri, type SourceLocation, sourceLocation } from '../repository/layout';
import { putSnapshot, readSnapshot, resolveSnapshotId, snapshotIds } from '../repository/snapshotCatalog';
import {
  type FileEntry,
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMAT_VERSION,
  type SnapshotManifest,
} from '../repository/snapshotManifest';
import { readWhole, readWholeSync, SYNC_IO_LIMIT } from '../source/smallFileIo';
import { spoolFile } from '../source/spoolFile';
import { type SnapshotHead, type SnapshotTail, SnapshotWriter } from '../repository/snapshotWriter';
import { acquireSourceLock } from '../repository/sourceLock';
import { walkFolder } from '../source/walk';

export interface FolderBackupInput extends StorageOptions {
  /** The folder to back up. */
  dir: string;
  bucket: string;
  /** Key prefix in the bucket; "coldkeep" by default. */
  prefix?: string;
  /** Source name; by default the folder's name and a hash of host and path (defaultSourceName). */
  source?: string;
  /** Extra excludes in gitignore syntax, relative to `dir`. */
  excludes?: string[];
  /** Leave out the default excludes (OS litter: .DS_Store, Thumbs.db, …). */
  defaultExcludes?: boolean;
  /** Skip files larger than this many bytes (with a note in the report). */
  maxFileSize?: number;
  /** The snapshot to compare with; the source's latest by default, "none" to read every file. */
  parent?: string;
  /** Files hashed and uploaded at once (default 8). */
  concurrency?: number;
  /** Files up to this size are read into memory and sent in one request; bigger ones stream multipart (default 8 MiB). */
  multipartThreshold?: number;
  /** Multipart part size (default 8 MiB). */
  partSize?: number;
  /**
   * Files up to this size go into packs of about `packSize` bytes instead of an object each
   * (default 1 MiB; 0 stores every file as an object of its own).
   */
  packFilesUpTo?: number;
  /** Target size of a pack (default 8 MiB). */
  packSize?: number;
  /** A lock not refreshed for this long is stale (default 30 minutes). */
  lockStaleMs?: number;
  /** For tests: the clock. */
  now?: () => Date;
}

export interface FolderBackupProgress {
  phase: 'prepare' | 'scan' | 'manifest';
  source: string;
  snapshotId?: string;
  files: number;
  bytes: number;
  /** Files whose size and mtime matched the parent, not read. */
  unchangedFiles: number;
  /** Files read and hashed. */
  hashedFiles: number;
  hashedBytes: number;
  uploadedBlobs: number;
  uploadedBytes: number;
  skipped: number;
}

/** A path left out of a snapshot: why, and what to do (see LeftOut's kinds). */
export type SkippedPath = LeftOut;

export interface FolderBackupReport {
  snapshotId: string;
  source: string;
  bucket: string;
  /** s3:// URI of the source's folder. */
  uri: string;
  snapshotKey: string;
  dir: string;
  parent?: string;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  unchangedFiles: number;
  hashedFiles: number;
  hashedBytes: number;
  uploadedBlobs: number;
  uploadedBytes: number;
  /** Pack objects uploaded (small files' blobs go into packs). */
  uploadedPacks: number;
  /**
   * `partial` when something asked for is not in the snapshot (a path that could not be read);
   * decided by jobOutcome from `skipped`, the same for every front end.
   */
  status: 'succeeded' | 'partial';
  /** What is not in the snapshot, why, and what to do; only `unreadable` ones make it partial. */
  skipped: SkippedPath[];
  /**
   * Files that kept changing while they were read: stored as last read (a warning, not a skip),
   * their entries marked `changedWhileRead`.
   */
  changedWhileReading: string[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

const MiB = 1024 * 1024;
const MAX_READ_ATTEMPTS = 3;
/** Errors reading a file that leave it out of the snapshot (and make the job partial), not fail the job. */
const UNREADABLE_CODES = new Set(['EACCES', 'EPERM', 'EISDIR', 'EIO', 'ELOOP', 'EBUSY', 'ENXIO', 'EOVERFLOW']);

function sameVersion(a: Stats, b: Stats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs;
}

async function hashFile(path: string, signal?: AbortSignal): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(
    createReadStream(path),
    async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        hash.update(chunk);
        bytes += chunk.length;
      }
    },
    { signal },
  );
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Backs up a folder as a snapshot: a streaming walk (excludes, size limit, special files noted),
 * each file's content stored once as a SHA-256-named blob, files unchanged since the parent
 * snapshot (same size and mtime) not read again, uploads running concurrently, then the
 * snapshot manifest, last. Blobs uploaded by a run that fails stay and are reused by the next.
 */
export async function backupFolder(
  clients: AwsClients,
  input: FolderBackupInput,
  { signal, onProgress }: JobOptions<FolderBackupProgress> = {},
): Promise<FolderBackupReport> {
  const now = input.now ?? (() => new Date());
  const started = now();
  throwIfAborted(signal);
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
  const excludes = excludeRules(input.excludes, input.defaultExcludes !== false);
  const loc: SourceLocation = sourceLocation(input.bucket, input.prefix, input.source ?? defaultSourceName(dir));
  const snapshotId = newBackupId(started);
  const multipartThreshold = Math.max(input.multipartThreshold ?? 8 * MiB, 5 * MiB);
  const partSize = Math.max(input.partSize ?? 8 * MiB, 5 * MiB);
  // Only files read whole can be packed: the limit never exceeds the multipart threshold.
  const packFilesUpTo = Math.min(Math.max(input.packFilesUpTo ?? MiB, 0), multipartThreshold);
  const packSize = Math.max(input.packSize ?? 8 * MiB, 1);

  const progress: FolderBackupProgress = {
    phase: 'prepare',
    source: loc.source,
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
  onProgress?.({ ...progress });

  // The bucket check and the lock go out together; a missing bucket is reported by the check.
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
  const lock = locked.value;
  let blobStore: BlobStore | undefined;
  let manifestWriter: SnapshotWriter | undefined;
  try {
    // The parent tells which files are unchanged and which blobs surely exist. Without one,
    // the listing of stored blobs does (and lets a re-run after a failure reuse its uploads).
    // It is read under the lock: a prune cannot remove its blobs from now on.
    // What a verify or restore found damaged is never reused (damageRecords.ts), read beside the parent.
    const readParent = async (): Promise<SnapshotManifest | undefined> => {
      if (input.parent === 'none') return undefined;
      const ids = input.parent ? [await resolveSnapshotId(clients.s3, loc, input.parent, signal)] : lock.alongside;
      return ids[0] ? readSnapshot(clients.s3, loc, ids[0], signal) : undefined;
    };
    const [parent, damaged] = await Promise.all([readParent(), damageForBackup(clients.s3, loc, signal)]);
    const parentFiles = new Map<string, FileEntry>();
    for (const e of parent?.entries ?? []) if (e.type === 'file') parentFiles.set(e.path, e);
    const { known, complete } = await knownBlobs(
      clients.s3,
      loc,
      parentFiles.values(),
      parent?.finishedAt,
      signal,
      damaged,
    );
    const blobs = new BlobStore({
      s3: clients.s3,
      location: loc,
      storage: input,
      partSize,
      packSize,
      known,
      complete,
      damaged,
      signal,
      now,
    });
    blobStore = blobs;

    const lifecycleTag = input.lifecycleTag === undefined ? DEFAULT_LIFECYCLE_TAG : input.lifecycleTag;
    const head: SnapshotHead = {
      format: SNAPSHOT_FORMAT,
      formatVersion: SNAPSHOT_FORMAT_VERSION,
      snapshotId,
      source: loc.source,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      host: hostname(),
      dir,
      ...(parent ? { parent: parent.snapshotId } : {}),
      startedAt: started.toISOString(),
      excludes: excludes.patterns,
      storage: {
        ...(lifecycleTag ? { lifecycleTag: { key: lifecycleTag.key, value: lifecycleTag.value } } : {}),
        ...(input.sse ? { sse: input.sse } : {}),
        ...(input.objectLock
          ? { objectLock: { mode: input.objectLock.mode, retainUntil: input.objectLock.retainUntil.toISOString() } }
          : {}),
      },
    };
    const manifest = new SnapshotWriter(head);
    manifestWriter = manifest;
    const skipped: SkippedPath[] = [];
    const changedWhileReading: string[] = [];
    const counts = { dirs: 0, symlinks: 0 };
    progress.phase = 'scan';
    onProgress?.({ ...progress });
    const tick = (): void => {
      progress.uploadedBlobs = blobs.uploadedBlobs;
      progress.uploadedBytes = blobs.uploadedBytes;
      onProgress?.({ ...progress });
    };

    // Directories, links and skips are recorded as the walk meets them; files get their place
    // in walk order and are filled in by the workers (the writer keeps the order).
    async function* fileTasks(): AsyncGenerator<{ index: number; path: string; absPath: string; stats: Stats }> {
      for await (const item of walkFolder(dir, { excludes, maxFileSize: input.maxFileSize, signal })) {
        if (item.type === 'skipped') {
          const { type: _walkItem, ...left } = item;
          skipped.push(left);
          if (left.kind !== 'vanished') progress.skipped++;
        } else if (item.type === 'dir') {
          counts.dirs++;
          manifest.add({ type: 'dir', path: item.path, mtimeMs: item.stats.mtimeMs, mode: item.stats.mode & 0o7777 });
        } else if (item.type === 'symlink') {
          counts.symlinks++;
          manifest.add({ type: 'symlink', path: item.path, mtimeMs: item.stats.mtimeMs, target: item.target });
        } else {
          // Unchanged since the parent (same size and mtime): not read, and no task for the pool.
          // A file stored while it changed is read again, even when size and mtime match, and so
          // is one whose stored copy was found damaged (it is stored again).
          const previous = parentFiles.get(item.path);
          if (
            previous &&
            !previous.changedWhileRead &&
            previous.size === item.stats.size &&
            previous.mtimeMs === item.stats.mtimeMs &&
            !damaged.holds(previous)
          ) {
            const mode = item.stats.mode & 0o7777;
            // The parent's own entry when nothing differs: 100,000 entries are not copied.
            manifest.add(previous.mode === mode ? previous : { ...previous, mode });
            progress.unchangedFiles++;
            progress.files++;
            progress.bytes += previous.size;
            if (progress.files % 1000 === 0) tick();
            continue;
          }
          yield { index: manifest.reserve(), path: item.path, absPath: item.absPath, stats: item.stats };
        }
      }
    }

    // The walk's stats are the "before": a file read whole and unchanged after is consistent.
    const readSmall = async (
      absPath: string,
      before: Stats,
      into: Buffer | undefined,
    ): Promise<{ body: Buffer; before: Stats; after: Stats }> => {
      if (before.size <= SYNC_IO_LIMIT) return { ...readWholeSync(absPath, before.size, into), before };
      return { ...(await readWhole(absPath, before.size, into)), before };
    };
    // Files bound for a pack are read into a reused buffer and copied into the pack, so reading
    // 100,000 of them leaves no buffer garbage behind (one buffer per file being read at once).
    const readBuffers: Buffer[] = [];

    const storeFile = async (
      path: string,
      absPath: string,
      walked: Stats,
      poolSignal: AbortSignal,
    ): Promise<FileEntry | undefined> => {
      const packable = packFilesUpTo > 0 && walked.size <= packFilesUpTo;
      const readBuffer = packable ? (readBuffers.pop() ?? Buffer.allocUnsafe(packFilesUpTo + 1)) : undefined;
      try {
        return await storeFileWith(path, absPath, walked, poolSignal, readBuffer);
      } finally {
        if (readBuffer) readBuffers.push(readBuffer);
      }
    };

    const entryOf = (
      path: string,
      size: number,
      after: Stats,
      sha256: string,
      place: BlobPlace,
      changed: boolean,
    ): FileEntry => {
      if (changed) changedWhileReading.push(path);
      return {
        type: 'file',
        path,
        size,
        mtimeMs: after.mtimeMs,
        mode: after.mode & 0o7777,
        sha256,
        ...placeFields(place),
        ...(changed ? { changedWhileRead: true } : {}),
      };
    };

    // A file that changes while it is read is read again, up to MAX_READ_ATTEMPTS times; then it
    // is stored as last read (as restic and kopia do), marked, and named in the report. Its blob
    // is always named by the hash of the bytes stored.
    const storeFileWith = async (
      path: string,
      absPath: string,
      walked: Stats,
      poolSignal: AbortSignal,
      readBuffer: Buffer | undefined,
    ): Promise<FileEntry | undefined> => {
      for (let attempt = 1; ; attempt++) {
        throwIfAborted(poolSignal);
        const last = attempt >= MAX_READ_ATTEMPTS;
        try {
          if (walked.size <= multipartThreshold) {
            const { body, before, after } = await readSmall(absPath, walked, readBuffer);
            const sha256 = createHash('sha256').update(body).digest('hex');
            progress.hashedFiles++;
            progress.hashedBytes += body.length;
            const changed = !sameVersion(before, after) || after.size !== body.length;
            // Written to while we read it: read again (the next version may be stable, and may
            // have grown past the threshold: then it streams).
            if (changed && !last) {
              walked = after;
              continue;
            }
            // The body in memory is what is stored, whatever its size now.
            const place =
              packFilesUpTo > 0 && body.length <= packFilesUpTo
                ? await blobs.storeSmall(sha256, body)
                : await blobs.ensure(sha256, () => blobs.putBuffer(sha256, body, poolSignal), poolSignal);
            return entryOf(path, body.length, after, sha256, place, changed);
          }
          if (!last) {
            const before = await stat(absPath);
            const { sha256, bytes } = await hashFile(absPath, poolSignal);
            const after = await stat(absPath);
            progress.hashedFiles++;
            progress.hashedBytes += bytes;
            if (!sameVersion(before, after) || after.size !== bytes) {
              walked = after;
              continue;
            }
            // putFile re-hashes the stream and aborts the upload if the file changed since.
            const place = await blobs.ensure(sha256, () => blobs.putFile(sha256, absPath, poolSignal), poolSignal);
            return entryOf(path, bytes, after, sha256, place, false);
          }
          // Changed on every read: a still copy as last read, uploaded under the hash of the copy.
          const copy = await spoolFile(absPath, poolSignal);
          try {
            progress.hashedFiles++;
            progress.hashedBytes += copy.bytes;
            const place = await blobs.ensure(
              copy.sha256,
              () => blobs.putFile(copy.sha256, copy.path, poolSignal),
              poolSignal,
            );
            return entryOf(path, copy.bytes, copy.after, copy.sha256, place, copy.changed);
          } finally {
            await copy.remove();
          }
        } catch (err) {
          // Changed between hashing and uploading: read again.
          if (err instanceof FileChangedError && !last) continue;
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            skipped.push(vanished(path, 'file'));
            return undefined;
          }
          if (code && UNREADABLE_CODES.has(code)) {
            skipped.push(unreadable(path, absPath, 'file', code, 'cannot read the file'));
            progress.skipped++;
            return undefined;
          }
          throw err;
        }
      }
    };

    await runPoolAsync(
      fileTasks(),
      input.concurrency ?? 8,
      async (task, poolSignal) => {
        const entry = await storeFile(task.path, task.absPath, task.stats, poolSignal);
        manifest.fill(task.index, entry);
        if (entry) {
          progress.files++;
          progress.bytes += entry.size;
        }
        tick();
        await manifest.drained();
      },
      signal,
    );
    // The snapshot may only name packs that are whole in the bucket.
    await blobs.flush();
    throwIfAborted(signal);

    progress.phase = 'manifest';
    tick();
    const finished = now();
    const tail: SnapshotTail = {
      finishedAt: finished.toISOString(),
      files: progress.files,
      dirs: counts.dirs,
      symlinks: counts.symlinks,
      bytes: progress.bytes,
      skipped,
    };
    const body = await manifest.finish(tail);
    const key = await putSnapshot(clients.s3, loc, { ...head, ...tail }, body, input, signal);
    return {
      snapshotId,
      source: loc.source,
      bucket: loc.bucket,
      uri: s3SourceUri(loc),
      snapshotKey: key,
      dir,
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
      status: jobOutcome({ skipped }).status,
      skipped,
      changedWhileReading,
      startedAt: head.startedAt,
      finishedAt: tail.finishedAt,
      durationMs: finished.getTime() - started.getTime(),
    };
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
    manifestWriter?.destroy();
    await blobStore?.settle();
    await lock.release();
  }
}
