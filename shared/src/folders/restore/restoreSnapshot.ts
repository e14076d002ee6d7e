import { mayBeArchived } from '../../storage/archiveClasses';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, lstatSync } from 'node:fs';
import {
  chmod,
  lstat,
  lutimes,
  mkdir,
  realpath,
  rename,
  rm,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withAftermath } from '../../base/errors/withAftermath';
import { withRetry } from '../../base/jobs/backoff';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { runPool } from '../../base/jobs/pool';
import { type ObjectArchiveState, type RetrievalTier, thawArchived } from '../../storage/thawArchived';
import { listBlobs, listPacks } from '../repository/blobStore';
import {
  currentEtag,
  type DamageFinding,
  MISSING_OBJECT,
  recordDamage,
  storeObjectOf,
} from '../repository/damageRecords';
import { blobKey, packKey, packsDir, type SourceLocation, sourceLocation } from '../repository/layout';
import { type PackSlice, PackTooShortError, readPackSlices } from '../repository/packReader';
import { selectEntries } from './pathSelection';
import { SYNC_IO_LIMIT, writeWholeSync } from '../source/smallFileIo';
import { readSnapshot, resolveSnapshotId } from '../repository/snapshotCatalog';
import type { FileEntry, SnapshotEntry } from '../repository/snapshotManifest';

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
  /** Objects (blobs of their own, or packs) whose retrieval from an archive class was needed. */
  thawedBlobs: number;
  durationMs: number;
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

// Synchronous: a restore asks this of every file (see smallFileIo.ts for why).
function exists(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}

// A random stem per process and a counter: unique names without a random draw per file.
const tempStem = `.coldkeep-${randomBytes(4).toString('hex')}`;
let tempCount = 0;

function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `${tempStem}-${(tempCount++).toString(36)}.part`);
}

/** Gives a written temp file the entry's mode and mtime and moves it into place. */
async function settleFile(tempPath: string, file: FileEntry, finalPath: string): Promise<void> {
  await chmod(tempPath, file.mode);
  await utimes(tempPath, file.mtimeMs / 1000, file.mtimeMs / 1000);
  await rename(tempPath, finalPath);
}

/** The command that truly repairs (named in hints). */
export const REPAIR_COMMAND = 'coldkeep files verify --repair --read-data all';

/**
 * Records the objects a restore found damaged or missing (their ETag from a HeadObject), so that
 * no later backup reuses them. Never throws: the restore's own outcome is what the user needs.
 */
async function recordFound(
  s3: S3Client,
  loc: SourceLocation,
  snapshotId: string,
  found: { key: string; problem: string; paths: string[] }[],
  signal: AbortSignal | undefined,
): Promise<{ recorded: string[]; error?: string }> {
  const byObject = new Map<string, DamageFinding>();
  try {
    for (const f of found) {
      const object = storeObjectOf(f.key);
      if (!object) continue;
      const known = byObject.get(f.key);
      if (known) known.paths.push(...f.paths);
      else {
        const etag = (await currentEtag(s3, loc.bucket, f.key, signal)) ?? MISSING_OBJECT;
        byObject.set(f.key, { ...object, etag, problem: f.problem, paths: [...f.paths] });
      }
    }
  } catch (err) {
    return { recorded: [], error: err instanceof Error ? err.message : String(err) };
  }
  return recordDamage(s3, loc, [...byObject.values()], { foundBy: 'restore', snapshotId }, signal);
}

function damagedBlob(file: FileEntry, key: string, actual: string, users: FileEntry[] = [file]): ColdkeepError {
  const paths = users.map((u) => u.path);
  return new ColdkeepError(
    'ChecksumMismatch',
    `The blob of ${paths.join(', ')} is damaged: its SHA-256 is ${actual}, the snapshot says ${file.sha256}.`,
    {
      hint: `${paths.length === 1 ? 'That file was' : 'Those files were'} not written. Restore from another snapshot; "${REPAIR_COMMAND}" finds every damaged blob and stores again what the folder still holds.`,
      details: { path: file.path, ...(paths.length > 1 ? { paths } : {}), key, expected: file.sha256, actual },
    },
  );
}

