import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { defaultJournalDir, RestoreJournal } from './restoreJournal';
import type { TableRestoreRun } from './restoreRun';
import { assertSameKeys, inspectTarget, type TargetState } from './targetTable';

/**
 * Phase "check the target": refuses what the real run must not do (a non-empty target without
 * --overwrite, a missing one without a schema), finds the journal of an interrupted run when
 * resuming, and for a dry run turns those refusals into warnings.
 */
export async function checkTarget(run: TableRestoreRun): Promise<TargetState> {
  const { input, plan, target, clients } = run;
  const state = await inspectTarget(clients.dynamodb, target);
  if (!input.dryRun) {
    run.journal = RestoreJournal.for(input.journalDir ?? defaultJournalDir(), plan.uri, target, () => ({
      version: 1,
      source: plan.uri,
      ...(plan.backupId ? { backupId: plan.backupId } : {}),
      target,
      startedAt: new Date().toISOString(),
      targetWasEmpty: state.empty,
      createdTable: false,
      files: {},
    }));
  }
  const earlier = await run.journal?.read();
  if (input.resume && earlier) {
    if (state.exists) run.earlier = earlier;
    else run.warnings.push(`Table "${target}" no longer exists, so the restore started from the beginning.`);
  }
  if (input.resume && !run.earlier && !input.dryRun && state.exists && !state.empty && !input.overwrite) {
    throw new ColdkeepError(
      'NothingToResume',
      `There is no interrupted restore of ${plan.uri} into "${target}" to resume, and the table already holds items; nothing was written.`,
      {
        hint: 'Name the same backup (its id, not "latest", if a newer backup was made since) and target as the interrupted run, or turn on {setting:overwrite} to restore it all again.',
      },
    );
  }
  const refusals: string[] = [];
  /** A real run stops here; a dry run says what the real run will need. */
  const refuse = (code: 'TableExists' | 'NoSuchTable', message: string, hint: string, dryRunNote: string): void => {
    if (!input.dryRun) throw new ColdkeepError(code, `${message}; nothing was written.`, { hint });
    refusals.push(`${message}: ${dryRunNote}`);
  };
  if (state.exists) {
    if (plan.schema) {
      try {
        assertSameKeys(target, state.keySchema, plan.schema);
      } catch (err) {
        if (!input.dryRun) throw err;
        refusals.push(
          `${(err as Error).message} The real restore will refuse it: restore into a new table with --target NEW_NAME.`,
        );
      }
    }
    if (!state.empty && !input.overwrite && !run.earlier) {
      refuse(
        'TableExists',
        `Table "${target}" already holds items`,
        earlier
          ? 'Turn on {setting:resume} to continue the interrupted restore into it (files written in full are not written again), or {setting:overwrite} to replace items with the same keys.'
          : 'Restore into a new table ({setting:target=NEW_NAME}), or turn on {setting:overwrite} to replace items with the same keys.',
        // A warning may name settings as hints do ({setting:…}); each front end words them.
        'the real restore will need {setting:overwrite} (items with the same keys are replaced), or a new table ({setting:target=NEW_NAME}).',
      );
    }
  } else if (input.createTable === false || !plan.schema) {
    const hint = plan.schema
      ? 'Leave out {setting:noCreateTable} to create it from the saved schema.'
      : 'A DynamoDB export carries no schema: create the table with the same keys first, then restore into it.';
    refuse(
      'NoSuchTable',
      `Table "${target}" does not exist`,
      hint,
      plan.schema
        ? 'the real restore will refuse it unless it may create the table from the saved schema.'
        : 'the real restore will refuse it: a DynamoDB export carries no schema, so create the table with the same keys first.',
    );
  }
  run.warnings.push(...refusals);

  takeEarlierFiles(run);
  return state;
}

/** Files written in full by an earlier run are counted from the journal, not read again. */
function takeEarlierFiles(run: TableRestoreRun): void {
  const { plan } = run;
  for (const entry of run.entries) {
    const done = run.earlier?.files[entry.file.key];
    if (!done || done.step !== entry.step) continue;
    const report = run.files[entry.index]!;
    report.outcome = 'written-earlier';
    report.items = done.records;
    run.stepRecords[entry.step]! += done.records;
    run.steps[entry.step]!.puts += done.puts;
    run.steps[entry.step]!.deletes += done.deletes;
    if (plan.steps[entry.step]!.kind === 'incremental' && plan.steps[entry.step]!.oldImages)
      run.countDelta += done.delta;
  }
}
