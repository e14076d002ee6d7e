import { withAftermath } from '../../base/errors/withAftermath';
import { s3Uri } from '../../storage/bucketKeys';
import { backupDir } from '../repository/layout';
import type { BackupReport } from './backupReport';
import { engineFacts, type TableBackupRun } from './backupRun';
import { exportBackup } from './exportBackup';
import { reportFrom, writeManifest } from './manifestPhase';

/**
 * Phase "export", when DynamoDB's managed export reads the table (exportBackup.ts), then its
 * manifest. Nothing is cleaned up on failure: the export cannot be stopped, its files stay.
 */
export async function exportTableBackup(run: TableBackupRun): Promise<BackupReport> {
  const { clients, input, schema, location, progress, emit, signal, started } = run;
  Object.assign(progress, {
    phase: 'export',
    engine: 'export',
    backupId: location.backupId,
    estimatedItems: schema.approximateItemCount,
  });
  emit();
  const { manifest, exportArn } = await exportBackup(
    clients,
    schema,
    location,
    { ...input, prefix: location.prefix },
    run.pitr ?? { enabled: true },
    started,
    run.now,
    {
      signal,
      onProgress: (p) => {
        Object.assign(progress, p);
        emit();
      },
    },
  );
  progress.phase = 'manifest';
  progress.items = manifest.itemCount;
  emit();
  try {
    await writeManifest(clients.s3, location, manifest, input, signal);
  } catch (err) {
    throw withAftermath(err, {
      job: `Backup of ${location.table}`,
      summary: `No manifest was written, so this is not a backup; the export's files stay under ${s3Uri(location.bucket, backupDir(location))}.`,
      details: { backupId: location.backupId, manifestWritten: false, exportArn },
      fallbackCode: 'BackupIncomplete',
      fallbackHint: 'Run the backup again.',
    });
  }
  return {
    ...reportFrom(location, manifest, run.now().getTime() - started.getTime()),
    ...engineFacts(run),
    exportArn,
    throttledRequests: 0,
    consumedReadUnits: 0,
  };
}