/** Writes a file whose bytes were read (from a pack) and checked. */
async function writeChecked(file: FileEntry, finalPath: string, body: Buffer): Promise<void> {
  const tempPath = tempPathFor(finalPath);
  try {
    if (body.length <= SYNC_IO_LIMIT) return writeWholeSync(tempPath, finalPath, body, file.mode, file.mtimeMs);
    await writeFile(tempPath, body, { mode: 0o600 });
    await settleFile(tempPath, file, finalPath);
  } catch (err) {
    await rm(tempPath, { force: true });
    throw err;
  }
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
  const tempPath = tempPathFor(finalPath);
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
    if (actual !== file.sha256) throw damagedBlob(file, key, actual);
    await settleFile(tempPath, file, finalPath);
  } catch (err) {
    await rm(tempPath, { force: true });
    throw err;
  }
}

/**
 * The objects (blobs of their own, packs) the selected files need that sit in an archive class,
 * from one listing each (not a request per object); missing ones fail the restore before
 * anything is written. A function of its own so that the listings are garbage once read.
 */
async function archivedObjects(
  s3: S3Client,
  loc: SourceLocation,
  snapshotId: string,
  files: FileEntry[],
  signal: AbortSignal | undefined,
): Promise<string[]> {
  const neededBlobs = new Set<string>();
  const neededPacks = new Set<string>();
  for (const f of files) {
    if (f.pack === undefined) neededBlobs.add(f.sha256);
    else neededPacks.add(f.pack);
  }
  const [blobs, packs] = await Promise.all([
    neededBlobs.size ? listBlobs(s3, loc, signal) : new Map<string, { storageClass: string }>(),
    neededPacks.size ? listPacks(s3, loc, signal) : new Map<string, { storageClass: string }>(),
  ]);
  const lost = files.filter((f) => (f.pack === undefined ? !blobs.has(f.sha256) : !packs.has(f.pack)));
  if (lost.length) {
    const keyOf = (f: FileEntry): string => (f.pack === undefined ? blobKey(loc, f.sha256) : packKey(loc, f.pack));
    const missing = [...new Set(lost.map(keyOf))];
    const recording = await recordFound(
      s3,
      loc,
      snapshotId,
      lost.map((f) => ({ key: keyOf(f), problem: 'missing', paths: [f.path] })),
      signal,
    );
    throw new ColdkeepError(
      'RestoreFailed',
      `${missing.length} object(s) the snapshot needs are missing from the bucket (e.g. for ${lost[0]!.path}). Nothing was restored.`,
      {
        hint: `Restore these files from another snapshot, or the rest with a path filter; "${REPAIR_COMMAND}" stores again what the folder still holds.`,
        details: { missing: missing.slice(0, 100), paths: lost.slice(0, 100).map((f) => f.path), recording },
      },
    );
  }
  return [
    ...[...neededBlobs].filter((sha) => mayBeArchived(blobs.get(sha)!.storageClass)).map((sha) => blobKey(loc, sha)),
    ...[...neededPacks].filter((id) => mayBeArchived(packs.get(id)!.storageClass)).map((id) => packKey(loc, id)),
  ];
}

/** What the thaw messages call the archived objects: blobs, packs, or both. */
function archivedNoun(keys: string[], loc: SourceLocation): string {
  const packs = keys.filter((k) => k.startsWith(packsDir(loc))).length;
  return packs === 0 ? 'blobs' : packs === keys.length ? 'packs' : 'blobs and packs';
}

/** A unit of restore work: a file with a blob of its own, or the files whose blobs share a pack. */
type RestoreTask = { file: FileEntry } | { pack: string; files: FileEntry[] };

