import { bytesText, countText } from './figures';
import type { RestoreReport } from '../../tables/restore/restoreReport';

function filesText(n: number): string {
  return `${n} file${n === 1 ? '' : 's'}`;
}

/** A dry run's one-line result: it verified, it wrote nothing. */
export function dryRunText(report: RestoreReport): string {
  return `Verified ${countText(report.itemsVerified)} items in ${filesText(report.files.length)}; nothing written.`;
}

/** How the files were proven before their items were written, and what that cost in downloads. */
export function verifyText(report: RestoreReport): string | undefined {
  const v = report.verify;
  if (!v || report.engine !== 'write') return undefined;
  switch (v.strategy) {
    case 'staged':
      return (
        `Verified first: ${filesText(v.files)} (${bytesText(v.bytes)}) proven, checksums and item counts, before the first write; ` +
        `staged in ${v.stagingDir}, downloaded once (${bytesText(v.bytesDownloaded)}).`
      );
    case 'hash-then-reread':
      return (
        `Verified first: ${filesText(v.files)} (${bytesText(v.bytes)}) proven, checksums and item counts, before the first write; ` +
        `they did not fit in ${v.stagingDir}${v.freeBytes !== undefined ? ` (${bytesText(v.freeBytes)} free)` : ''}, ` +
        `so they were downloaded twice, to prove them and again to write them (${bytesText(v.bytesDownloaded)} in all).`
      );
    case 'hash-only':
      return `Verified: ${filesText(v.files)} (${bytesText(v.bytes)}) proven, checksums and item counts, downloaded once and not kept.`;
    case 'per-file':
      return `Verified per file (--verify per-file): each file was proven just before its own items were written.`;
  }
}

/** A resumed restore: what the earlier runs had done. */
export function resumedText(report: RestoreReport): string | undefined {
  const r = report.resumed;
  if (!r) return undefined;
  return `Resumed: ${filesText(r.files)} (${countText(r.items)} items) written in full by an earlier run were not written again.`;
}
