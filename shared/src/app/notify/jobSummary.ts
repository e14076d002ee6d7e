import type { BackupReport } from '../../tables/backup/backupReport';
import { ColdkeepError, isCancelled } from '../../base/errors/ColdkeepError';
import { neutralSettingWords, renderHint } from '../../base/errors/settingHint';
import { jobOutcome, type LeftOut } from '../../base/jobs/jobOutcome';
import type { ExportReport } from '../../tables/export/exportTable';
import type { FolderBackupReport } from '../../folders/backup/backupReport';
import type { SnapshotRestoreReport } from '../../folders/restore/restoreReport';
import type { RestoreReport } from '../../tables/restore/restoreReport';
import { dryRunText, resumedText, verifyText } from './restoreText';
import { bytesText, countText, durationText } from './figures';

/** What a notification says about a job: what ran, the result, the figures. No secrets. */
export interface JobSummary {
  /** e.g. "Backup of table studentData" */
  what: string;
  ok: boolean;
  /**
   * The job finished but is partial (see jobOutcome): what is missing, in one line, e.g.
   * "2 files not backed up". The email says INCOMPLETE, never succeeded.
   */
  incomplete?: string;
  /** Label → value, in order: counts, sizes, duration, location. */
  facts: [string, string][];
  error?: { code: string; message: string; hint?: string };
  /** One line for the subject, e.g. "10,000 items, 312 KB". */
  headline: string;
}

export function failureFacts(err: unknown): JobSummary['error'] {
  if (err instanceof ColdkeepError) {
    return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  }
  return {
    code: isCancelled(err) ? 'Cancelled' : 'Unexpected',
    message: err instanceof Error ? err.message : String(err),
  };
}

export function backupSummary(report: BackupReport): JobSummary {
  return {
    what: `Backup of table ${report.table}`,
    ok: true,
    headline: `${countText(report.itemCount)} items, ${bytesText(report.bytes)}`,
    facts: [
      ['Table', `${report.table} (${report.region}, account ${report.account})`],
      ['Items', countText(report.itemCount) + (report.kind === 'incremental' ? ' changes' : '')],
      [
        'Engine',
        report.engine === 'export'
          ? `DynamoDB export${report.kind === 'incremental' ? `, incremental on ${report.parentBackupId}` : ''}`
          : 'scan',
      ],
      [
        'Size',
        `${bytesText(report.uncompressedBytes)} of DynamoDB JSON, ${bytesText(report.bytes)} gzip in ${report.files} file(s)`,
      ],
      ['Duration', durationText(report.durationMs)],
      ['Started', report.startedAt],
      ['Backup id', report.backupId],
      ['Location', report.uri],
    ],
  };
}

export function restoreSummary(report: RestoreReport): JobSummary {
  return {
    what: `Restore into table ${report.target}`,
    ok: true,
    headline: report.dryRun
      ? `dry run, ${countText(report.itemsVerified)} items verified, nothing written`
      : `${countText(report.itemsWritten)} items written`,
    facts: [
      ['Source', report.source],
      ['Target', report.target + (report.createdTable ? ' (created from the saved schema)' : '')],
      ...(report.dryRun
        ? [['Dry run', dryRunText(report)] as [string, string]]
        : [['Items written', countText(report.itemsWritten)] as [string, string]]),
      ...(verifyText(report) ? [['Verified', verifyText(report)!] as [string, string]] : []),
      ...(resumedText(report) ? [['Resumed', resumedText(report)!] as [string, string]] : []),
      ...(report.itemsDeleted ? [['Items deleted', countText(report.itemsDeleted)] as [string, string]] : []),
      ...(report.steps.length > 1
        ? [
            ['Chain applied', report.steps.map((s) => `${s.backupId ?? s.uri} (${s.kind})`).join(' → ')] as [
              string,
              string,
            ],
          ]
        : []),
      ...(report.engine === 'import'
        ? [['Engine', `DynamoDB import ${report.import?.importArn ?? ''}`.trim()] as [string, string]]
        : []),
      ...(report.itemsExpected !== undefined
        ? [['Items expected', countText(report.itemsExpected)] as [string, string]]
        : []),
      ...(report.countedItems !== undefined
        ? [['Counted afterwards', countText(report.countedItems)] as [string, string]]
        : []),
      ['Files', String(report.files.length)],
      ['Duration', durationText(report.durationMs)],
      ...report.warnings.map((w) => ['Warning', renderHint(w, neutralSettingWords)] as [string, string]),
    ],
  };
}

