import { createHash } from 'node:crypto';
import { pipeline as pipelineCallback, type Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Uri } from '../../storage/bucketKeys';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withRetry } from '../../base/jobs/backoff';
import type { PlannedFile } from '../restore/restorePlan';

/**
 * Streams a data file's lines (at its backed-up version) to `onLine` while hashing the object,
 * then checks the checksum the manifest recorded. For readers whose work has no effect until the
 * whole file proved good (an item restore's selection: nothing is written before every file is
 * verified), so the file need not be staged on disk first. `start` is called before each try:
 * a retried download (a connection cut mid-body) begins the file again, so the caller drops what
 * the failed try gave it. Resolves to the number of non-blank lines.
 */
export async function readVerifiedLines(
  s3: S3Client,
  bucket: string,
  file: PlannedFile,
  start: () => void,
  onLine: (line: Buffer) => void,
  signal?: AbortSignal,
): Promise<number> {
  let lineError: unknown;
  const outcome = await withRetry(
    async () => {
      start();
      const response = await s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: file.key,
          ...(file.versionId ? { VersionId: file.versionId } : {}),
        }),
        { abortSignal: signal },
      );
      const sha256 = createHash('sha256');
      const md5 = createHash('md5');
      const tap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          sha256.update(chunk);
          md5.update(chunk);
          done(null, chunk);
        },
      });
      const gunzipped = pipelineCallback(response.Body as Readable, tap, createGunzip(), () => undefined);
      let lines = 0;
      lineError = undefined;
      let partial: Buffer | undefined;
      const emit = (piece: Buffer): void => {
        const line = piece.length > 0 && piece[piece.length - 1] === 0x0d ? piece.subarray(0, -1) : piece;
        for (let k = 0; k < line.length; k++) {
          const c = line[k];
          if (c !== 0x20 && c !== 0x09) {
            lines++;
            // A line the reader refuses is reported after the checksum: damage is said as damage.
            if (lineError === undefined) {
              try {
                onLine(line);
              } catch (err) {
                lineError = err;
              }
            }
            return;
          }
        }
      };
      for await (const chunk of gunzipped as AsyncIterable<Buffer>) {
        let from = 0;
        for (let end = chunk.indexOf(0x0a); end >= 0; end = chunk.indexOf(0x0a, from)) {
          const piece = chunk.subarray(from, end);
          emit(partial ? Buffer.concat([partial, piece]) : piece);
          partial = undefined;
          from = end + 1;
        }
        if (from < chunk.length)
          partial = partial ? Buffer.concat([partial, chunk.subarray(from)]) : chunk.subarray(from);
      }
      if (partial?.length) emit(partial);
      return { lines, sha256: sha256.digest('hex'), md5: md5.digest('base64') };
    },
    { signal },
  ).catch((err: unknown) => {
    // Bytes that do not inflate are not the gzip the backup wrote: damage, like a wrong checksum.
    if (/^Z_/.test((err as { code?: string }).code ?? '')) {
      throw new ColdkeepError(
        'ChecksumMismatch',
        `${s3Uri(bucket, file.key)} is damaged: it is not the gzip the backup wrote (${(err as Error).message}).`,
        {
          hint: 'Nothing was written. Restore from another backup, or check whether the object was overwritten.',
          details: { key: file.key },
          cause: err,
        },
      );
    }
    throw fromAwsError(err, { doing: `download ${file.key}`, bucket });
  });
  const expected = file.sha256 ?? file.md5;
  const actual = file.sha256 ? outcome.sha256 : outcome.md5;
  if (expected && expected !== actual) {
    throw new ColdkeepError(
      'ChecksumMismatch',
      `${s3Uri(bucket, file.key)} is damaged: its ${file.sha256 ? 'SHA-256' : 'MD5'} is ${actual}, the manifest says ${expected}.`,
      {
        hint: 'Nothing was written. Restore from another backup, or check whether the object was overwritten.',
        details: { key: file.key, expected, actual },
      },
    );
  }
  if (lineError !== undefined) throw lineError;
  return outcome.lines;
}
