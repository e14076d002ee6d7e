import type { ColdkeepError } from '../../base/errors/ColdkeepError';
import { withAftermath } from '../../base/errors/withAftermath';
import type { TableRestoreRun } from './restoreRun';

/** "3 files", "1 file". */
function filesText(n: number): string {
  return `${n} file${n === 1 ? '' : 's'}`;
}

/**
 * The error of a failed restore, saying exactly what DynamoDB acknowledged (every request in flight
 * has been answered by now), file by file, and what became of a table the restore created: it is
 * left in place, with what was written, so that --resume can finish the job.
 */
export function restoreFailure(cause: unknown, run: TableRestoreRun): ColdkeepError {
  const { files, target, input } = run;
  const written = files.filter((f) => f.outcome === 'written');
  const partial = files.filter((f) => f.outcome === 'partial');
  const earlier = files.filter((f) => f.outcome === 'written-earlier');
  const damaged = files.filter((f) => f.outcome === 'damaged');
  const notStarted = files.length - written.length - partial.length - earlier.length;
  const itemsWritten = [...written, ...partial].reduce((n, f) => n + f.items, 0);
  const createdTable = run.createdTable || (run.earlier?.createdTable ?? false);
  const parts: string[] = [];
  if (input.dryRun) {
    parts.push(
      `Dry run: nothing was written; ${run.progress.filesVerified ?? 0} of ${filesText(files.length)} verified.`,
    );
  } else if (run.stage === 'verify') {
    parts.push(
      `Nothing was written to "${target}": the restore stopped while verifying the files, ` +
        `${run.progress.filesVerified ?? 0} of ${run.progress.filesToVerify ?? files.length} verified.`,
    );
  } else {
    parts.push(
      `${itemsWritten} items were written to "${target}" (each acknowledged by DynamoDB): ` +
        `${filesText(written.length)} in full, ${filesText(partial.length)} in part` +
        (partial.length ? ` (${partial.map((f) => `${f.key}: ${f.items} items`).join(', ')})` : '') +
        `, ${filesText(notStarted)} not started` +
        (earlier.length ? `; ${filesText(earlier.length)} had been written in full by an earlier run` : '') +
        '.',
    );
  }
  if (damaged.length) parts.push(`Damaged: ${damaged.map((f) => f.key).join(', ')}.`);
  if (createdTable && !input.dryRun) {
    parts.push(`The table "${target}" was created by this restore and was left in place with what was written.`);
  }
  const resumable = !input.dryRun && run.stage === 'write' && run.journal;
  if (resumable) {
    parts.push(
      `Run the same restore again with --resume to finish it: the ${filesText(written.length + earlier.length)} written in full will not be written again.`,
    );
  }
  const details = {
    target,
    createdTable,
    tableLeft: createdTable && !input.dryRun,
    itemsWritten,
    files,
    verify: run.verify,
    ...(resumable ? { journal: run.journal!.path } : {}),
  };
  return withAftermath(cause, {
    job: `Restore into ${target}`,
    summary: parts.join(' '),
    details,
    fallbackCode: 'RestoreFailed',
    fallbackHint: resumable
      ? 'Fix the cause and run the restore again with {setting:resume}: files written in full are not written again.'
      : 'Fix the cause and run the restore again.',
  });
}
