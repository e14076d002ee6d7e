import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { throwIfAborted } from '../../base/jobs/job';
import { type BlobPlace, FileChangedError, placeFields } from '../repository/blobStore';
import type { FileEntry } from '../repository/snapshotManifest';
import { unreadable, vanished } from '../source/leftOut';
import { readWhole, readWholeSync, SYNC_IO_LIMIT } from '../source/smallFileIo';
import { spoolFile } from '../source/spoolFile';
import type { FolderBackupRun } from './backupRun';
import type { FileTask } from './walkPhase';

const MAX_READ_ATTEMPTS = 3;
/** Errors reading a file that leave it out of the snapshot (and make the job partial), not fail the job. */
const UNREADABLE_CODES = new Set(['EACCES', 'EPERM', 'EISDIR', 'EIO', 'ELOOP', 'EBUSY', 'ENXIO', 'EOVERFLOW']);

/** One read of a file: what it needs to know. */
interface FileRead {
  task: FileTask;
  /** The file's stats before this read: the walk's, or those seen when the last read found it changing. */
  walked: Stats;
  last: boolean;
  /** A reused buffer for a file bound for a pack. */
  readBuffer: Buffer | undefined;
  signal: AbortSignal;
}

/** A read's outcome: the entry of what was stored, or the stats the file had when it was seen changing. */
type Attempt = { entry: FileEntry } | { reread: Stats };

/** What was stored for a file. */
interface Stored {
  size: number;
  after: Stats;
  sha256: string;
  place: BlobPlace;
  changed: boolean;
}

/**
 * Reads and stores one file: its entry, or undefined when it is left out (vanished, unreadable).
 * A file that changes while it is read is read again, up to MAX_READ_ATTEMPTS times; then it
 * is stored as last read (as restic and kopia do), marked, and named in the report. Its blob
 * is always named by the hash of the bytes stored.
 */
export async function storeFile(
  run: FolderBackupRun,
  task: FileTask,
  signal: AbortSignal,
  readBuffer: Buffer | undefined,
): Promise<FileEntry | undefined> {
  let walked = task.stats;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(signal);
    const read: FileRead = { task, walked, last: attempt >= MAX_READ_ATTEMPTS, readBuffer, signal };
    try {
      const outcome =
        walked.size <= run.limits.multipartThreshold
          ? await storeWhole(run, read)
          : read.last
            ? await storeStillCopy(run, read)
            : await storeStreamed(run, read);
      if ('entry' in outcome) return outcome.entry;
      walked = outcome.reread;
    } catch (err) {
      // Changed between hashing and uploading: read again.
      if (err instanceof FileChangedError && !read.last) continue;
      return leaveOut(run, task, err);
    }
  }
}

/** A file read into memory whole (the walk's stats are the "before": unchanged after, it is consistent). */
async function storeWhole(
  run: FolderBackupRun,
  { task, walked, last, readBuffer, signal }: FileRead,
): Promise<Attempt> {
  const { blobs, progress, limits } = run;
  const { body, after } =
    walked.size <= SYNC_IO_LIMIT
      ? readWholeSync(task.absPath, walked.size, readBuffer)
      : await readWhole(task.absPath, walked.size, readBuffer);
  const sha256 = createHash('sha256').update(body).digest('hex');
  progress.hashedFiles++;
  progress.hashedBytes += body.length;
  const changed = !sameVersion(walked, after) || after.size !== body.length;
  // Written to while we read it: read again (the next version may be stable, and may
  // have grown past the threshold: then it streams).
  if (changed && !last) return { reread: after };
  // The body in memory is what is stored, whatever its size now.
  const place =
    limits.packFilesUpTo > 0 && body.length <= limits.packFilesUpTo
      ? await blobs.storeSmall(sha256, body)
      : await blobs.ensure(sha256, () => blobs.putBuffer(sha256, body, signal), signal);
  return { entry: fileEntry(run, task.path, { size: body.length, after, sha256, place, changed }) };
}

/** A big file, hashed as a stream, then uploaded as a stream that is hashed again. */
async function storeStreamed(run: FolderBackupRun, { task, signal }: FileRead): Promise<Attempt> {
  const { blobs, progress } = run;
  const before = await stat(task.absPath);
  const { sha256, bytes } = await hashFile(task.absPath, signal);
  const after = await stat(task.absPath);
  progress.hashedFiles++;
  progress.hashedBytes += bytes;
  if (!sameVersion(before, after) || after.size !== bytes) return { reread: after };
  // putFile re-hashes the stream and aborts the upload if the file changed since.
  const place = await blobs.ensure(sha256, () => blobs.putFile(sha256, task.absPath, signal), signal);
  return { entry: fileEntry(run, task.path, { size: bytes, after, sha256, place, changed: false }) };
}

/** Changed on every read: a still copy as last read, uploaded under the hash of the copy. */
async function storeStillCopy(run: FolderBackupRun, { task, signal }: FileRead): Promise<Attempt> {
  const { blobs, progress } = run;
  const copy = await spoolFile(task.absPath, signal);
  try {
    progress.hashedFiles++;
    progress.hashedBytes += copy.bytes;
    const place = await blobs.ensure(copy.sha256, () => blobs.putFile(copy.sha256, copy.path, signal), signal);
    const stored = { size: copy.bytes, after: copy.after, sha256: copy.sha256, place, changed: copy.changed };
    return { entry: fileEntry(run, task.path, stored) };
  } finally {
    await copy.remove();
  }
}

/** A file that could not be stored: left out when it vanished or cannot be read; any other error fails the job. */
function leaveOut(run: FolderBackupRun, task: FileTask, err: unknown): undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    run.skipped.push(vanished(task.path, 'file'));
    return undefined;
  }
  if (code && UNREADABLE_CODES.has(code)) {
    run.skipped.push(unreadable(task.path, task.absPath, 'file', code, 'cannot read the file'));
    run.progress.skipped++;
    return undefined;
  }
  throw err;
}

function fileEntry(run: FolderBackupRun, path: string, { size, after, sha256, place, changed }: Stored): FileEntry {
  if (changed) run.changedWhileReading.push(path);
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
}

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
