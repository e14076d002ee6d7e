import { createHash } from 'node:crypto';
import { pipeline as pipelineCallback, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Uri } from '../../storage/bucketKeys';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withRetry } from '../../base/jobs/backoff';
import type { PlannedFile } from '../restore/restorePlan';

/** Gunzipped bytes per chunk: fewer, larger chunks mean fewer lines cut in two. */
const GUNZIP_CHUNK = 64 * 1024;

/**
 * Streams a data file's lines (at its backed-up version) to `onLine` while hashing the object,
 * then checks the checksum the manifest recorded. For readers whose work has no effect until the
 * whole file proved good (an item restore's selection: nothing is written before every file is
 * verified), so the file need not be staged on disk first. `start` is called before each try:
 * a retried download (a connection cut mid-body) begins the file again, so the caller drops what
 * the failed try gave it. Each non-blank line is given as `buf[from, to)` (without its line
 * break), most often a range of a gunzipped chunk, so that a reader that skips most lines never
 * copies them; `buf` is only valid during the call. Resolves to the number of non-blank lines.
 */
export async function readVerifiedLines(
  s3: S3Client,
  bucket: string,
  file: PlannedFile,
  start: () => void,
  onLine: (buf: Buffer, from: number, to: number, lineNumber: number) => void,
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
      // Only the checksum the manifest recorded is computed: each runs on the main thread.
      const hash = file.sha256 ? createHash('sha256') : file.md5 ? createHash('md5') : undefined;
      const body = response.Body as Readable;
      if (hash) body.on('data', (chunk: Buffer) => hash.update(chunk));
      const gunzipped = pipelineCallback(body, createGunzip({ chunkSize: GUNZIP_CHUNK }), () => undefined);
      lineError = undefined;
      const splitter = new LineSplitter((buf, from, to, lineNumber) => {
        // A line the reader refuses is reported after the checksum: damage is said as damage.
        if (lineError !== undefined) return;
        try {
          onLine(buf, from, to, lineNumber);
        } catch (err) {
          lineError = err;
        }
      });
      for await (const chunk of gunzipped as AsyncIterable<Buffer>) splitter.push(chunk);
      splitter.end();
      return { lines: splitter.lines, digest: hash?.digest(file.sha256 ? 'hex' : 'base64') };
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
  const actual = outcome.digest;
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

/**
 * Cuts a stream's chunks into lines without copying them: each non-blank line (blank: nothing,
 * or only spaces and tabs) is given to `onLine` as `buf[from, to)`, without its line feed and a
 * carriage return before it, with its number among the non-blank lines. Only a line cut across
 * chunks is copied, into a buffer of its own.
 */
export class LineSplitter {
  /** Non-blank lines so far. */
  lines = 0;
  /** The start of a line that continues in the next chunk(s). */
  private partial: Buffer[] = [];

  constructor(private readonly onLine: (buf: Buffer, from: number, to: number, lineNumber: number) => void) {}

  push(chunk: Buffer): void {
    let from = 0;
    let end = chunk.indexOf(0x0a);
    if (this.partial.length && end >= 0) {
      const line = Buffer.concat([...this.partial, chunk.subarray(0, end)]);
      this.partial = [];
      this.emit(line, 0, line.length);
      from = end + 1;
      end = chunk.indexOf(0x0a, from);
    }
    for (; end >= 0; end = chunk.indexOf(0x0a, from)) {
      this.emit(chunk, from, end);
      from = end + 1;
    }
    if (from < chunk.length) this.partial.push(chunk.subarray(from));
  }

  /** The last line, when the stream does not end with a line feed. */
  end(): void {
    if (!this.partial.length) return;
    const line = Buffer.concat(this.partial);
    this.partial = [];
    this.emit(line, 0, line.length);
  }

  private emit(buf: Buffer, from: number, to: number): void {
    if (to > from && buf[to - 1] === 0x0d) to--;
    for (let k = from; k < to; k++) {
      const c = buf[k];
      if (c !== 0x20 && c !== 0x09) {
        this.onLine(buf, from, to, ++this.lines);
        return;
      }
    }
  }
}
