import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline as pipelineCallback, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Uri } from '../../storage/bucketKeys';
import { type ChangeRecord, lineToChange } from './itemLines';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withRetry } from '../../base/jobs/backoff';
import { dataFileMissing, isMissingObject } from '../../storage/missingObject';
import type { PlannedFile } from '../restore/restorePlan';

/**
 * Downloads a data file to `path` and checks it against the checksum its manifest recorded.
 * The whole object is checked before any of its items can be read, so a damaged file never
 * writes a single item. Returns its size.
 */
export async function downloadVerified(
  s3: S3Client,
  bucket: string,
  file: PlannedFile,
  path: string,
  signal?: AbortSignal,
): Promise<{ bytes: number }> {
  const digests = await withRetry(
    async () => {
      const response = await s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: file.key,
          // The version the backup wrote, not whatever was put at that key since.
          ...(file.versionId ? { VersionId: file.versionId } : {}),
        }),
        { abortSignal: signal },
      );
      const { tap, digest } = digestTap();
      await pipeline(response.Body as Readable, tap, createWriteStream(path), { signal });
      return digest();
    },
    { signal },
  ).catch(async (err: unknown) => {
    if (isMissingObject(err)) throw await dataFileMissing(s3, bucket, file.key, err, signal);
    throw fromAwsError(err, { doing: `download ${file.key}`, bucket });
  });
  const mismatch = checksumMismatch(bucket, file, digests);
  if (mismatch) {
    await rm(path, { force: true });
    throw mismatch;
  }
  return { bytes: digests.bytes };
}

/**
 * Downloads a data file without keeping it: checks its checksum and counts its records (non-blank
 * lines) as the bytes arrive. For a verify-first restore whose files do not fit on the local disk.
 */
export async function hashAndCount(
  s3: S3Client,
  bucket: string,
  file: PlannedFile,
  signal?: AbortSignal,
): Promise<{ bytes: number; records: number }> {
  const result = await withRetry(
    async () => {
      const response = await s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: file.key,
          // The version the backup wrote, not whatever was put at that key since.
          ...(file.versionId ? { VersionId: file.versionId } : {}),
        }),
        { abortSignal: signal },
      );
      const { tap, digest } = digestTap();
      const counter = new RecordCounter();
      try {
        await pipeline(response.Body as Readable, tap, createGunzip(), counter, { signal });
      } catch (err) {
        if (!isZlibError(err)) throw err;
        // Not gzip: the checksum (when there is one) names the damage; without one, this does.
        return { ...digest(), records: -1, unreadable: (err as Error).message };
      }
      return { ...digest(), records: counter.records, unreadable: undefined };
    },
    { signal },
  ).catch((err: unknown) => {
    throw fromAwsError(err, { doing: `download ${file.key}`, bucket });
  });
  if (result.unreadable !== undefined) {
    throw (
      checksumMismatch(bucket, file, result) ??
      new ColdkeepError('ChecksumMismatch', `${s3Uri(bucket, file.key)} is damaged: ${result.unreadable}.`, {
        hint: 'Nothing was written. Restore from another backup, or check whether the object was overwritten.',
        details: { key: file.key },
      })
    );
  }
  const mismatch = checksumMismatch(bucket, file, result);
  if (mismatch) throw mismatch;
  return { bytes: result.bytes, records: result.records };
}

/** Counts the records of a downloaded (and verified) file without parsing them. */
export async function countRecords(path: string): Promise<number> {
  const counter = new RecordCounter();
  await pipeline(createReadStream(path), createGunzip(), counter);
  return counter.records;
}

interface Digests {
  sha256: string;
  md5: string;
  bytes: number;
}

/** A pass-through stream that hashes (SHA-256 and MD5) and measures what goes through it. */
function digestTap(): { tap: Transform; digest: () => Digests } {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sha256.update(chunk);
      md5.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { tap, digest: () => ({ sha256: sha256.digest('hex'), md5: md5.digest('base64'), bytes }) };
}

/** The error for a file whose checksum is not the one its manifest recorded, if it is not. */
function checksumMismatch(bucket: string, file: PlannedFile, digests: Digests): ColdkeepError | undefined {
  const expected = file.sha256 ?? file.md5;
  const actual = file.sha256 ? digests.sha256 : digests.md5;
  if (!expected || expected === actual) return undefined;
  return new ColdkeepError(
    'ChecksumMismatch',
    `${s3Uri(bucket, file.key)} is damaged: its ${file.sha256 ? 'SHA-256' : 'MD5'} is ${actual}, the manifest says ${expected}.`,
    {
      hint: 'Nothing from this file was written. Restore from another backup, or check whether the object was overwritten.',
      details: { key: file.key, expected, actual, bytes: digests.bytes },
    },
  );
}

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * Counts non-blank lines (the records of a JSON lines file) in a byte stream. Only the start of
 * each line is looked at, up to its first non-space byte, so counting costs little more than gunzip.
 */
class RecordCounter extends Writable {
  records = 0;
  /** Inside a line that already has a non-space byte. */
  private counted = false;

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(0x0a, start);
      const stop = end < 0 ? chunk.length : end;
      if (!this.counted) {
        for (let i = start; i < stop; i++) {
          const c = chunk[i]!;
          if (c !== 0x20 && c !== 0x09 && c !== 0x0d) {
            this.counted = true;
            this.records++;
            break;
          }
        }
      }
      if (end < 0) break;
      this.counted = false;
      start = end + 1;
    }
    done();
  }
}

/**
 * The lines of a downloaded (and verified) gzip file, in order, without their line ends (`\n` or
 * `\r\n`), as bytes: a full backup's lines go to DynamoDB as they are (`lineItemJson`).
 */
export async function* readLines(path: string): AsyncGenerator<Buffer> {
  let partial: Buffer | undefined;
  // pipeline, not pipe: a read error then ends the loop with that error instead of leaving it waiting.
  const gunzipped = pipelineCallback(createReadStream(path), createGunzip(), () => undefined);
  for await (const chunk of gunzipped as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end >= 0; end = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, end);
      yield withoutCr(partial ? Buffer.concat([partial, piece]) : piece);
      partial = undefined;
      start = end + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      partial = partial ? Buffer.concat([partial, rest]) : rest;
    }
  }
  if (partial?.length) yield withoutCr(partial);
}

function withoutCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
}

/** Whether a line holds nothing but spaces (such lines are skipped, as JSON lines readers do). */
export function isBlankLine(line: Buffer): boolean {
  for (const c of line) if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  return true;
}

/** The change records of a downloaded (and verified) file: puts for a full backup, puts and deletes for an incremental one. */
export async function* readChanges(path: string, where: string): AsyncGenerator<ChangeRecord> {
  let n = 0;
  for await (const line of readLines(path)) {
    n++;
    if (isBlankLine(line)) continue;
    yield lineToChange(line.toString('utf8'), `${where}:${n}`);
  }
}
