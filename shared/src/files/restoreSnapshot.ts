import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, realpath, rename, rm, symlink, unlink, utimes } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AwsClients } from '../aws';
import { ColdkeepError, fromAwsError, withAftermath } from '../errors';
import { type JobOptions, runPool, throwIfAborted, withRetry } from '../jobs';
import { type ObjectArchiveState, type RetrievalTier, thawArchived } from '../restore/thawArchived';
import { listBlobs } from './blobStore';
import { blobKey, type SourceLocation, sourceLocation } from './layout';
import { selectEntries } from './pathSelection';
import { readSnapshot, resolveSnapshotId } from './snapshotCatalog';
import type { FileEntry, SnapshotEntry } from './snapshotManifest';

export interface SnapshotRestoreInput {
  bucket: string;
  prefix?: string;
  source: string;
  /** A snapshot id (or a unique start of one), or "latest". */
  snapshotId: string;
  /** The folder to restore into; created when missing. */
  target: string;
  /** Sub-paths or globs (gitignore syntax) to restore; everything by default. */
  paths?: string[];
  /** Replace files that exist in the target (default: leave them and report them). */
  overwrite?: boolean;
  /** Wait (polling) for archived blobs to be retrieved, instead of failing with ArchivedObjects. */
  wait?: boolean;
  tier?: RetrievalTier;
  /** Days a retrieved copy stays readable (default 7). */
  days?: number;
  pollIntervalMs?: number;
  /** Files downloaded at once (default 8). */
  concurrency?: number;
}

export interface SnapshotRestoreProgress {
  phase: 'plan' | 'thaw' | 'restore' | 'finish';
  source: string;
  snapshotId?: string;
  files: number;
  filesDone: number;
  bytes: number;
  bytesDone: number;
  /** Archived blobs being retrieved, while waiting. */
  waitingFor?: number;
}

export interface SnapshotRestoreReport {
  source: string;
  snapshotId: string;
  target: string;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  /** Paths that existed in the target and were left alone (no overwrite). */
  skippedExisting: string[];
  /** Blobs whose retrieval from an archive class was needed. */
  thawedBlobs: number;
  durationMs: number;
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Downloads a blob to `tempPath`, hashing it on the way; renames it to `finalPath` only when
 * the SHA-256 is the one the snapshot names. A damaged blob never replaces anything.
 */
async function downloadBlob(
  s3: S3Client,
  loc: SourceLocation,
  file: FileEntry,
  finalPath: string,
  signal: AbortSignal,
): Promise<void> {
  const key = blobKey(loc, file.sha256);
  const tempPath = join(dirname(finalPath), `.coldkeep-${randomBytes(6).toString('hex')}.part`);
  try {
    const actual = await withRetry(
      async () => {
        const response = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }), { abortSignal: signal });
        const hash = createHash('sha256');
        const tap = new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        });
        await pipeline(response.Body as Readable, tap, createWriteStream(tempPath, { mode: 0o600 }), { signal });
        return hash.digest('hex');
      },
      { signal },
    ).catch((err: unknown) => {
      throw fromAwsError(err, { doing: `download ${key}`, bucket: loc.bucket });
    });
    if (actual !== file.sha256) {
      throw new ColdkeepError(
        'ChecksumMismatch',
        `The blob of ${file.path} is damaged: its SHA-256 is ${actual}, the snapshot says ${file.sha256}.`,
        {
          hint: 'That file was not written. Restore it from another snapshot; "coldkeep files verify --read-data all" finds every damaged blob.',
          details: { path: file.path, key, expected: file.sha256, actual },
        },
      );
    }
    await chmod(tempPath, file.mode);
    await utimes(tempPath, file.mtimeMs / 1000, file.mtimeMs / 1000);
    await rename(tempPath, finalPath);
  } catch (err) {
    await rm(tempPath, { force: true });
    throw err;
  }
}

const ARCHIVE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE', 'INTELLIGENT_TIERING']);

/**
 * Which of the needed blobs sit in an archive class, from one listing (not a request per blob);
 * missing blobs fail the restore before anything is written. A function of its own so that the
 * listing (100,000s of entries) is garbage as soon as it is read.
 */
async function archivedBlobs(
  s3: S3Client,
  loc: SourceLocation,
  needed: Set<string>,
  files: FileEntry[],
  signal: AbortSignal | undefined,
): Promise<string[]> {
  if (needed.size === 0) return [];
  const stored = await listBlobs(s3, loc, signal);
  const missing = [...needed].filter((sha) => !stored.has(sha));
  if (missing.length) {
    const lost = new Set(missing);
    const paths = files.filter((f) => lost.has(f.sha256)).map((f) => f.path);
    throw new ColdkeepError(
      'RestoreFailed',
      `${missing.length} blob(s) the snapshot needs are missing from the bucket (e.g. for ${paths[0]}). Nothing was restored.`,
      {
        hint: 'Run "coldkeep files verify" on this snapshot; restore these files from another snapshot, or the rest with a path filter.',
        details: { missingBlobs: missing.slice(0, 100), paths: paths.slice(0, 100) },
      },
    );
  }
  return [...needed].filter((sha) => ARCHIVE_CLASSES.has(stored.get(sha)!.storageClass));
}

