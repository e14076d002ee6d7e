import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withRetry } from '../../base/jobs/backoff';
import { packKey, type SourceLocation } from './layout';

/** A blob wanted from a pack: where it starts and how long it is. */
export interface PackSlice {
  sha256: string;
  packOffset: number;
  size: number;
}

/**
 * What was read for a slice: the caller's slice object, its bytes (valid until the returned
 * promise settles) and their SHA-256 (the caller compares it with the name).
 */
export type SliceHandler<S extends PackSlice> = (slice: S, body: Buffer, actualSha256: string) => Promise<void>;

const EMPTY_SHA256 = createHash('sha256').digest('hex');

/**
 * Reads the wanted slices of one pack with a single ranged GET (from the first to the end of
 * the last), handing each slice over whole and in pack order; gaps are skipped as they stream
 * by. A broken download resumes at the first slice not yet handed over, so no slice is handed
 * over twice. Only one slice is held in memory at a time, in one buffer reused for each.
 */
export function readPackSlices<S extends PackSlice>(
  s3: S3Client,
  loc: SourceLocation,
  packId: string,
  wanted: S[],
  onSlice: SliceHandler<S>,
  signal?: AbortSignal,
): Promise<number> {
  return readSlices(s3, loc.bucket, packKey(loc, packId), wanted, onSlice, signal);
}

/** `readPackSlices` of any pack object by its key (tree packs too). */
export async function readSlices<S extends PackSlice>(
  s3: S3Client,
  bucket: string,
  key: string,
  wanted: S[],
  onSlice: SliceHandler<S>,
  signal?: AbortSignal,
): Promise<number> {
  // In pack order; callers give one slice per place (files with one content share it).
  const slices = [...wanted].sort((a, b) => a.packOffset - b.packOffset);
  // Empty files need no bytes from the pack.
  for (const s of slices.filter((x) => x.size === 0)) await onSlice(s, Buffer.alloc(0), EMPTY_SHA256);
  const pending = slices.filter((x) => x.size > 0);
  let next = 0;
  let bytesRead = 0;
  if (pending.length === 0) return 0;
  // One buffer for every slice in turn (a slice's bytes are the handler's only until it settles):
  // a restore of 100,000 small files allocated 100,000 buffers, freed only by later GCs.
  const scratch = Buffer.allocUnsafeSlow(pending.reduce((n, x) => Math.max(n, x.size), 0));
  await withRetry(
    async () => {
      const first = pending[next]!.packOffset;
      const last = pending[pending.length - 1]!;
      const response = await s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          Range: `bytes=${first}-${last.packOffset + last.size - 1}`,
        }),
        { abortSignal: signal },
      );
      // A pack shorter than the snapshot says is damaged: what it holds is read, the rest is
      // reported, and nothing is downloaded again.
      const short =
        response.ContentLength !== undefined && response.ContentLength < last.packOffset + last.size - first;
      let position = first;
      let current: Buffer | undefined;
      let filled = 0;
      for await (const chunk of response.Body as Readable) {
        const data = chunk as Buffer;
        bytesRead += data.length;
        let at = 0;
        while (at < data.length && next < pending.length) {
          const slice = pending[next]!;
          const offset = position + at;
          if (offset < slice.packOffset) {
            at += Math.min(slice.packOffset - offset, data.length - at);
            continue;
          }
          current ??= scratch.subarray(0, slice.size);
          const n = Math.min(slice.size - filled, data.length - at);
          data.copy(current, filled, at, at + n);
          filled += n;
          at += n;
          if (filled === slice.size) {
            const body = current;
            current = undefined;
            filled = 0;
            next++;
            await onSlice(slice, body, createHash('sha256').update(body).digest('hex'));
          }
        }
        position += data.length;
      }
      if (next < pending.length && short) throw new PackTooShortError(key, position, pending.slice(next));
      if (next < pending.length) {
        // Retryable like a dropped connection: the next attempt resumes at the missing slice.
        throw Object.assign(new Error(`The download of ${key} ended early, at byte ${position}.`), {
          code: 'ERR_STREAM_PREMATURE_CLOSE',
        });
      }
    },
    { signal },
  ).catch((err: unknown) => {
    throw fromAwsError(err, { doing: `read pack ${key}`, bucket });
  });
  return bytesRead;
}

/** The pack ends before slices the snapshot places in it: those cannot be read. */
export class PackTooShortError extends ColdkeepError {
  constructor(
    key: string,
    readonly endsAt: number,
    readonly unread: PackSlice[],
  ) {
    super(
      'ChecksumMismatch',
      `The pack ${key} ends at byte ${endsAt}, before ${unread.length} blob(s) the snapshot places in it.`,
      {
        hint: 'The pack is damaged: restore those files from another snapshot; "coldkeep files verify" lists every file it holds.',
        details: { key, endsAt, blobs: unread.map((u) => u.sha256).slice(0, 100) },
      },
    );
  }
}
