import { clearScreenDown, moveCursor } from 'node:readline';
import type { BackupProgress } from '../tables/backup/backupReport';
import type { RestoreProgress } from '../tables/restore/restoreReport';
import { formatBytes, formatCount, formatDuration } from './format';

/**
 * Shows a job's progress on stderr: a live multi-line display on a terminal, or a plain
 * line every few seconds (and at each phase change) when piped, so logs stay readable.
 */
export class ProgressDisplay {
  private lines = 0;
  private lastDraw = 0;
  private lastPhase = '';
  private started = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly interactive: boolean = stream.isTTY === true,
  ) {}

  backup(p: BackupProgress): void {
    if (p.phase === 'describe') this.started = Date.now();
    this.update(`${p.phase}:${p.exportStatus ?? ''}`, () => {
      const elapsed = (Date.now() - this.started) / 1000;
      if (p.phase === 'export') {
        // DynamoDB's export gives no item progress until it is done: say what it is doing and for how long.
        return [
          `DynamoDB is exporting ${p.table}: ${p.exportStatus ?? 'starting'}, ${formatDuration(elapsed * 1000)} so far` +
            (p.estimatedItems ? ` (~${formatCount(p.estimatedItems)} items)` : ''),
        ];
      }
      const rate = elapsed > 0 ? p.items / elapsed : 0;
      const eta =
        rate > 0 && p.estimatedItems > p.items ? formatDuration(((p.estimatedItems - p.items) / rate) * 1000) : '';
      const done = p.segments.filter((s) => s.done).length;
      const head =
        `${p.phase === 'scan' ? 'Scanning' : p.phase === 'manifest' ? 'Writing manifest' : 'Describing'} ${p.table}: ` +
        `${formatCount(p.items)}${p.estimatedItems ? ` of ~${formatCount(p.estimatedItems)}` : ''} items, ` +
        `${formatBytes(p.uncompressedBytes)}, ${formatCount(Math.round(rate))} items/s` +
        (eta ? `, ETA ${eta}` : '') +
        (p.throttledRequests ? `, ${p.throttledRequests} throttled` : '');
      const lines = [head, `  segments ${done}/${p.totalSegments} done`];
      if (this.interactive && p.segments.length <= 16) {
        lines.push(
          ...p.segments.map(
            (s) =>
              `  segment ${String(s.segment).padStart(2)}  ${formatCount(s.items).padStart(10)} ${s.done ? 'done' : '…'}`,
          ),
        );
      }
      return lines;
    });
  }

  restore(p: RestoreProgress): void {
    if (p.phase === 'plan') this.started = Date.now();
    // Piped, a restore prints a line as each file is written in full: a log then shows how far it got.
    this.update(`${p.phase}:${p.importStatus ?? ''}:${p.phase === 'restore' ? p.filesDone : ''}`, () => {
      if (p.phase === 'thaw' && p.waitingFor) return [`Waiting for ${p.waitingFor} archived file(s) to be retrieved…`];
      if (p.phase === 'verify') {
        return [
          `Verifying ${p.filesToVerify ?? p.filesTotal} file(s)${p.bytesToVerify !== undefined ? ` (${formatBytes(p.bytesToVerify)})` : ''} before writing to ${p.target}: ` +
            `${p.filesVerified ?? 0} verified` +
            (p.verifyStrategy === 'hash-then-reread'
              ? ' (too big to stage on this disk: proven now, downloaded again for the writes)'
              : p.verifyStrategy === 'staged'
                ? ', staged on disk'
                : ''),
        ];
      }
      if (p.phase === 'import') {
        return [
          `DynamoDB is importing into ${p.target}: ${p.importStatus ?? 'starting'}, ${formatCount(p.itemsWritten)}` +
            `${p.itemsExpected !== undefined ? ` of ${formatCount(p.itemsExpected)}` : ''} items imported`,
        ];
      }
      const elapsed = (Date.now() - this.started) / 1000;
      const rate = elapsed > 0 ? p.itemsWritten / elapsed : 0;
      return [
        `${p.phase === 'count' ? 'Counting' : 'Restoring into'} ${p.target}: ${formatCount(p.itemsWritten)}` +
          `${p.itemsExpected !== undefined ? ` of ${formatCount(p.itemsExpected)}` : ''} items, ` +
          `files ${p.filesDone}/${p.filesTotal}, ${formatCount(Math.round(rate))} items/s`,
      ];
    });
  }

  /** Any job's progress, rendered by the caller: lines on a terminal, the first line when piped. */
  show(phase: string, render: () => string[]): void {
    this.update(phase, render);
  }

  /** Removes the live display before the final report is printed. */
  done(): void {
    if (this.interactive) this.erase();
  }

  private update(phase: string, render: () => string[]): void {
    const now = Date.now();
    const phaseChanged = phase !== this.lastPhase;
    const interval = this.interactive ? 100 : 5000;
    if (!phaseChanged && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    this.lastPhase = phase;
    const lines = render();
    if (this.interactive) {
      this.erase();
      this.stream.write(lines.join('\n') + '\n');
      this.lines = lines.length;
    } else {
      this.stream.write(lines[0] + '\n');
    }
  }

  private erase(): void {
    if (this.lines === 0) return;
    moveCursor(this.stream, 0, -this.lines);
    clearScreenDown(this.stream);
    this.lines = 0;
  }
}
