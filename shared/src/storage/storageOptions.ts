import type { PutObjectCommandInput, Tag } from '@aws-sdk/client-s3';

/** How backup objects are stored: encryption, retention and the lifecycle tag. */
export interface StorageOptions {
  /** Tag the bucket's lifecycle rule filters on to move data to Glacier; null for none. */
  lifecycleTag?: { key: string; value: string } | null;
  sse?: { type: 'AES256' } | { type: 'aws:kms'; kmsKeyId?: string };
  objectLock?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; retainUntil: Date };
}

export const DEFAULT_LIFECYCLE_TAG = { key: 'coldkeep-lifecycle', value: 'archive' } as const;

/** PutObject / CreateMultipartUpload parameters for these options. */
export function objectParams(options: StorageOptions): Partial<PutObjectCommandInput> {
  const params: Partial<PutObjectCommandInput> = {};
  if (options.sse) {
    params.ServerSideEncryption = options.sse.type;
    if (options.sse.type === 'aws:kms') {
      if (options.sse.kmsKeyId) params.SSEKMSKeyId = options.sse.kmsKeyId;
      // A bucket key cuts KMS requests (and cost) by orders of magnitude for many objects.
      params.BucketKeyEnabled = true;
    }
  }
  if (options.objectLock) {
    params.ObjectLockMode = options.objectLock.mode;
    params.ObjectLockRetainUntilDate = options.objectLock.retainUntil;
    // S3 refuses Object Lock uploads without an integrity checksum (Content-MD5 or x-amz-checksum-*).
    params.ChecksumAlgorithm = 'SHA256';
  }
  return params;
}

export function lifecycleTags(options: StorageOptions): Tag[] {
  const tag = options.lifecycleTag === undefined ? DEFAULT_LIFECYCLE_TAG : options.lifecycleTag;
  return tag ? [{ Key: tag.key, Value: tag.value }] : [];
}
