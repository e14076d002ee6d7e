import {
  DrillRecords,
  type DrillTableInput,
  type DrillTableProgress,
  type DrillTableReport,
  defaultScheduleDir,
  durationText,
  reportOf,
  runJob as runAppJob,
  tableDrillJob,
} from '@coldkeep/shared';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ColdkeepApp } from '../app';
import { countText } from '../format';
import { runJob, showError } from '../jobs/runJob';
import { notifySettingsOf } from '../settings';
import { backupFromArgument, tableFromArgument } from './inputs';
import { pickTable } from './pick';

export function drillProgressText(p: DrillTableProgress): { message: string; percent?: number } {
  if (p.phase === 'restore' && p.restore) {
    const expected = p.restore.itemsExpected;
    return {
      message: `Restoring into ${p.scratchTable ?? 'the scratch table'}: ${countText(p.restore.itemsWritten)}${expected !== undefined ? ` of ${countText(expected)}` : ''} items`,
      ...(expected ? { percent: Math.min(80, (p.restore.itemsWritten / expected) * 80) } : {}),
    };
  }
  if (p.phase === 'compare') return { message: `Comparing: ${countText(p.itemsCompared ?? 0)} items read back` };
  if (p.phase === 'cleanup') return { message: 'Deleting the scratch table…', percent: 100 };
  if (p.phase === 'create') return { message: `Creating the scratch table ${p.scratchTable ?? ''}…`.trim() };
  return { message: 'Reading the backup…' };
}

/**
 * Coldkeep: Drill Table — the core's restore drill through the app layer (runJob): the latest
 * backup (or the backup node given) restored into a scratch table, compared item by item, timed,
 * the scratch table deleted; the result kept in the drill records the views, the CLI and the
 * desktop app read. Cancel aborts it (the scratch table is still deleted). Returns the report.
 */
export async function drillTableCommand(app: ColdkeepApp, arg?: unknown): Promise<DrillTableReport | undefined> {
  try {
    const connection = await app.awsConnection();
    const bucket = connection.bucket();
    const backup = typeof arg === 'string' ? undefined : backupFromArgument(arg);
    const table = backup?.table ?? tableFromArgument(arg) ?? (await pickTable(connection, 'Drill which table?'));
    if (!table) return undefined;
    const input: DrillTableInput = {
      table,
      bucket,
      ...(connection.settings.prefix !== undefined ? { prefix: connection.settings.prefix } : {}),
      ...(backup ? { backupId: backup.backupId } : {}),
    };
    const records = new DrillRecords(join(defaultScheduleDir(), 'drills.json'));
    const notify = notifySettingsOf(connection.settings);
    const report = await runJob(`Restore drill of ${table}`, async (signal, progress) =>
      reportOf(
        await runAppJob(connection.core, tableDrillJob(connection.clients, input, records), {
          signal,
          onProgress: (p) => progress(drillProgressText(p)),
          ...(notify ? { notify } : {}),
        }),
      ),
    );
    app.refreshViews();
    if (!report) return undefined;
    app.output.appendLine(
      `Drill of ${table}: backup ${report.backupId ?? report.source} restored into ${report.scratchTable} in ${durationText(report.restoreMs)}, ${report.itemsCompared} items compared, ${report.mismatches} mismatches; scratch table ${report.scratchDeleted ? 'deleted' : 'NOT deleted'}.`,
    );
    for (const warning of report.warnings) app.output.appendLine(`Warning: ${warning}`);
    void vscode.window.showInformationMessage(
      `Drill of ${table} passed: backup ${report.backupId ?? ''} restored in ${durationText(report.restoreMs)} and verified (${countText(report.itemsCompared)} items compared).`,
    );
    return report;
  } catch (err) {
    app.refreshViews();
    const drill = (err as { details?: { drill?: DrillTableReport } }).details?.drill;
    if (drill) {
      for (const m of drill.firstMismatches) app.output.appendLine(`Mismatch (${m.kind}): ${m.key}`);
      for (const p of drill.problems) app.output.appendLine(`Problem: ${p}`);
    }
    await showError(err, 'Restore drill');
    return undefined;
  }
}
