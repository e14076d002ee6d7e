import { snapshotFigures } from '@coldkeep/shared';
import * as vscode from 'vscode';
import type { ColdkeepApp } from '../app';
import type { FolderBackupResult, SnapshotInfo } from '../features/features';
import { dateText } from '../format';
import { runJob, showError } from '../jobs/runJob';

async function pickFolder(title: string, openLabel: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    title,
    openLabel,
  });
  return picked?.[0]?.fsPath;
}

/**
 * Coldkeep: Back Up Folder — a folder snapshot into the backup bucket. Argument: a folder URI
 * (explorer context menu, tests); otherwise a folder dialog.
 */
export async function backupFolderCommand(app: ColdkeepApp, arg?: unknown): Promise<FolderBackupResult | undefined> {
  try {
    const connection = await app.awsConnection();
    const bucket = connection.bucket();
    const folder = arg instanceof vscode.Uri ? arg.fsPath : await pickFolder('Back up which folder?', 'Back Up');
    if (!folder) return undefined;
    const prefix = connection.settings.prefix;
    const result = await runJob(`Backing up ${folder}`, (signal, report) =>
      app.features.folders.backupFolder(
        connection.clients,
        { folder, bucket, ...(prefix !== undefined ? { prefix } : {}) },
        { signal, onProgress: report },
      ),
    );
    if (!result) return undefined;
    app.output.appendLine(`${result.summary} → ${result.uri}`);
    for (const line of result.details) app.output.appendLine(line);
    if (result.status === 'partial') {
      // Not a success: a warning, with the paths left out and what to do one click away.
      void vscode.window.showWarningMessage(result.summary, 'Show Details').then((choice) => {
        if (choice) app.output.show();
      });
      return result;
    }
    void vscode.window.showInformationMessage(result.summary, 'Copy S3 URI').then(async (choice) => {
      if (choice) await vscode.env.clipboard.writeText(result.uri);
    });
    return result;
  } catch (err) {
    await showError(err, 'Folder backup');
    return undefined;
  }
}

/** Quick-pick rows for snapshots, newest first. */
export function snapshotItems(snapshots: SnapshotInfo[]): (vscode.QuickPickItem & { snapshot: SnapshotInfo })[] {
  return snapshots.map((s) => ({
    label: `${s.source} · ${dateText(s.time)}`,
    description: snapshotFigures(s),
    detail: `${s.dir}${s.host ? ` on ${s.host}` : ''} — ${s.snapshotId}`,
    snapshot: s,
  }));
}

/**
 * Coldkeep: Restore Folder Snapshot — pick a snapshot of the bucket, then an (empty or new)
 * folder to restore into. Existing files are left as they are. `target` (tests) skips the dialog.
 */
export async function restoreSnapshotCommand(
  app: ColdkeepApp,
  arg?: unknown,
  target?: string,
): Promise<{ summary: string; target: string; files: number } | undefined> {
  try {
    const connection = await app.awsConnection();
    const bucket = connection.bucket();
    const prefix = connection.settings.prefix;
    const where = { bucket, ...(prefix !== undefined ? { prefix } : {}) };
    let snapshot = isSnapshot(arg) ? arg : undefined;
    if (!snapshot) {
      const snapshots = await app.features.folders.listSnapshots(connection.clients, where, {});
      if (!snapshots.length) {
        void vscode.window
          .showInformationMessage(`There are no folder snapshots in ${bucket} yet.`, 'Back Up Folder')
          .then((choice) => choice && vscode.commands.executeCommand('coldkeep.backupFolder'));
        return undefined;
      }
      snapshot = (
        await vscode.window.showQuickPick(snapshotItems(snapshots), {
          title: 'Restore which snapshot?',
          matchOnDetail: true,
          ignoreFocusOut: true,
        })
      )?.snapshot;
    }
    if (!snapshot) return undefined;
    const into = target ?? (await pickFolder(`Restore ${snapshot.source} into which folder?`, 'Restore Here'));
    if (!into) return undefined;
    const chosen = snapshot;
    const result = await runJob(`Restoring ${chosen.source} ${chosen.snapshotId}`, (signal, report) =>
      app.features.folders.restoreSnapshot(
        connection.clients,
        { ...where, source: chosen.source, snapshotId: chosen.snapshotId, target: into },
        { signal, onProgress: report },
      ),
    );
    if (!result) return undefined;
    app.output.appendLine(result.summary);
    void vscode.window
      .showInformationMessage(result.summary, 'Open Folder')
      .then(
        (choice) =>
          choice &&
          vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(result.target), { forceNewWindow: true }),
      );
    return result;
  } catch (err) {
    await showError(err, 'Snapshot restore');
    return undefined;
  }
}

function isSnapshot(arg: unknown): arg is SnapshotInfo {
  const s = arg as Partial<SnapshotInfo> | undefined;
  return typeof s?.source === 'string' && typeof s.snapshotId === 'string';
}
