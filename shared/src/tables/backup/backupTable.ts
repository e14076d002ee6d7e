import type { AwsClients } from '../../base/aws/clients';
import type { JobOptions } from '../../base/jobs/job';
import type { BackupProgress, BackupReport, BackupTableInput } from './backupReport';
import { describeSource } from './describePhase';
import { exportTableBackup } from './exportPhase';
import { cleanUpFailedBackup } from './failedBackup';
import { writeScanManifest } from './manifestPhase';
import { planScan, scanSegments } from './scanPhase';

/**
 * Backs up a table, in phases (backupRun.ts holds what they share): describe the table, check
 * the bucket and choose the engine → scan (segmented parallel scan → DynamoDB JSON lines → gzip
 * → S3) or export (DynamoDB's managed export) → the manifest, last. Without its manifest a
 * backup does not exist: on failure or cancel the scan's multipart uploads are aborted,
 * finished data files removed, and the error says what (if anything) was left behind.
 */
export async function backupTable(
  clients: AwsClients,
  input: BackupTableInput,
  options: JobOptions<BackupProgress> = {},
): Promise<BackupReport> {
  const described = await describeSource(clients, input, options);
  if (described.decision.engine === 'export') return exportTableBackup(described);
  const run = planScan(described);
  try {
    await scanSegments(run);
    return await writeScanManifest(run);
  } catch (err) {
    throw await cleanUpFailedBackup(run, err);
  }
}
