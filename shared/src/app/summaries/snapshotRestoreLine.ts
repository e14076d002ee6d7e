import type { SnapshotRestoreReport } from '../../folders/restore/restoreReport';
import { bytesText, countText } from '../notify/figures';

/** A snapshot restore in one line: what was written where, and the files already there left alone. */
export function snapshotRestoreLine(report: SnapshotRestoreReport): string {
  const left = report.skippedExisting.length;
  return (
    `${countText(report.files)} files, ${bytesText(report.bytes)} restored into ${report.target} from snapshot ${report.snapshotId}` +
    (left ? `; ${countText(left)} already there left alone` : '')
  );
}
