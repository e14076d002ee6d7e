import {
  backupArtefact,
  type BackupProgress,
  type BackupReport,
  type BackupSummary,
  backupSummary,
  backupTable,
  type BackupTableInput,
  describePitr,
  type EngineChoice,
  type JobSpec,
  type NotificationReport,
  reportOf,
  restoreSummary,
  runJob as runAppJob,
  tableBackupEstimateMs,
  verifyText,
  restoreTable,
  restoreEstimateMs,
  planRestore,
  type RestoreProgress,
  type RestoreReport,
  verifyBackup,
  type VerifyBackupReport,
} from '@coldkeep/shared';
import * as vscode from 'vscode';
import type { ColdkeepApp } from '../app';
import type { Connection } from '../connection';
import { countText, bytesText, vscodeHint } from '../format';
import { runJob, showError } from '../jobs/runJob';
import { backupInputFrom, isEngineChoice, notifySettingsOf } from '../settings';
import { backupFromArgument, defaultRestoreName, tableFromArgument, validateTableName } from './inputs';
import { pickBackup, pickTable } from './pick';

export function backupProgressText(p: BackupProgress): { message: string; percent?: number } {
  if (p.phase === 'describe') return { message: `Reading ${p.table}…` };
  if (p.phase === 'manifest') return { message: 'Writing the manifest…', percent: 100 };
  if (p.phase === 'export') return { message: `DynamoDB is exporting ${p.table} (${p.exportStatus ?? 'starting'})…` };
  const percent = p.estimatedItems > 0 ? Math.min(99, (p.items / p.estimatedItems) * 100) : undefined;
  const done = p.segments.filter((s) => s.done).length;
  return {
    message: `${countText(p.items)} items · ${done}/${p.totalSegments} segments`,
    ...(percent !== undefined ? { percent } : {}),
  };
}

export function restoreProgressText(p: RestoreProgress): { message: string; percent?: number } {
  if (p.phase === 'plan') return { message: 'Reading the backup…' };
  if (p.phase === 'thaw')
    return { message: `Waiting for ${p.waitingFor ?? 0} archived file(s) to be restored from Glacier…` };
  if (p.phase === 'count') return { message: `Counting the items of ${p.target}…`, percent: 100 };
  if (p.phase === 'verify') {
    return {
      message: `Verifying every file before writing: ${p.filesVerified ?? 0}/${p.filesToVerify ?? p.filesTotal}`,
    };
  }
  const percent = p.itemsExpected ? Math.min(99, (p.itemsWritten / p.itemsExpected) * 100) : undefined;
  return {
    message: `${countText(p.itemsWritten)}${p.itemsExpected !== undefined ? ` of ${countText(p.itemsExpected)}` : ''} items · ${p.filesDone}/${p.filesTotal} files`,
    ...(percent !== undefined ? { percent } : {}),
  };
}

/**
 * Runs a table job the application layer's way, inside the progress notification: the session
 * check (the input box asks for a code up front), the job, the email when coldkeep.notify is set
 * (success, partial and failure alike), then the email's outcome in the output or a warning.
 */
async function runTableJob<Report, Progress>(
  app: ColdkeepApp,
  connection: Connection,
  spec: JobSpec<Report, Progress>,
  signal: AbortSignal,
  onProgress: (p: Progress) => void,
): Promise<Report> {
  const notify = notifySettingsOf(connection.settings);
  const result = await runAppJob(connection.core, spec, { signal, onProgress, ...(notify ? { notify } : {}) });
  if (result.notification) showNotification(app, result.notification);
  return reportOf(result);
}

function showNotification(app: ColdkeepApp, result: NotificationReport): void {
  if (result.sent) app.output.appendLine(`Emailed ${result.to.join(', ')}: ${result.subject}`);
  else
    void vscode.window.showWarningMessage(
      `The email was not sent: ${result.error?.message ?? 'unknown error'} ${vscodeHint(result.error?.hint) ?? ''}`,
    );
}

/** Which engine backs up a table, and whether only the changes since the previous backup. */
export interface EngineOption {
  engine: EngineChoice;
  incremental?: boolean;
}

/** An engine given to the command (scripts, tests): "scan", or { engine, incremental }. */
export function engineArgument(arg: unknown): EngineOption | undefined {
  if (isEngineChoice(arg)) return { engine: arg };
  const o = arg as Partial<EngineOption> | undefined;
  if (o && isEngineChoice(o.engine))
    return { engine: o.engine, ...(o.incremental === true ? { incremental: true } : {}) };
  return undefined;
}

export type EngineItem = vscode.QuickPickItem & { option: EngineOption };

