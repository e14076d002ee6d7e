import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { newBackupId } from '../../storage/backupId';
import { objectParams, type StorageOptions } from '../../storage/storageOptions';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withRetry } from '../../base/jobs/backoff';
import { packIndexKey, packKey, type SourceLocation } from './layout';
import { encodePackIndex, PACK_INDEX_FORMAT, type PackedBlobRef } from './packIndex';

export interface PackWriterOptions {
  s3: S3Client;
  location: SourceLocation;
  storage: StorageOptions;
  /** The lifecycle tag set, URL-encoded for the Tagging header (packs are archive data). */
  tagging: string | undefined;
  /** A pack is sealed and uploaded once it holds this many bytes. */
  packSize: number;
  /** Sealed packs uploading at once; `drain` waits while more are pending (memory stays bounded). */
  maxPendingUploads?: number;
  /** The job's signal: cancelling it aborts the uploads. */
  signal?: AbortSignal;
  /** The job's clock: a pack id is a backup id of when the pack was opened, plus 4 random bytes. */
  now?: () => Date;
  /**
   * Where a pack goes and where its index goes: blob packs and their indexes by default; tree
   * packs (treeStore.ts) pass their own key and no index (a tree's place is in its parent).
   */
  keys?: { pack: (packId: string) => string; index: ((packId: string) => string) | null };
}

interface OpenPack {
  id: string;
  buffer: Buffer;
  size: number;
  blobs: [sha256: string, offset: number, length: number][];
}

/**
 * Gathers small blobs into pack objects of about `packSize` bytes, so that 100,000 small files
 * cost a few dozen PUTs (and Glacier transitions) instead of 100,000. Each pack is followed by
 * its index object (Standard storage), which a re-run after an interruption reads to reuse the
 * packs already uploaded. A place returned by `append` is only durable once `flush` resolved: the
 * snapshot manifest that names it must be written after.
 */
export class PackWriter {
  uploadedPacks = 0;
  uploadedBlobs = 0;
  uploadedBytes = 0;
  private current: OpenPack | undefined;
  private readonly uploads = new Set<Promise<void>>();
  private failure: unknown;
  private readonly spare: Buffer[] = [];

  constructor(private readonly options: PackWriterOptions) {}

  /**
   * Appends a blob to the open pack and says where it will be. Synchronous, so that callers can
   * record the place before anything else runs (two files with one content share one copy).
   */
  append(sha256: string, body: Buffer): PackedBlobRef {
    this.throwIfFailed();
    const { packSize } = this.options;
    if (this.current && this.current.size + body.length > this.current.buffer.length) this.seal();
    const pack = (this.current ??= this.open(Math.max(packSize, body.length)));
    body.copy(pack.buffer, pack.size);
    const place: PackedBlobRef = { pack: pack.id, packOffset: pack.size };
    pack.blobs.push([sha256, pack.size, body.length]);
    pack.size += body.length;
    if (pack.size >= packSize) this.seal();
    return place;
  }

  /** Waits while too many sealed packs are uploading; throws the first upload failure. */
  async drain(): Promise<void> {
    const maxPending = this.options.maxPendingUploads ?? 2;
    while (this.uploads.size > maxPending) await Promise.race(this.uploads);
    this.throwIfFailed();
  }

  /** Uploads the open pack and waits for every upload; throws the first upload failure. */
  async flush(): Promise<void> {
    if (this.current?.size) this.seal();
    while (this.uploads.size) await Promise.race(this.uploads);
    this.throwIfFailed();
  }

  /** Waits for the uploads under way without throwing: a failed job leaves nothing running. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.uploads]);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private open(capacity: number): OpenPack {
    const id = `${newBackupId(this.options.now?.())}${randomBytes(4).toString('hex')}`;
    const spare = this.spare.pop();
    const buffer = spare && spare.length >= capacity ? spare : Buffer.allocUnsafe(capacity);
    return { id, buffer, size: 0, blobs: [] };
  }

  private seal(): void {
    const pack = this.current;
    this.current = undefined;
    if (!pack) return;
    const tracked: Promise<void> = this.upload(pack)
      .then(
        () => {
          this.uploadedPacks++;
          this.uploadedBlobs += pack.blobs.length;
          this.uploadedBytes += pack.size;
        },
        (err: unknown) => {
          this.failure ??= err;
        },
      )
      .finally(() => {
        // Sent (or given up): the buffer serves the next pack. Left to the garbage collector,
        // 8 MiB pack buffers piled up to ~60 MB before V8 collected them.
        if (pack.buffer.length === this.options.packSize) this.spare.push(pack.buffer);
        this.uploads.delete(tracked);
      });
    this.uploads.add(tracked);
  }

  private async upload(pack: OpenPack): Promise<void> {
    const { s3, location, storage, tagging, signal } = this.options;
    const body = pack.buffer.subarray(0, pack.size);
    const sha256 = createHash('sha256').update(body).digest();
    const params = objectParams(storage);
    type PutInput = Omit<ConstructorParameters<typeof PutObjectCommand>[0], 'Bucket' | 'Key'>;
    // The input is made anew for each attempt: a stream body is spent by the one before.
    const put = (key: string, input: () => PutInput) =>
      withRetry(
        () => s3.send(new PutObjectCommand({ Bucket: location.bucket, Key: key, ...input() }), { abortSignal: signal }),
        {
          signal,
        },
      ).catch((err: unknown) => {
        throw fromAwsError(err, { doing: `upload ${key}`, bucket: location.bucket });
      });
    // Sent as a stream of 64 KiB views, not one 8 MiB write: over TLS each write is encrypted into
    // a new buffer of its size, and 8 MiB ones outlived scavenges (~60 MB more RSS on 10k files).
    const keys = this.options.keys ?? {
      pack: (id: string) => packKey(location, id),
      index: (id: string) => packIndexKey(location, id),
    };
    await put(keys.pack(pack.id), () => ({
      Body: Readable.from(slicesOf(body, 64 * 1024), { objectMode: false }),
      ContentLength: body.length,
      ContentType: 'application/octet-stream',
      ...params,
      ...(params.ChecksumAlgorithm ? { ChecksumSHA256: sha256.toString('base64') } : {}),
      ...(tagging ? { Tagging: tagging } : {}),
    }));
    if (!keys.index) return;
    // The index goes second: an index always names a pack that is whole.
    const index = await encodePackIndex({
      format: PACK_INDEX_FORMAT,
      formatVersion: 1,
      packId: pack.id,
      size: pack.size,
      sha256: sha256.toString('hex'),
      blobs: pack.blobs,
    });
    await put(keys.index(pack.id), () => ({ Body: index, ContentType: 'application/gzip', ...params }));
  }
}

/** Views of `buffer`, `size` bytes each (no copies). */
function* slicesOf(buffer: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < buffer.length; at += size) yield buffer.subarray(at, at + size);
}
