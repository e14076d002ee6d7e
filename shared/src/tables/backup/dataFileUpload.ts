import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { createGzip, constants as zlib } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Upload } from '@aws-sdk/lib-storage';
import { CancelledError } from '../../base/errors/ColdkeepError';
import { objectUpload } from '../../storage/objectUpload';
import type { StorageOptions } from '../../storage/storageOptions';

export interface DataFileResult {
  key: string;
  items: number;
  bytes: number;
  uncompressedBytes: number;
  sha256: string;
  /** S3 version id of the object (versioned buckets only). */
  versionId?: string;
}

export interface DataFileUploadOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  storage: StorageOptions;
  /** Multipart part size; memory per upload is about partSize × (queueSize + 1). */
  partSize?: number;
  queueSize?: number;
}

/**
 * One gzip data object streamed to S3: lines in → gzip → SHA-256 tap → multipart upload.
 * Memory stays bounded by the part size, whatever the object's size.
 */
export class DataFileUpload {
  readonly key: string;
  items = 0;
  uncompressedBytes = 0;
  private storedBytes = 0;
  private readonly gzip = createGzip({ level: zlib.Z_BEST_SPEED });
  private readonly hash = createHash('sha256');
  private readonly body: PassThrough;
  private readonly upload: Upload;
  private readonly uploaded: Promise<{ VersionId?: string }>;

  constructor(options: DataFileUploadOptions) {
    this.key = options.key;
    const tap = new Transform({
      transform: (chunk: Buffer, _enc, done: TransformCallback) => {
        this.hash.update(chunk);
        this.storedBytes += chunk.length;
        done(null, chunk);
      },
    });
    this.body = new PassThrough();
    this.gzip.pipe(tap).pipe(this.body);
    this.gzip.on('error', (err) => this.body.destroy(err));
    this.upload = objectUpload({
      s3: options.s3,
      bucket: options.bucket,
      key: options.key,
      body: this.body,
      contentType: 'application/gzip',
      storage: options.storage,
      partSize: options.partSize,
      // One part in flight per file: filling a 5 MiB part of gzip takes far longer than sending
      // it, so a second would only hold memory; the segments' files upload in parallel anyway.
      queueSize: options.queueSize ?? 1,
    });
    // Start consuming now so backpressure flows from S3 back to the scan.
    this.uploaded = this.upload.done();
    this.uploaded.catch(() => undefined);
  }

  /** Writes lines (`bytes` in all, holding `items` items); waits when the upload is behind. */
  async write(chunks: readonly Buffer[], items: number, bytes: number): Promise<void> {
    this.items += items;
    this.uncompressedBytes += bytes;
    let flowing = true;
    for (const chunk of chunks) flowing = this.gzip.write(chunk);
    if (!flowing) await Promise.race([once(this.gzip, 'drain'), this.uploaded]);
  }

  /** Ends the object and waits until S3 has it (tags included). */
  async finish(): Promise<DataFileResult> {
    this.gzip.end();
    // PutObject's or CompleteMultipartUpload's answer: a versioned bucket names the version made.
    const { VersionId } = await this.uploaded;
    return {
      key: this.key,
      items: this.items,
      bytes: this.storedBytes,
      uncompressedBytes: this.uncompressedBytes,
      sha256: this.hash.digest('hex'),
      ...(VersionId && VersionId !== 'null' ? { versionId: VersionId } : {}),
    };
  }

  /**
   * Stops the upload; resolves once a started multipart upload has been aborted on S3, so
   * no parts are left behind (lib-storage aborts it when its body fails).
   */
  async abort(): Promise<void> {
    this.body.destroy(new CancelledError('Upload cancelled.'));
    this.gzip.destroy();
    await this.uploaded.catch(() => undefined);
  }
}