/** The engine quick pick's rows, the coldkeep.engine setting's choice first. */
export function engineItems(setting: EngineChoice): EngineItem[] {
  const items: EngineItem[] = [
    {
      label: 'Auto',
      detail: 'Export tables larger than the auto threshold (10 GiB), scan the rest',
      option: { engine: 'auto' },
    },
    {
      label: 'Scan',
      detail: "Coldkeep's segmented scan: uses read capacity (limited by coldkeep.readFraction)",
      option: { engine: 'scan' },
    },
    {
      label: 'Export',
      detail: "DynamoDB's managed export from point-in-time recovery: no read capacity, about $0.10 per GB",
      option: { engine: 'export' },
    },
    {
      label: 'Incremental export',
      detail: 'Only the changes since the previous backup of this table (a chain: full + incrementals)',
      option: { engine: 'export', incremental: true },
    },
  ];
  const own = items.findIndex((i) => i.option.engine === setting && !i.option.incremental);
  items[own] = { ...items[own]!, description: 'coldkeep.engine setting' };
  return [items[own]!, ...items.filter((_, i) => i !== own)];
}

/**
 * The engine for a backup: asked in a quick pick when the table has point-in-time recovery
 * (only then is there a choice); else the setting. Undefined when the user presses Escape.
 */
async function engineFor(connection: Connection, table: string): Promise<EngineOption | undefined> {
  const setting: EngineOption = { engine: connection.settings.engine };
  let pitr: boolean;
  try {
    pitr = (await describePitr(connection.clients.dynamodb, table)).enabled;
  } catch {
    // No PITR reading (emulator, no permission): the backup's own engine choice explains it.
    return setting;
  }
  if (!pitr) return setting;
  const choice = await vscode.window.showQuickPick(engineItems(connection.settings.engine), {
    title: `Back up ${table} with which engine?`,
    placeHolder: `${table} has point-in-time recovery, so DynamoDB can export it`,
    ignoreFocusOut: true,
  });
  return choice?.option;
}

/**
 * Coldkeep: Back Up Table. Argument: a table node or name; otherwise a quick pick. `engine`
 * (scripts, tests) skips the engine pick.
 */
export async function backupTableCommand(
  app: ColdkeepApp,
  arg?: unknown,
  engine?: EngineOption,
): Promise<BackupReport | undefined> {
  try {
    const connection = await app.awsConnection();
    const bucket = connection.bucket();
    const table = tableFromArgument(arg) ?? (await pickTable(connection, 'Back up which table?'));
    if (!table) return undefined;
    const option = engine ?? (await engineFor(connection, table));
    if (!option) return undefined;
    const input: BackupTableInput = {
      ...backupInputFrom(connection.settings, table, bucket),
      engine: option.engine,
      ...(option.incremental ? { incremental: true } : {}),
    };
    const report = await runJob(`Backing up ${table}`, (signal, report) =>
      runTableJob<BackupReport, BackupProgress>(
        app,
        connection,
        {
          what: `Backup of table ${table}`,
          estimateMs: (s) => tableBackupEstimateMs(connection.clients, table, s),
          run: (job) => backupTable(connection.clients, input, job),
          summary: backupSummary,
          artefact: (r) => () => backupArtefact(connection.clients.s3, r, input),
        },
        signal,
        (p) => report(backupProgressText(p)),
      ),
    );
    app.refreshViews();
    if (!report) return undefined;
    app.output.appendLine(
      `Backed up ${table} (${report.engine}${report.kind === 'incremental' ? ', incremental' : ''}: ${report.engineReason}): ${report.itemCount} items → ${report.uri}`,
    );
    if (report.engineAdvice) app.output.appendLine(`Note: ${report.engineAdvice}`);
    void vscode.window
      .showInformationMessage(
        `Backed up ${table}: ${countText(report.itemCount)} items, ${bytesText(report.bytes)} in ${report.files} file(s).`,
        'Show in Backups',
        'Copy S3 URI',
      )
      .then(async (choice) => {
        if (choice === 'Show in Backups') await vscode.commands.executeCommand('coldkeep.backups.focus');
        if (choice === 'Copy S3 URI') await vscode.env.clipboard.writeText(report.uri);
      });
    return report;
  } catch (err) {
    app.refreshViews();
    await showError(err, 'Backup');
    return undefined;
  }
}

export type RestoreMode = 'same' | 'new';

/**
 * Coldkeep: Restore Backup / Restore to New Table. Argument: a backup node
 * (or summary); otherwise quick picks. `target` (for tests and scripts) skips the name box.
 */
