import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import type { ColdkeepError } from '../../base/errors/ColdkeepError';
import { withAftermath } from '../../base/errors/withAftermath';
import { s3Uri } from '../../storage/bucketKeys';
import { backupDir } from '../repository/layout';
import type { ScanBackupRun } from './backupRun';

/**
 * Aborts open uploads and removes finished data files of a scan backup that will never get its
 * manifest. Returns the error to throw, with what was removed and what was left behind.
 */
export async function cleanUpFailedBackup(run: ScanBackupRun, cause: unknown): Promise<ColdkeepError> {
  const { writers, location } = run;
  const abortedUploads = writers.map((w) => w.openKey).filter((k): k is string => k !== undefined);
  await Promise.all(writers.map((w) => w.abort()));
  const finishedKeys = writers.flatMap((w) => w.files.map((f) => f.key));
  const leftBehind: string[] = [];
  for (let i = 0; i < finishedKeys.length; i += 1000) {
    const batch = finishedKeys.slice(i, i + 1000);
    try {
      const result = await run.clients.s3.send(
        new DeleteObjectsCommand({
          Bucket: location.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      leftBehind.push(...(result.Errors ?? []).map((e) => e.Key ?? '?'));
    } catch {
      // Locked objects, missing permission or a dead connection: say so rather than hide it.
      leftBehind.push(...batch);
    }
  }
  const details = {
    backupId: location.backupId,
    manifestWritten: false,
    abortedUploads,
    removedFiles: finishedKeys.filter((k) => !leftBehind.includes(k)),
    leftBehind,
  };
  const aftermath =
    `No manifest was written, so this is not a backup. ${abortedUploads.length} upload(s) aborted, ` +
    `${details.removedFiles.length} finished data file(s) removed` +
    (leftBehind.length
      ? `; ${leftBehind.length} could not be removed and remain under ${s3Uri(location.bucket, backupDir(location))}`
      : '') +
    '.';
  return withAftermath(cause, {
    job: `Backup of ${location.table}`,
    summary: aftermath,
    details,
    fallbackCode: 'BackupIncomplete',
    fallbackHint: 'Run the backup again; if it keeps failing, the cause above says what to fix.',
  });
}