function restoreTasks(files: FileEntry[]): RestoreTask[] {
  const own: RestoreTask[] = [];
  const packs = new Map<string, FileEntry[]>();
  for (const f of files) {
    if (f.pack === undefined) own.push({ file: f });
    else {
      const group = packs.get(f.pack);
      if (group) group.push(f);
      else packs.set(f.pack, [f]);
    }
  }
  return [...[...packs].map(([pack, group]) => ({ pack, files: group })), ...own];
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

  const archived = await archivedObjects(clients.s3, loc, snapshotId, files, signal);
  if (archived.length) {
    progress.phase = 'thaw';
    onProgress?.({ ...progress, waitingFor: archived.length });
    await thawArchived(
      clients.s3,
      loc.bucket,
      archived,
      {
        tier: input.tier,
        days: input.days,
        wait: input.wait,
        pollIntervalMs: input.pollIntervalMs,
        noun: archivedNoun(archived, loc),
      },
      signal,
      (pending: ObjectArchiveState[]) => onProgress?.({ ...progress, phase: 'thaw', waitingFor: pending.length }),
    );
  }

  const target = resolve(input.target);
  await mkdir(target, { recursive: true });
  const realTarget = await realpath(target);
  const skippedExisting: string[] = [];
  const damaged: ColdkeepError[] = [];
  let skippedFiles = 0;
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
    // False when the file exists and is left alone (then it counts as done).
    const prepare = async (file: FileEntry, dest: string): Promise<boolean> => {
      await checkParent(dest);
      if (!exists(dest)) return true;
      if (!input.overwrite) {
        skippedExisting.push(file.path);
        skippedFiles++;
        progress.filesDone++;
        onProgress?.({ ...progress });
        return false;
      }
      if ((await lstat(dest)).isDirectory()) {
        throw new ColdkeepError('RestoreFailed', `${dest} is a folder; the snapshot has a file there.`, {
          hint: 'Move the folder away, or restore into another target.',
        });
      }
      return true;
    };
    const done = (file: FileEntry): void => {
      progress.filesDone++;
      progress.bytesDone += file.size;
      onProgress?.({ ...progress });
    };
    const restorePacked = async (pack: string, group: FileEntry[], poolSignal: AbortSignal): Promise<void> => {
      // Files with the same content share one slice of the pack: in pack order, they are neighbours.
      const slices: (PackSlice & { files: FileEntry[] })[] = [];
      const wanted: FileEntry[] = [];
      for (const file of group) if (await prepare(file, destination(file.path))) wanted.push(file);
      wanted.sort((a, b) => (a.packOffset ?? 0) - (b.packOffset ?? 0) || a.size - b.size);
      for (const file of wanted) {
        const last = slices[slices.length - 1];
        if (last && last.packOffset === (file.packOffset ?? 0) && last.size === file.size) last.files.push(file);
        else slices.push({ sha256: file.sha256, packOffset: file.packOffset ?? 0, size: file.size, files: [file] });
      }
      try {
        await readPackSlices(
          clients.s3,
          loc,
          pack,
          slices,
          async (slice, body, actual) => {
            const sharing = slice.files;
            if (actual !== slice.sha256) {
              damaged.push(damagedBlob(sharing[0]!, packKey(loc, pack), actual, sharing));
              return;
            }
            for (const file of sharing) {
              await writeChecked(file, destination(file.path), body);
              done(file);
            }
          },
          poolSignal,
        );
      } catch (err) {
        // The files before the break are written; the ones the pack cannot hold are reported.
        if (!(err instanceof PackTooShortError)) throw err;
        // unread holds the slice objects given, so their files too.
        const paths = (err.unread as typeof slices).flatMap((slice) => slice.files.map((f) => f.path));
        damaged.push(
          new ColdkeepError('ChecksumMismatch', err.message, {
            hint: err.hintTemplate,
            details: { path: paths[0], paths: paths.slice(0, 100), key: packKey(loc, pack) },
          }),
        );
      }
    };
    await runPool(
      restoreTasks(files),
      input.concurrency ?? 8,
      async (task, poolSignal) => {
        if ('pack' in task) return restorePacked(task.pack, task.files, poolSignal);
        const { file } = task;
        const dest = destination(file.path);
        if (!(await prepare(file, dest))) return;
        try {
          await downloadBlob(clients.s3, loc, file, dest, poolSignal);
          done(file);
        } catch (err) {
          if (err instanceof ColdkeepError && err.code === 'ChecksumMismatch') damaged.push(err);
          else throw err;
        }
      },
      signal,
    );
    // Links last, so no restored link can redirect a file written after it.
    for (const link of links) {
      const dest = destination(link.path);
      await checkParent(dest);
      if (exists(dest)) {
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
    const recording = await recordFound(
      clients.s3,
      loc,
      snapshotId,
      damaged.map((d) => {
        const details = d.details as { key: string; path: string; paths?: string[] };
        return { key: details.key, problem: 'hash-mismatch', paths: details.paths ?? [details.path] };
      }),
      signal,
    );
    throw new ColdkeepError(
      'ChecksumMismatch',
      `${files.length - progress.filesDone} file(s) were not restored because their blobs are damaged (first: ${String(damaged[0]!.details?.path)}); ` +
        `${progress.filesDone - skippedFiles} other file(s) were restored into ${target}.`,
      {
        hint: damaged[0]!.hintTemplate,
        details: { damaged: damaged.map((d) => d.details), target, recording },
      },
    );
  }
  return {
    source: loc.source,
    snapshotId,
    target,
    files: files.length - skippedFiles,
    dirs: dirs.length,
    symlinks: links.length,
    bytes: progress.bytesDone,
    skippedExisting,
    thawedBlobs: archived.length,
    durationMs: Date.now() - started,
  };
}
