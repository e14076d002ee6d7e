import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Uri } from '../../storage/bucketKeys';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { runPool } from '../../base/jobs/pool';
import type { PlannedFile } from '../restore/restorePlan';

/** A data file whose current S3 version is not the one the backup wrote. */
export interface VersionDrift {
  key: string;
  /** The version the manifest recorded: the one restore and verify read. */
  backedUp: string;
  /** The key's current version; absent when the key now has none (deleted: a delete marker). */
  current?: string;
}

/**
 * Which data files were overwritten or deleted since the backup, in a versioned bucket: HeadObject
 * (current version) against the version id the manifest recorded. Files without a recorded
 * version (unversioned buckets, older manifests) are not checked: there is nothing to compare.
 */
export async function versionDrift(
  s3: S3Client,
  bucket: string,
  files: readonly PlannedFile[],
  signal?: AbortSignal,
): Promise<VersionDrift[]> {
  const drift: VersionDrift[] = [];
  await runPool(
    files.filter((f) => f.versionId),
    8,
    async (file, poolSignal) => {
      try {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: file.key }), {
          abortSignal: poolSignal,
        });
        if (head.VersionId !== file.versionId) {
          drift.push({
            key: file.key,
            backedUp: file.versionId!,
            ...(head.VersionId ? { current: head.VersionId } : {}),
          });
        }
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        // The current version is a delete marker: the backed-up version may still be there.
        if (status === 404 || (err as { name?: string }).name === 'NotFound') {
          drift.push({ key: file.key, backedUp: file.versionId! });
          return;
        }
        throw fromAwsError(err, { doing: `check the current version of ${s3Uri(bucket, file.key)}`, bucket });
      }
    },
    signal,
  );
  return drift.sort((a, b) => a.key.localeCompare(b.key));
}

/** One line per drifted file, for a report's warnings. */
export function versionDriftText(bucket: string, drift: VersionDrift): string {
  return (
    `${s3Uri(bucket, drift.key)} changed after the backup (current version ${drift.current ?? 'none: deleted'}); ` +
    `Coldkeep reads the backed-up version ${drift.backedUp}.`
  );
}
