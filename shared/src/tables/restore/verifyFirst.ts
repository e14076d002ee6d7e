import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withRetry } from '../../base/jobs/backoff';
import { runPool } from '../../base/jobs/pool';
import type { PlannedFile } from './restorePlan';
import { countRecords, downloadVerified, hashAndCount } from '../repository/verifiedDownload';

/**
 * first (default): every file the restore needs is downloaded and proven (checksum, record count)
 * before the first item is written. per-file: each file is proven just before its own items are
 * written (a damaged file found late leaves the earlier files written).
 */
export type VerifyMode = 'first' | 'per-file';

/**
 * How the files were proven: staged (downloaded once into a local folder, then written from it),
 * hash-then-reread (they did not fit: hashed and counted as they streamed by, then downloaded
 * again, and checked again, for the writes), hash-only (a dry run: nothing is kept), or per-file.
 */
export type VerifyStrategy = 'staged' | 'hash-then-reread' | 'hash-only' | 'per-file';

export interface VerifyFacts {
  strategy: VerifyStrategy;
  /** Files proven before the first write (0 for per-file). */
  files: number;
  /** Their size, gzip bytes as stored. */
  bytes: number;
  /** Records (items, or change records) counted in them. */
  records: number;
  /** Local folder for the downloaded files. */
  stagingDir: string;
  /** Free space there when the restore chose its strategy. */
  freeBytes?: number;
  /** Bytes downloaded in all, the verification and the writes together. */
  bytesDownloaded: number;
}

/** Space left free on the staging disk besides the staged files (for the system and other programs). */
export const DEFAULT_STAGING_RESERVE_BYTES = 256 * 1024 * 1024;

/** Each file's size, from the manifest or (a DynamoDB export's manifest gives none) a HEAD request. */
async function fileSizes(s3: S3Client, bucket: string, files: PlannedFile[], signal?: AbortSignal): Promise<number> {
  let total = 0;
  await runPool(
    files,
    8,
    async (file, poolSignal) => {
      if (file.bytes !== undefined) {
        total += file.bytes;
        return;
      }
      const head = await withRetry(
        () => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: file.key }), { abortSignal: poolSignal }),
        { signal: poolSignal },
      ).catch((err: unknown) => {
        throw fromAwsError(err, { doing: `read the size of ${file.key}`, bucket });
      });
      total += head.ContentLength ?? 0;
    },
    signal,
  );
  return total;
}

/** Stages the files when they fit in `stagingDir` with `reserveBytes` to spare; else hashes first and reads again. */
export async function chooseStrategy(
  s3: S3Client,
  bucket: string,
  files: PlannedFile[],
  stagingDir: string,
  reserveBytes: number,
  signal?: AbortSignal,
): Promise<{ strategy: 'staged' | 'hash-then-reread'; bytes: number; freeBytes: number }> {
  const bytes = await fileSizes(s3, bucket, files, signal);
  const disk = await statfs(stagingDir);
  const freeBytes = Number(disk.bavail) * Number(disk.bsize);
  return { strategy: bytes + reserveBytes <= freeBytes ? 'staged' : 'hash-then-reread', bytes, freeBytes };
}

export interface FileToVerify {
  file: PlannedFile;
  /** Its index in the plan: the staged copy is `<stagingDir>/<index>.json.gz`. */
  index: number;
}

export function stagedPath(stagingDir: string, index: number): string {
  return join(stagingDir, `${index}.json.gz`);
}

/**
 * Proves every file: downloads it (into the staging folder, or only through a hash), checks its
 * checksum, counts its records and checks the count against the manifest's. Writes nothing to
 * DynamoDB. `onVerified` is told each file's records and downloaded bytes.
 */
export async function verifyFiles(
  s3: S3Client,
  bucket: string,
  files: FileToVerify[],
  strategy: Exclude<VerifyStrategy, 'per-file'>,
  stagingDir: string,
  concurrency: number,
  signal: AbortSignal | undefined,
  onVerified: (entry: FileToVerify, records: number, bytes: number) => void,
  onDamaged: (entry: FileToVerify) => void,
): Promise<void> {
  await runPool(
    files,
    concurrency,
    async (entry, poolSignal) => {
      let records: number;
      let bytes: number;
      try {
        if (strategy === 'staged') {
          const path = stagedPath(stagingDir, entry.index);
          ({ bytes } = await downloadVerified(s3, bucket, entry.file, path, poolSignal));
          records = await countRecords(path);
        } else {
          ({ bytes, records } = await hashAndCount(s3, bucket, entry.file, poolSignal));
        }
      } catch (err) {
        if ((err as { code?: string }).code === 'ChecksumMismatch') onDamaged(entry);
        throw err;
      }
      assertFileCount(entry.file, records);
      onVerified(entry, records, bytes);
    },
    signal,
  );
}

/** A file must hold as many records as its manifest says (when it says). */
export function assertFileCount(file: PlannedFile, records: number): void {
  if (file.items !== undefined && records !== file.items) {
    throw new ColdkeepError('CountMismatch', `${file.key} holds ${records} records, its manifest says ${file.items}.`, {
      hint: 'The backup is inconsistent; restore from another one.',
    });
  }
}
