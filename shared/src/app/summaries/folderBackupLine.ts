import type { FolderBackupReport } from '../../folders/backup/backupReport';
import { jobOutcome, outcomeLines } from '../../base/jobs/jobOutcome';
import { bytesText, countText } from '../notify/figures';

/**
 * A folder backup in one line, never a success for a partial one: "Backed up DIR: N files, …" or
 * "Backup of DIR INCOMPLETE: …". `details` names where the front end shows each path left out
 * (e.g. "the Coldkeep output").
 */
export function folderBackupLine(r: FolderBackupReport, details: string): string {
  const outcome = jobOutcome(r);
  const figures = `${countText(r.files)} files, ${bytesText(r.bytes)}; ${bytesText(r.uploadedBytes)} new in snapshot ${r.snapshotId}`;
  const more = [
    ...(outcome.notes.length ? [`${outcome.notes.length} left out on purpose or deleted meanwhile`] : []),
    ...(outcome.warnings.length ? [`${outcome.warnings.length} changed while read`] : []),
  ];
  const seeDetails = more.length ? ` (${more.join(', ')}: see ${details})` : '';
  if (outcome.status === 'partial')
    return `Backup of ${r.dir} INCOMPLETE: ${outcome.headline} (see ${details}). ${figures}.`;
  return `Backed up ${r.dir}: ${figures}${seeDetails}.`;
}

/** What was left out (why, what to do) and the warnings, one line each. */
export function folderBackupDetails(r: FolderBackupReport): string[] {
  return outcomeLines(jobOutcome(r));
}
