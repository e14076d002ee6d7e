import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { s3Uri } from '../../storage/bucketKeys';
import { type BackupLocation, backupDir, manifestKey } from '../repository/layout';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { throwIfAborted } from '../../base/jobs/job';
import { getManifest } from '../repository/listBackups';

export interface DeleteBackupReport {
  uri: string;
  deletedObjects: number;
}

/** Whether a backup's Object Lock retention still holds at `now`. */
export function isLocked(lock: { retainUntil: string } | undefined, now: Date = new Date()): boolean {
  return !!lock && new Date(lock.retainUntil).getTime() > now.getTime();
}

/**
 * Deletes one backup: refused while its Object Lock retention holds. The manifest goes
 * first, so that an interrupted delete leaves an incomplete folder (never listed, never
 * restored) rather than a listed backup with missing files.
 */
export async function deleteBackup(
  s3: S3Client,
  location: BackupLocation,
  { signal, now = new Date() }: { signal?: AbortSignal; now?: Date } = {},
): Promise<DeleteBackupReport> {
  const dir = backupDir(location);
  const uri = s3Uri(location.bucket, dir);
  const manifest = await getManifest(s3, location, signal);
  const lock = manifest.storage.objectLock;
  if (isLocked(lock, now)) {
    throw new ColdkeepError('BackupLocked', `The backup ${uri} is locked until ${lock!.retainUntil}.`, {
      hint: `Object Lock (${lock!.mode}) keeps it until then; it can be deleted after that date.`,
    });
  }
  const doing = `delete the backup ${uri}`;
  try {
    const manifestOnly = manifestKey(location);
    await s3.send(new DeleteObjectsCommand({ Bucket: location.bucket, Delete: { Objects: [{ Key: manifestOnly }] } }), {
      abortSignal: signal,
    });
    let deleted = 1;
    let token: string | undefined;
    do {
      throwIfAborted(signal);
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: location.bucket, Prefix: dir, ContinuationToken: token }),
        { abortSignal: signal },
      );
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! })).filter((o) => o.Key !== manifestOnly);
      if (keys.length) {
        const result = await s3.send(
          new DeleteObjectsCommand({ Bucket: location.bucket, Delete: { Objects: keys, Quiet: true } }),
          { abortSignal: signal },
        );
        if (result.Errors?.length) {
          throw new ColdkeepError('DeleteFailed', `${result.Errors.length} object(s) of ${uri} could not be deleted.`, {
            hint: `The first: ${result.Errors[0]!.Key} (${result.Errors[0]!.Code ?? 'error'}). The backup is no longer listed; delete the rest of the folder by hand.`,
            details: { uri, failedKeys: result.Errors.map((e) => e.Key) },
          });
        }
        deleted += keys.length;
      }
      token = page.NextContinuationToken;
    } while (token);
    return { uri, deletedObjects: deleted };
  } catch (err) {
    if (err instanceof ColdkeepError) throw err;
    throw fromAwsError(err, { doing, bucket: location.bucket });
  }
}
