import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { RestoreJournalData } from './restoreJournal';
import type { RestoreReport } from './restoreReport';
import type { TableRestoreRun } from './restoreRun';
import { applyTtl, countItems, type TargetState } from './targetTable';

/**
 * Phase "count", last (a real run only): the TTL re-applied on a table the restore created, the
 * target's items counted exactly when it was empty before (or asked), against what it must
 * hold; the journal removed. Then the report.
 */
export async function countAndReport(
  run: TableRestoreRun,
  state: TargetState,
  startedAt: number,
): Promise<RestoreReport> {
  const { input, plan, target, progress, clients } = run;
  const itemsWritten = input.dryRun ? 0 : run.files.reduce((n, f) => n + (f.outcome === 'written' ? f.items : 0), 0);
  const itemsDeleted = input.dryRun
    ? 0
    : run.steps.reduce((n, s) => n + s.deletes, 0) - earlierTotals(run.earlier, 'deletes');
  const baseIsFull = plan.steps[0]?.kind === 'full';
  // What the target must hold when it was empty: a full backup's items, plus a chain's exact delta.
  const expectedCount =
    input.dryRun || !baseIsFull || !(plan.steps.length === 1 || plan.exactChainCount)
      ? undefined
      : run.steps[0]!.puts + run.countDelta;

  let countedItems: number | undefined;
  if (!input.dryRun) {
    if (plan.schema && (run.createdTable || run.earlier?.createdTable)) {
      await applyTtl(clients.dynamodb, plan.schema, target).catch((err: unknown) =>
        run.warnings.push(
          `TTL on ${plan.schema?.ttl?.attributeName} could not be re-applied: ${(err as Error).message}`,
        ),
      );
    }
    if (input.verifyCount ?? run.earlier?.targetWasEmpty ?? state.empty) {
      progress.phase = 'count';
      run.emit();
      const total = itemsWritten + earlierTotals(run.earlier, 'records');
      const segments = Math.max(1, Math.min(16, Math.ceil(total / 250_000)));
      countedItems = await countItems(clients.dynamodb, target, segments, run.signal);
      if (expectedCount !== undefined && countedItems !== expectedCount) {
        throw new ColdkeepError(
          'CountMismatch',
          `Table "${target}" holds ${countedItems} items after the restore, but it should hold ${expectedCount}.`,
          {
            hint: 'Something else wrote to or deleted from the table during the restore, or the backup holds duplicate keys.',
            details: { files: run.files, countedItems, expectedCount, itemsWritten },
          },
        );
      }
    }
    await run.journal?.remove();
  }

  const resumedFiles = run.files.filter((f) => f.outcome === 'written-earlier');
  return {
    source: plan.uri,
    kind: plan.kind,
    engine: 'write',
    ...(plan.backupId ? { backupId: plan.backupId } : {}),
    target,
    dryRun: input.dryRun ?? false,
    createdTable: run.createdTable || (run.earlier?.createdTable ?? false),
    ...(plan.itemCount !== undefined ? { itemsExpected: plan.itemCount } : {}),
    itemsWritten,
    itemsDeleted,
    itemsVerified: run.itemsVerified,
    ...(countedItems !== undefined ? { countedItems } : {}),
    ...(expectedCount !== undefined ? { expectedCount } : {}),
    steps: run.steps,
    files: run.files,
    verify: run.verify,
    ...(run.earlier && run.journal
      ? {
          resumed: {
            files: resumedFiles.length,
            items: resumedFiles.reduce((n, f) => n + f.items, 0),
            journal: run.journal.path,
          },
        }
      : {}),
    warnings: run.warnings,
    durationMs: Date.now() - startedAt,
  };
}

function earlierTotals(earlier: RestoreJournalData | undefined, field: 'records' | 'deletes'): number {
  return Object.values(earlier?.files ?? {}).reduce((n, f) => n + f[field], 0);
}
