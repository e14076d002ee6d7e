import type { S3Client } from '@aws-sdk/client-s3';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import {
  currentEtag,
  type DamageFinding,
  MISSING_OBJECT,
  recordDamage,
  storeObjectOf,
} from '../repository/damageRecords';
import type { StorageOptions } from '../../storage/storageOptions';
import type { SourceLocation } from '../repository/layout';
import { UNOPENED_SLICE } from '../repository/packReader';
import type { FileEntry } from '../repository/snapshotManifest';
import type { SnapshotRestoreRun } from './restoreRun';

/** The command that truly repairs (named in hints). */
export const REPAIR_COMMAND = 'coldkeep files verify --repair --read-data all';

/**
 * Records the objects a restore found damaged or missing (their ETag from a HeadObject), so that
 * no later backup reuses them (with `storage`'s SSE, when given). Never throws: the restore's own outcome is what the user needs.
 */
export async function recordFound(
  s3: S3Client,
  loc: SourceLocation,
  snapshotId: string,
  found: { key: string; problem: string; paths: string[] }[],
  signal: AbortSignal | undefined,
  storage?: StorageOptions,
  /** An encrypted source's records name no path (they are stored in the clear). */
  withoutPaths = false,
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
  return recordDamage(
    s3,
    loc,
    [...byObject.values()],
    { foundBy: 'restore', snapshotId, withoutPaths, ...(storage ? { storage } : {}) },
    signal,
  );
}

/** The `actual` hash of a sealed blob that failed to open (altered in the bucket, or cut short). */
export const UNOPENED = UNOPENED_SLICE;

export function damagedBlob(file: FileEntry, key: string, actual: string, users: FileEntry[] = [file]): ColdkeepError {
  const paths = users.map((u) => u.path);
  return new ColdkeepError(
    'ChecksumMismatch',
    actual === UNOPENED
      ? `The blob of ${paths.join(', ')} is damaged: it fails its authentication check (altered in the bucket, or cut short).`
      : `The blob of ${paths.join(', ')} is damaged: its SHA-256 is ${actual}, the snapshot says ${file.sha256}.`,
    {
      hint: `${paths.length === 1 ? 'That file was' : 'Those files were'} not written. Restore from another snapshot; "${REPAIR_COMMAND}" finds every damaged blob and stores again what the folder still holds.`,
      details: { path: file.path, ...(paths.length > 1 ? { paths } : {}), key, expected: file.sha256, actual },
    },
  );
}

/**
 * The end of a restore that met damaged blobs: what it found is recorded (so no backup reuses
 * it), and the error says how many files were not written and how many were.
 */
export async function damagedFilesError(run: SnapshotRestoreRun): Promise<ColdkeepError> {
  const { damaged, files, progress } = run;
  const recording = await recordFound(
    run.clients.s3,
    run.loc,
    run.snapshotId,
    damaged.map((d) => {
      const details = d.details as { key: string; path: string; paths?: string[] };
      return { key: details.key, problem: 'hash-mismatch', paths: details.paths ?? [details.path] };
    }),
    run.signal,
    undefined,
    run.codec.sealed,
  );
  const target = run.target.dir;
  return new ColdkeepError(
    'ChecksumMismatch',
    `${files.length - progress.filesDone} file(s) were not restored because their blobs are damaged (first: ${String(damaged[0]!.details?.path)}); ` +
      `${progress.filesDone - run.skippedFiles} other file(s) were restored into ${target}.`,
    {
      hint: damaged[0]!.hintTemplate,
      details: { damaged: damaged.map((d) => d.details), target, recording },
    },
  );
}
