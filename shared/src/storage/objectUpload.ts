import type { Readable } from 'node:stream';
import type { S3Client, Tag } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { lifecycleTags, objectParams, type StorageOptions } from './storageOptions';

export interface ObjectUploadOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  body: Readable | Buffer;
  contentType: string;
  storage: StorageOptions;
  /** Tags after the upload; the storage options' lifecycle tag by default. */
  tags?: Tag[];
  /** Multipart part size; memory per upload is about partSize × (queueSize + 1). */
  partSize?: number;
  queueSize?: number;
}

/**
 * One object streamed to S3 with Coldkeep's storage options (SSE, Object Lock, lifecycle tag)
 * through lib-storage: multipart above one part, parts removed when the body fails, so a
 * failed upload leaves nothing behind. Shared by table data files and folder blobs.
 */
export function objectUpload(options: ObjectUploadOptions): Upload {
  return new Upload({
    client: options.s3,
    params: {
      Bucket: options.bucket,
      Key: options.key,
      Body: options.body,
      ContentType: options.contentType,
      ...objectParams(options.storage),
    },
    tags: options.tags ?? lifecycleTags(options.storage),
    partSize: options.partSize ?? 5 * 1024 * 1024,
    queueSize: options.queueSize ?? 2,
    leavePartsOnError: false,
  });
}
