import type { AwsClients } from '../base/aws/clients';
import type { RestorePlan } from '../tables/restore/restorePlan';

/**
 * How long a job is expected to take, for "will the MFA session outlive it". The rates are
 * cautious guesses: a slow guess errs towards asking for a code up front, not partway through.
 */

/** Scan and upload rate of a table backup. */
export const SCAN_BYTES_PER_SECOND = 5_000_000;
/** Restore rate (BatchWriteItem is far slower than Scan). */
export const RESTORE_ITEMS_PER_SECOND = 1_000;
/** What every job costs before its first byte: describing, planning, the manifest. */
const JOB_OVERHEAD_MS = 60_000;

/** A backup (or export) of a table of `approximateSizeBytes`. */
export function tableScanEstimateMs(approximateSizeBytes: number): number {
  return JOB_OVERHEAD_MS + (approximateSizeBytes / SCAN_BYTES_PER_SECOND) * 1000;
}

/** A backup (or export) of `table`, from its size as DynamoDB reports it. */
export async function tableBackupEstimateMs(clients: AwsClients, table: string, signal?: AbortSignal): Promise<number> {
  const { describeTable } = await import('../tables/source/describeTable.js');
  const schema = await describeTable(clients.dynamodb, table, signal);
  return tableScanEstimateMs(schema.approximateSizeBytes);
}

/** A restore of `plan`, from the backup's item count. */
export function restoreEstimateMs(plan: Pick<RestorePlan, 'itemCount' | 'files'>): number {
  const items = plan.itemCount ?? plan.files.reduce((sum, f) => sum + (f.items ?? 0), 0);
  return JOB_OVERHEAD_MS + (items / RESTORE_ITEMS_PER_SECOND) * 1000;
}