export function exportSummary(report: ExportReport): JobSummary {
  return {
    what: `Export of table ${report.table}`,
    ok: true,
    headline: `${countText(report.itemCount)} items, ${bytesText(report.bytes)} ${report.format.toUpperCase()}`,
    facts: [
      ['Table', `${report.table} (${report.region})`],
      ['Items', countText(report.itemCount)],
      ['Size', `${bytesText(report.bytes)} of ${report.format.toUpperCase()}`],
      ['Duration', durationText(report.durationMs)],
      ['Location', report.location],
    ],
  };
}

/**
 * A folder snapshot. No download link: its content is many deduplicated blobs shared with
 * other snapshots (and archived after a while), so the email says how to restore instead.
 */
export function snapshotSummary(report: FolderBackupReport): JobSummary {
  const outcome = jobOutcome(report);
  const leftOut = (label: string, items: LeftOut[]): [string, string][] => [
    ...items
      .slice(0, 20)
      .map((m): [string, string] => [
        label,
        `${m.path}${m.entry === 'folder' ? '/' : ''}: ${m.reason}.${m.whatToDo ? ` What to do: ${m.whatToDo}` : ''}`,
      ]),
    ...(items.length > 20 ? [[label, `… and ${items.length - 20} more`] as [string, string]] : []),
  ];
  return {
    what: `Snapshot of folder ${report.dir}`,
    ok: true,
    ...(outcome.headline ? { incomplete: outcome.headline } : {}),
    headline: `${countText(report.files)} files, ${bytesText(report.uploadedBytes)} new`,
    facts: [
      ['Source', report.source],
      [
        'Files',
        `${countText(report.files)} files, ${countText(report.dirs)} folders, ${countText(report.symlinks)} links, ${bytesText(report.bytes)}`,
      ],
      ['Unchanged', `${countText(report.unchangedFiles)} files since ${report.parent ?? 'no parent (first snapshot)'}`],
      [
        'Uploaded',
        `${countText(report.uploadedBlobs)} new blob(s) (${countText(report.uploadedPacks)} pack(s)), ${bytesText(report.uploadedBytes)}`,
      ],
      ...leftOut('Not backed up', outcome.missing),
      ...leftOut('Note', outcome.notes),
      ...outcome.warnings.slice(0, 20).map((w): [string, string] => ['Warning', w]),
      ['Duration', durationText(report.durationMs)],
      ['Started', report.startedAt],
      ['Snapshot id', report.snapshotId],
      ['Location', report.uri],
      ['Restore with', `coldkeep files restore ${report.snapshotId} --source ${report.source} --target DIR`],
    ],
  };
}

export function snapshotRestoreSummary(report: SnapshotRestoreReport): JobSummary {
  return {
    what: `Restore of snapshot ${report.snapshotId} into ${report.target}`,
    ok: true,
    headline: `${countText(report.files)} files, ${bytesText(report.bytes)}`,
    facts: [
      ['Source', `${report.source}, snapshot ${report.snapshotId}`],
      ['Target', report.target],
      [
        'Restored',
        `${countText(report.files)} files, ${countText(report.dirs)} folders, ${countText(report.symlinks)} links, ${bytesText(report.bytes)}; every SHA-256 checked`,
      ],
      ...(report.skippedExisting.length
        ? [['Left alone', `${countText(report.skippedExisting.length)} existing file(s)`] as [string, string]]
        : []),
      ...(report.thawedBlobs
        ? [['Thawed', `${countText(report.thawedBlobs)} archived blob(s)`] as [string, string]]
        : []),
      ['Duration', durationText(report.durationMs)],
    ],
  };
}

/** A job that failed: what ran, the error's code, message and hint, how long it ran. */
export function failureSummary(
  what: string,
  err: unknown,
  durationMs: number,
  facts: [string, string][] = [],
): JobSummary {
  const error = failureFacts(err)!;
  return {
    what,
    ok: false,
    headline: `[${error.code}]`,
    facts: [...facts, ['Ran for', durationText(durationMs)]],
    error,
  };
}
