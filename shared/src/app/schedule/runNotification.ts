import type { BackupReport } from '../../tables/backup/backupReport';
import { ColdkeepError, type ErrorCode } from '../../base/errors/ColdkeepError';
import type { FolderBackupReport } from '../../folders/backup/backupReport';
import { backupSummary, failureSummary, type JobSummary, snapshotSummary } from '../notify/jobSummary';
import type { RunRecord } from './runHistory';

/** Which scheduled runs are emailed: every finished one, or only those that did not succeed (failed or partial). */
export type NotifyOn = 'all' | 'failures';

/**
 * Whether a finished run is emailed. A cancelled run never is: someone stopped it on purpose.
 * A partial run counts as a failure: something asked for is not backed up.
 */
export function shouldNotify(run: RunRecord, on: NotifyOn): boolean {
  if (run.status === 'cancelled') return false;
  return on === 'all' || run.status === 'failed' || run.status === 'partial';
}

/**
 * What the email about a scheduled run says: the job's own summary (the same as after a backup
 * run by hand, from the report the history keeps), and how the run came about.
 */
export function runSummary(run: RunRecord): JobSummary {
  const how: [string, string][] = [
    [
      'Run',
      `${run.trigger}${run.scheduledFor ? ` for ${run.scheduledFor}` : ''}` +
        (run.attempts > 1 ? `, ${run.attempts} tries` : ''),
    ],
  ];
  if ((run.status === 'succeeded' || run.status === 'partial') && run.result) {
    const job = (run.drill ? undefined : jobSummary(run.kind, run.result.report)) ?? {
      what: run.drill ? `Restore drill (${run.sourceName})` : `Backup of ${run.sourceName}`,
      ok: true,
      headline: run.result.summary,
      facts: [['Result', run.result.summary]],
    };
    const incomplete =
      run.status === 'partial' ? (job.incomplete ?? run.result.incomplete ?? 'not complete') : undefined;
    return {
      ...job,
      ...(incomplete ? { incomplete } : {}),
      what: `Scheduled ${job.what.charAt(0).toLowerCase()}${job.what.slice(1)}`,
      facts: [...job.facts, ...how],
    };
  }
  const error = run.error ?? { code: 'Unexpected', message: `The run ended ${run.status}.` };
  const cause = new ColdkeepError(error.code as ErrorCode, error.message, error.hint ? { hint: error.hint } : {});
  return failureSummary(
    run.drill ? `Scheduled restore drill (${run.sourceName})` : `Scheduled backup of ${run.sourceName}`,
    cause,
    run.durationMs,
    how,
  );
}

/**
 * The job's own summary from the report a runner returned (the history keeps it as it was); none
 * when the report lacks what the summary shows (a runner standing in, or an older history).
 */
function jobSummary(kind: RunRecord['kind'], report: Record<string, unknown>): JobSummary | undefined {
  try {
    return kind === 'table'
      ? backupSummary(report as unknown as BackupReport)
      : snapshotSummary(report as unknown as FolderBackupReport);
  } catch {
    return undefined;
  }
}
