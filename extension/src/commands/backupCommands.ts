import {
  type BackupSummary,
  backupDir,
  deleteBackup,
  type DeleteBackupReport,
  getManifest,
  isLocked,
  presignDownload,
} from '@coldkeep/shared';
import * as vscode from 'vscode';
import type { ColdkeepApp } from '../app';
import { bytesText, countText, dateText } from '../format';
import { showError } from '../jobs/runJob';
import { backupFromArgument, LINK_LIFETIMES } from './inputs';
import { pickBackup } from './pick';

async function chosenBackup(app: ColdkeepApp, arg: unknown, title: string): Promise<BackupSummary | undefined> {
  return backupFromArgument(arg) ?? pickBackup(app.connection(), title);
}

export async function copyBackupUriCommand(app: ColdkeepApp, arg?: unknown): Promise<string | undefined> {
  try {
    const backup = await chosenBackup(app, arg, 'Copy the S3 URI of which backup?');
    if (!backup) return undefined;
    await vscode.env.clipboard.writeText(backup.uri);
    void vscode.window.showInformationMessage(`Copied ${backup.uri}`);
    return backup.uri;
  } catch (err) {
    await showError(err, 'Copy S3 URI');
    return undefined;
  }
}

/** A pre-signed GET link to a backup's data file (the user picks which, when there are several). */
export async function copyPresignedLinkCommand(app: ColdkeepApp, arg?: unknown): Promise<string | undefined> {
  try {
    const connection = await app.awsConnection();
    const backup = await chosenBackup(app, arg, 'Link to which backup?');
    if (!backup) return undefined;
    const manifest = await getManifest(connection.clients.s3, backup);
    const dir = backupDir(backup);
    const file =
      manifest.files.length === 1
        ? manifest.files[0]
        : (
            await vscode.window.showQuickPick(
              manifest.files.map((f) => ({
                label: f.key,
                description: `${countText(f.items)} items · ${bytesText(f.bytes)}`,
                file: f,
              })),
              { title: 'Link to which data file?', ignoreFocusOut: true },
            )
          )?.file;
    if (!file) return undefined;
    const lifetime = await vscode.window.showQuickPick(
      LINK_LIFETIMES.map((l) => ({ label: l.label, seconds: l.seconds })),
      { title: 'How long should the link work?', ignoreFocusOut: true },
    );
    if (!lifetime) return undefined;
    const link = await presignDownload(
      connection.clients.s3,
      { bucket: backup.bucket, key: dir + file.key, fileName: `${backup.table}-${backup.backupId}.json.gz` },
      lifetime.seconds,
    );
    // The URL carries a signature: it goes to the clipboard only, never to the log.
    await vscode.env.clipboard.writeText(link.url);
    const shorter = link.limitedBy === 'credentials' ? ' (no longer than the session that signed it)' : '';
    void vscode.window.showInformationMessage(
      link.limitedBy === 'session'
        ? `Copied a download link; it works while the session that signed it lasts, at most until ${dateText(link.expiresAt)}.`
        : `Copied a download link; it works until ${dateText(link.expiresAt)}${shorter}.`,
    );
    return link.url;
  } catch (err) {
    await showError(err, 'Pre-signed link');
    return undefined;
  }
}

/** Deletes a backup after a modal confirmation; refused while its Object Lock holds. */
export async function deleteBackupCommand(
  app: ColdkeepApp,
  arg?: unknown,
  confirmed = false,
): Promise<DeleteBackupReport | undefined> {
  try {
    const connection = await app.awsConnection();
    const backup = await chosenBackup(app, arg, 'Delete which backup?');
    if (!backup) return undefined;
    if (isLocked(backup.objectLock)) {
      void vscode.window.showWarningMessage(
        `Backup ${backup.backupId} is locked (${backup.objectLock!.mode}) until ${dateText(backup.objectLock!.retainUntil)}; it cannot be deleted before then.`,
      );
      return undefined;
    }
    if (!confirmed) {
      const answer = await vscode.window.showWarningMessage(
        `Delete backup ${backup.backupId} of ${backup.table}?`,
        {
          modal: true,
          detail: `${countText(backup.itemCount)} items, ${bytesText(backup.bytes)} at ${backup.uri}. This cannot be undone.`,
        },
        'Delete',
      );
      if (answer !== 'Delete') return undefined;
    }
    const report = await deleteBackup(connection.clients.s3, backup);
    app.refreshViews();
    void vscode.window.showInformationMessage(`Deleted ${backup.uri} (${report.deletedObjects} objects).`);
    return report;
  } catch (err) {
    app.refreshViews();
    await showError(err, 'Delete');
    return undefined;
  }
}

/** Opens the backup's manifest (schema, counts, files, checksums) in a read-only JSON editor. */
export async function showBackupDetailsCommand(
  app: ColdkeepApp,
  arg?: unknown,
): Promise<vscode.TextDocument | undefined> {
  try {
    const connection = await app.awsConnection();
    const backup = await chosenBackup(app, arg, 'Show which backup?');
    if (!backup) return undefined;
    const manifest = await getManifest(connection.clients.s3, backup);
    const details = {
      uri: backup.uri,
      locked: isLocked(backup.objectLock),
      storageClass: backup.storageClass,
      manifest,
    };
    const document = await vscode.workspace.openTextDocument({
      language: 'json',
      content: JSON.stringify(details, null, 2),
    });
    await vscode.window.showTextDocument(document, { preview: true });
    return document;
  } catch (err) {
    await showError(err, 'Backup details');
    return undefined;
  }
}
