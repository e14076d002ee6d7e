import { statusOfError } from '../../base/jobs/jobOutcome';
import type { DrillFolderReport } from '../../folders/drill/drillReport';
import type { DrillTableReport } from '../../tables/drill/drillTable';
import { countText, durationText } from '../notify/figures';
import type { DrillRecord, DrillRecords } from '../schedule/drillRecords';

/** What a finished drill leaves in the records, besides its source and when it started. */
export type DrillResult = Omit<DrillRecord, 'source' | 'at'>;

/**
 * Runs a drill and keeps how it ended in the drill records, whichever way that is: a drill cut
 * by a fault or a cancel is kept as failed or cancelled, so no list goes on showing an older pass.
 * Every front end and the scheduler drill through here, so the records say one thing.
 */
export async function recordedDrill<Report>(
  records: DrillRecords,
  source: string,
  drill: () => Promise<Report>,
  result: (report: Report) => DrillResult,
  signal?: AbortSignal,
): Promise<Report> {
  const at = new Date().toISOString();
  let report: Report;
  try {
    report = await drill();
  } catch (err) {
    const summary = err instanceof Error ? err.message : String(err);
    await records.record({ source, status: statusOfError(err, signal), at, summary });
    throw err;
  }
  await records.record({ source, at, ...result(report) });
  return report;
}

export function tableDrillResult(report: DrillTableReport): DrillResult {
  return {
    status: report.status,
    ...(report.backupId ? { restorePoint: report.backupId } : {}),
    restoreMs: report.restoreMs,
    summary:
      report.status === 'succeeded'
        ? `restore drill passed: ${countText(report.itemsCompared)} items compared, restore ${durationText(report.restoreMs)}`
        : `restore drill FAILED: ${report.problems.join(' ')}`,
  };
}

/** Files in Glacier classes a drill did not read, in words; undefined when it read everything. */
export function folderDrillNotRead(report: DrillFolderReport): string | undefined {
  return report.notRead
    ? `${countText(report.notRead.files)} file(s) in ${report.notRead.storageClasses.join(', ')} not read`
    : undefined;
}

export function folderDrillResult(report: DrillFolderReport): DrillResult {
  const notRead = folderDrillNotRead(report);
  return {
    status: report.status,
    restorePoint: report.snapshotId,
    restoreMs: report.restoreMs,
    summary:
      report.status === 'failed'
        ? `restore drill FAILED: ${report.problems.join(' ')}`
        : `restore drill ${report.status === 'partial' ? 'passed in part' : 'passed'}: ${countText(report.filesChecked)} of ${countText(report.filesInSnapshot)} files restored and checked, restore ${durationText(report.restoreMs)}` +
          (notRead ? `; ${notRead}` : ''),
  };
}
