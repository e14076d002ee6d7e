import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import {
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import { lifecycleTags, objectParams, objectUpload, type StorageOptions } from '../backup';
import { ColdkeepError, fromAwsError } from '../errors';
import { withRetry } from '../jobs';
import { blobHashOf, blobKey, blobsDir, type SourceLocation } from './layout';

/** Every object under a prefix, page by page (1000 keys a request). */
export async function* listObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): AsyncGenerator<_Object> {
  let token: string | undefined;
  do {
    const page = await s3
      .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), {
        abortSignal: signal,
      })
      .catch((err: unknown) => {
        throw fromAwsError(err, { doing: `list ${prefix}`, bucket });
      });
    yield* page.Contents ?? [];
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

export interface StoredBlob {
  sha256: string;
  key: string;
  size: number;
  storageClass: string;
}

/** The blobs stored for a source, from the listing. */
export async function listBlobs(
  s3: S3Client,
  loc: SourceLocation,
  signal?: AbortSignal,
): Promise<Map<string, StoredBlob>> {
  const blobs = new Map<string, StoredBlob>();
  for await (const o of listObjects(s3, loc.bucket, blobsDir(loc), signal)) {
    const sha256 = blobHashOf(o.Key ?? '');
    if (sha256)
      blobs.set(sha256, { sha256, key: o.Key!, size: o.Size ?? 0, storageClass: o.StorageClass ?? 'STANDARD' });
  }
  return blobs;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/** A stream tap that hashes what passes and fails the stream at its end if the hash is not `expected`. */
class VerifyingTap extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly expected: string) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    const actual = this.hash.digest('hex');
    // Failing here, before the last part is handed over, makes lib-storage abort the multipart
    // upload: an object whose content does not match its name is never completed.
    done(actual === this.expected ? null : new FileChangedError(this.expected, actual));
  }
}

export class FileChangedError extends Error {
  override readonly name = 'FileChangedError';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super('The file changed while it was read.');
  }
}

export interface BlobStoreOptions {
  s3: S3Client;
  location: SourceLocation;
  storage: StorageOptions;
  partSize: number;
  /** Blobs known to exist (from the parent snapshot or a listing). */
  known: Set<string>;
  /** True when `known` is the full listing, so an unknown blob is missing without asking S3. */
  complete: boolean;
}

/**
 * The content-addressed blobs of one source. A blob is uploaded once: known blobs (from the
 * parent snapshot or a listing) are skipped, unknown ones are checked with HeadObject when the
 * listing was not read, and two files with the same content in one run share one upload.
 */
export class BlobStore {
  uploadedBlobs = 0;
  uploadedBytes = 0;
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly tagging: string | undefined;

  constructor(private readonly options: BlobStoreOptions) {
    const tags = lifecycleTags(options.storage);
    this.tagging = tags.length
      ? new URLSearchParams(tags.map((t): [string, string] => [t.Key!, t.Value ?? ''])).toString()
      : undefined;
  }

  keyOf(sha256: string): string {
    return blobKey(this.options.location, sha256);
  }

  /**
   * Makes sure a blob exists, calling `upload` if it does not (once per hash in a run).
   * Resolves to true when this call uploaded it.
   */
  async ensure(sha256: string, upload: () => Promise<void>, signal?: AbortSignal): Promise<boolean> {
    if (this.options.known.has(sha256)) return false;
    const running = this.inFlight.get(sha256);
    if (running) {
      await running;
      return false;
    }
    const work = (async () => {
      if (!this.options.complete && (await this.exists(sha256, signal))) return false;
      await upload();
      return true;
    })();
    this.inFlight.set(sha256, work);
    try {
      const uploaded = await work;
      this.options.known.add(sha256);
      return uploaded;
    } finally {
      this.inFlight.delete(sha256);
    }
  }

  async has(sha256: string, signal?: AbortSignal): Promise<boolean> {
    return this.options.known.has(sha256) || (!this.options.complete && (await this.exists(sha256, signal)));
  }

  private async exists(sha256: string, signal?: AbortSignal): Promise<boolean> {
    const { s3, location } = this.options;
    try {
      await s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: this.keyOf(sha256) }), {
        abortSignal: signal,
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw fromAwsError(err, { doing: `check blob ${sha256}`, bucket: location.bucket });
    }
  }

  /** One request: the lifecycle tag goes in the Tagging header, and our SHA-256 as the checksum. */
  async putBuffer(sha256: string, body: Buffer, signal?: AbortSignal): Promise<void> {
    const { s3, location, storage } = this.options;
    const params = objectParams(storage);
    await withRetry(
      () =>
        s3.send(
          new PutObjectCommand({
            Bucket: location.bucket,
            Key: this.keyOf(sha256),
            Body: body,
            ContentLength: body.length,
            ContentType: 'application/octet-stream',
            ...params,
            ...(params.ChecksumAlgorithm ? { ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64') } : {}),
            ...(this.tagging ? { Tagging: this.tagging } : {}),
          }),
          { abortSignal: signal },
        ),
      { signal },
    ).catch((err: unknown) => {
      throw fromAwsError(err, { doing: `upload blob ${sha256}`, bucket: location.bucket });
    });
    this.uploadedBlobs++;
    this.uploadedBytes += body.length;
  }

  /**
   * Streams a big file to its blob, multipart. The stream is hashed again on the way: if the
   * file changed since it was hashed, the upload is aborted and FileChangedError thrown.
   */
  async putFile(sha256: string, absPath: string, signal?: AbortSignal): Promise<void> {
    const { s3, location, storage, partSize } = this.options;
    const tap = new VerifyingTap(sha256);
    const source = createReadStream(absPath);
    source.on('error', (err) => tap.destroy(err));
    source.pipe(tap);
    const upload = objectUpload({
      s3,
      bucket: location.bucket,
      key: this.keyOf(sha256),
      body: tap,
      contentType: 'application/octet-stream',
      storage,
      partSize,
    });
    const onAbort = (): void => {
      tap.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
    } catch (err) {
      if (tap.errored instanceof FileChangedError) throw tap.errored;
      if (err instanceof FileChangedError || err instanceof ColdkeepError) throw err;
      throw fromAwsError(err, { doing: `upload blob ${sha256}`, bucket: location.bucket });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      source.destroy();
    }
    this.uploadedBlobs++;
    this.uploadedBytes += tap.bytes;
  }
}
