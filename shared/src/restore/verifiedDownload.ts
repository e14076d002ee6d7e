import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline as pipelineCallback, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type ChangeRecord, lineToChange, s3Uri } from '../backup';
import { ColdkeepError, fromAwsError } from '../errors';
import { withRetry } from '../jobs';
import type { PlannedFile } from './restorePlan';

/**
 * Downloads a data file to `path` and checks it against the checksum its manifest recorded.
 * The whole object is checked before any of its items can be read, so a damaged file never
 * writes a single item.
 */
export async function downloadVerified(
  s3: S3Client,
  bucket: string,
  file: PlannedFile,
  path: string,
  signal?: AbortSignal,
): Promise<void> {
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
      await pipeline(response.Body as Readable, tap, createWriteStream(path), { signal });
      return { sha256: sha256.digest('hex'), md5: md5.digest('base64'), bytes };
    },
    { signal },
  ).catch((err: unknown) => {
    throw fromAwsError(err, { doing: `download ${file.key}`, bucket });
  });

  const expected = file.sha256 ?? file.md5;
  const actual = file.sha256 ? digests.sha256 : digests.md5;
  if (expected && expected !== actual) {
    await rm(path, { force: true });
    throw new ColdkeepError(
      'ChecksumMismatch',
      `${s3Uri(bucket, file.key)} is damaged: its ${file.sha256 ? 'SHA-256' : 'MD5'} is ${actual}, the manifest says ${expected}.`,
      {
        hint: 'Nothing from this file was written. Restore from another backup, or check whether the object was overwritten.',
        details: { key: file.key, expected, actual, bytes: digests.bytes },
      },
    );
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