/**
 * Restores a snapshot (or part of it) into a folder: every blob's SHA-256 checked before the
 * file appears, modes and mtimes restored, existing files left alone unless `overwrite`.
 * Archived blobs are thawed first (RestoreObject, tier of choice); without `wait` the restore
 * stops with ArchivedObjects, saying what it waits for and when to come back.
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
  onProgress?.({ ...progress });
  const snapshotId = await resolveSnapshotId(clients.s3, loc, input.snapshotId, signal);
  progress.snapshotId = snapshotId;
  const manifest = await readSnapshot(clients.s3, loc, snapshotId, signal);
  const selected = selectEntries(manifest.entries, input.paths);
  const files = selected.filter((e): e is FileEntry => e.type === 'file');
  const dirs = selected.filter((e) => e.type === 'dir');
  const links = selected.filter((e): e is Extract<SnapshotEntry, { type: 'symlink' }> => e.type === 'symlink');
  progress.files = files.length;
  progress.bytes = files.reduce((n, f) => n + f.size, 0);

  const needed = new Set(files.map((f) => f.sha256));
  const archived = await archivedBlobs(clients.s3, loc, needed, files, signal);
  if (archived.length) {
    progress.phase = 'thaw';
    onProgress?.({ ...progress, waitingFor: archived.length });
    await thawArchived(
      clients.s3,
      loc.bucket,
      archived.map((sha) => blobKey(loc, sha)),
      { tier: input.tier, days: input.days, wait: input.wait, pollIntervalMs: input.pollIntervalMs, noun: 'blobs' },
      signal,
      (pending: ObjectArchiveState[]) => onProgress?.({ ...progress, phase: 'thaw', waitingFor: pending.length }),
    );
  }

  const target = resolve(input.target);
  await mkdir(target, { recursive: true });
  const realTarget = await realpath(target);
  const skippedExisting: string[] = [];
  const damaged: ColdkeepError[] = [];
  const checkedDirs = new Map<string, Promise<void>>();
  // A symlink in the target (old or restored) must never carry a write outside it.
  const checkParent = (path: string): Promise<void> => {
    const parent = dirname(path);
    let check = checkedDirs.get(parent);
    if (!check) {
      check = (async () => {
        await mkdir(parent, { recursive: true });
        const real = await realpath(parent);
        if (!isInside(realTarget, real)) {
          throw new ColdkeepError('RestoreFailed', `${parent} leads outside ${target} (through a symlink).`, {
            hint: 'Restore into an empty folder.',
          });
        }
      })();
      checkedDirs.set(parent, check);
    }
    return check;
  };
  const destination = (path: string): string => join(target, ...path.split('/'));

  try {
    progress.phase = 'restore';
    onProgress?.({ ...progress });
    for (const d of dirs) await mkdir(destination(d.path), { recursive: true, mode: 0o700 });
    await runPool(
      files,
      input.concurrency ?? 8,
      async (file, poolSignal) => {
        const dest = destination(file.path);
        await checkParent(dest);
        if (await exists(dest)) {
          if (!input.overwrite) {
            skippedExisting.push(file.path);
            progress.filesDone++;
            onProgress?.({ ...progress });
            return;
          }
          if ((await lstat(dest)).isDirectory()) {
            throw new ColdkeepError('RestoreFailed', `${dest} is a folder; the snapshot has a file there.`, {
              hint: 'Move the folder away, or restore into another target.',
            });
          }
        }
        try {
          await downloadBlob(clients.s3, loc, file, dest, poolSignal);
        } catch (err) {
          if (err instanceof ColdkeepError && err.code === 'ChecksumMismatch') damaged.push(err);
          else throw err;
        }
        progress.filesDone++;
        progress.bytesDone += file.size;
        onProgress?.({ ...progress });
      },
      signal,
    );
    // Links last, so no restored link can redirect a file written after it.
    for (const link of links) {
      const dest = destination(link.path);
      await checkParent(dest);
      if (await exists(dest)) {
        if (!input.overwrite) {
          skippedExisting.push(link.path);
          continue;
        }
        await unlink(dest);
      }
      await symlink(link.target, dest);
      await lutimes(dest, link.mtimeMs / 1000, link.mtimeMs / 1000).catch(() => undefined);
    }
    // Folders last and deepest first: writing into a folder changes its mtime, and a
    // read-only mode would stop the writes.
    progress.phase = 'finish';
    onProgress?.({ ...progress });
    for (const d of [...dirs].reverse()) {
      const dest = destination(d.path);
      await chmod(dest, d.mode);
      await utimes(dest, d.mtimeMs / 1000, d.mtimeMs / 1000);
    }
  } catch (err) {
    throw withAftermath(err, {
      job: `Restore of ${loc.source} ${snapshotId}`,
      summary: `${progress.filesDone} of ${files.length} file(s) were restored into ${target}; files are written whole or not at all.`,
      details: { target, filesDone: progress.filesDone, files: files.length },
      fallbackCode: 'RestoreFailed',
      fallbackHint: 'Run the same restore again: files already there are left alone.',
    });
  }
  if (damaged.length) {
    throw new ColdkeepError(
      'ChecksumMismatch',
      `${damaged.length} file(s) were not restored because their blobs are damaged (first: ${String(damaged[0]!.details?.path)}); ` +
        `${files.length - damaged.length - skippedExisting.length} other file(s) were restored into ${target}.`,
      {
        hint: damaged[0]!.hint,
        details: { damaged: damaged.map((d) => d.details), target },
      },
    );
  }
  return {
    source: loc.source,
    snapshotId,
    target,
    files: files.length - skippedExisting.filter((p) => !links.some((l) => l.path === p)).length,
    dirs: dirs.length,
    symlinks: links.length,
    bytes: progress.bytesDone,
    skippedExisting,
    thawedBlobs: archived.length,
    durationMs: Date.now() - started,
  };
}
