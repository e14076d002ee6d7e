import { ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Uri } from './bucketKeys';
import { ColdkeepError } from '../base/errors/ColdkeepError';

/** Whether an SDK error says the object is not there (S3's NoSuchKey, or a bare 404). */
export function isMissingObject(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.Code === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/** What a versioned bucket still holds of a key that is gone: its older versions, newest first. */
export interface OlderVersions {
  /** false when the bucket could not be asked (no versioning API, or no s3:ListBucketVersions). */
  checked: boolean;
  versions: { versionId: string; lastModified?: string; size?: number }[];
  /** Why it could not be checked. */
  reason?: string;
}

export async function olderVersionsOf(
  s3: S3Client,
  bucket: string,
  key: string,
  signal?: AbortSignal,
): Promise<OlderVersions> {
  try {
    const answer = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, MaxKeys: 100 }), {
      abortSignal: signal,
    });
    const versions = (answer.Versions ?? [])
      .filter((v) => v.Key === key && v.VersionId && v.VersionId !== 'null')
      .map((v) => ({
        versionId: v.VersionId!,
        ...(v.LastModified ? { lastModified: v.LastModified.toISOString() } : {}),
        ...(v.Size !== undefined ? { size: v.Size } : {}),
      }));
    return { checked: true, versions };
  } catch (err) {
    if (signal?.aborted) throw err;
    const e = err as { name?: string; message?: string };
    return { checked: false, versions: [], reason: `${e.name ?? 'Error'}: ${e.message ?? String(err)}` };
  }
}

/**
 * The coded error for a data file the manifest lists but S3 does not hold: it names the file and,
 * in a versioned bucket, whether an older version of it remains (a deleted object leaves one).
 */
export async function dataFileMissing(
  s3: S3Client,
  bucket: string,
  key: string,
  cause: unknown,
  signal?: AbortSignal,
): Promise<ColdkeepError> {
  const older = await olderVersionsOf(s3, bucket, key, signal);
  const uri = s3Uri(bucket, key);
  const newest = older.versions[0];
  const hint = newest
    ? `The bucket is versioned and still holds ${older.versions.length} older version(s) of it; the newest is ${newest.versionId}` +
      `${newest.lastModified ? ` (${newest.lastModified})` : ''}. Bring it back (aws s3api copy-object --bucket ${bucket} --key ${key} ` +
      `--copy-source "${bucket}/${key}?versionId=${newest.versionId}"), then restore again.`
    : older.checked
      ? 'No older version of it exists in the bucket: restore from another backup ("coldkeep backups list").'
      : `Whether an older version exists could not be checked (${older.reason}). Restore from another backup ("coldkeep backups list").`;
  return new ColdkeepError(
    'DataFileMissing',
    `The data file ${uri}, listed in the backup's manifest, is not in the bucket.`,
    {
      hint,
      cause,
      details: { key, olderVersions: older },
    },
  );
}