export async function restoreCommand(
  app: ColdkeepApp,
  mode: RestoreMode,
  arg?: unknown,
  target?: string,
): Promise<RestoreReport | undefined> {
  try {
    const connection = await app.awsConnection();
    const backup: BackupSummary | undefined =
      backupFromArgument(arg) ?? (await pickBackup(connection, 'Restore which backup?', tableFromArgument(arg)));
    if (!backup) return undefined;
    let into = backup.table;
    if (mode === 'new') {
      const name =
        target ??
        (await vscode.window.showInputBox({
          title: `Restore ${backup.table} (${backup.backupId}) to a new table`,
          prompt: 'Name of the new table (it must not exist yet)',
          value: defaultRestoreName(backup.table),
          validateInput: validateTableName,
          ignoreFocusOut: true,
        }));
      if (!name) return undefined;
      into = name.trim();
    } else if (mode === 'same') {
      const answer = await vscode.window.showWarningMessage(
        `Restore ${backup.backupId} into table "${backup.table}"?`,
        {
          modal: true,
          detail:
            "The table is created from the backup's schema when it does not exist. When it already holds items, nothing is written (restore to a new table instead).",
        },
        'Restore',
      );
      if (answer !== 'Restore') return undefined;
    }
    const source = { bucket: backup.bucket, prefix: backup.prefix, table: backup.table, backupId: backup.backupId };
    const report = await runJob(`Restoring ${backup.table} ${backup.backupId}`, (signal, report) =>
      runTableJob<RestoreReport, RestoreProgress>(
        app,
        connection,
        {
          what: `Restore of ${backup.uri} into ${into}`,
          // A backup that cannot be planned fails inside the job, where it is shown (and emailed).
          estimateMs: async () => {
            const plan = await planRestore(connection.clients.s3, source).catch(() => undefined);
            return plan && restoreEstimateMs(plan);
          },
          run: (job) => restoreTable(connection.clients, { source, target: into }, job),
          summary: restoreSummary,
        },
        signal,
        (p) => report(restoreProgressText(p)),
      ),
    );
    app.refreshViews();
    if (!report) return undefined;
    app.output.appendLine(
      `Restoring ${backup.uri} → ${report.target}: ${report.itemsWritten} written, ${report.itemsVerified} verified`,
    );
    const verified = verifyText(report);
    if (verified) app.output.appendLine(verified);
    void vscode.window
      .showInformationMessage(
        `Restored ${countText(report.itemsWritten)} items into ${report.target}${report.createdTable ? ' (new table)' : ''}.`,
        'Show Tables',
      )
      .then((choice) => choice && vscode.commands.executeCommand('coldkeep.tables.focus'));
    for (const warning of report.warnings) app.output.appendLine(`Warning: ${vscodeHint(warning)}`);
    return report;
  } catch (err) {
    await showError(err, 'Restore');
    return undefined;
  }
}

/**
 * Coldkeep: Verify Backup — the core of `coldkeep backups verify`: every file at its backed-up
 * version, checksum and count, nothing written. A damaged backup is an error naming its files.
 */
export async function verifyBackupCommand(app: ColdkeepApp, arg?: unknown): Promise<VerifyBackupReport | undefined> {
  try {
    const connection = await app.awsConnection();
    const backup: BackupSummary | undefined =
      backupFromArgument(arg) ?? (await pickBackup(connection, 'Verify which backup?', tableFromArgument(arg)));
    if (!backup) return undefined;
    const report = await runJob(`Verifying ${backup.table} ${backup.backupId}`, (signal, progress) =>
      verifyBackup(
        connection.clients,
        {
          source: { bucket: backup.bucket, prefix: backup.prefix, table: backup.table, backupId: backup.backupId },
        },
        {
          signal,
          onProgress: (p) =>
            progress({
              message: `${p.filesDone}/${p.filesTotal} file(s) · ${countText(p.itemsVerified)} items`,
              ...(p.filesTotal ? { percent: (p.filesDone / p.filesTotal) * 100 } : {}),
            }),
        },
      ),
    );
    if (!report) return undefined;
    for (const problem of report.problems) app.output.appendLine(`Damaged: ${problem}`);
    for (const warning of report.warnings) app.output.appendLine(`Warning: ${warning}`);
    if (report.ok) {
      void vscode.window.showInformationMessage(
        `Backup ${backup.backupId} is intact: ${report.files.length} file(s) verified, ${countText(report.itemsVerified)} items read.`,
      );
    } else {
      const bad = report.files.filter((f) => f.check !== 'ok');
      void vscode.window.showErrorMessage(
        `Backup ${backup.backupId} is not intact: ${bad.length} of ${report.files.length} file(s) failed the check (${bad
          .map((f) => `${f.key.split('/').pop()}: ${f.check}`)
          .join(', ')}). Nothing was written; details in the Coldkeep output.`,
      );
    }
    return report;
  } catch (err) {
    await showError(err, 'Verify');
    return undefined;
  }
}
