import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, rename, rm, utimes, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withRetry } from '../../base/jobs/backoff';
import { blobKey, type SourceLocation } from '../repository/layout';
import { type ObjectCodec, SealBrokenError } from '../repository/objectCodec';
import type { FileEntry } from '../repository/snapshotManifest';
import { SYNC_IO_LIMIT, writeWholeSync } from '../source/smallFileIo';
import { damagedBlob, UNOPENED } from './damageFound';
import type { RestoreTarget } from './restoreTarget';

// A file appears in the target only whole and checked: it is written to a temp file beside it,
// given its mode and mtime, and renamed into place.

/** Gives a written temp file the entry's mode and mtime and moves it into place. */
async function settleFile(tempPath: string, file: FileEntry, finalPath: string): Promise<void> {
  await chmod(tempPath, file.mode);
  await utimes(tempPath, file.mtimeMs / 1000, file.mtimeMs / 1000);
  await rename(tempPath, finalPath);
}

/** Writes a file whose bytes were read (from a pack) and checked. */
export async function writeChecked(
  target: RestoreTarget,
  file: FileEntry,
  finalPath: string,
  body: Buffer,
): Promise<void> {
  const tempPath = target.tempPathFor(finalPath);
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
 * Downloads a blob to a temp file, hashing it on the way (opening it first, in format 3);
 * renames it to `finalPath` only when the SHA-256 is the one the snapshot names. A damaged blob
 * (or a sealed one that fails to open) never replaces anything.
 */
export async function downloadBlob(
  s3: S3Client,
  loc: SourceLocation,
  target: RestoreTarget,
  file: FileEntry,
  finalPath: string,
  signal: AbortSignal,
  codec: ObjectCodec,
): Promise<void> {
  const key = blobKey(loc, codec.blobName(file.sha256));
  const tempPath = target.tempPathFor(finalPath);
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
        const out = createWriteStream(tempPath, { mode: 0o600 });
        if (codec.sealed) {
          try {
            await pipeline(response.Body as Readable, codec.openStream('blob', key), tap, out, { signal });
          } catch (err) {
            if (err instanceof SealBrokenError) return UNOPENED;
            throw err;
          }
        } else await pipeline(response.Body as Readable, tap, out, { signal });
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
