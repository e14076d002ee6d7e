import { type BackupSummary, listBackups, listTables } from '@coldkeep/shared';
import * as vscode from 'vscode';
import type { Connection } from '../connection';
import { bytesText, countText, dateText } from '../format';

/** Quick pick of the region's tables. */
export async function pickTable(connection: Connection, title: string): Promise<string | undefined> {
  const items: Promise<vscode.QuickPickItem[]> = listTables(connection.clients.dynamodb).then((list) =>
    list.map((name) => ({ label: name })),
  );
  const picked = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: `Tables in ${connection.label}`,
    ignoreFocusOut: true,
  });
  return picked?.label;
}

/** Quick pick of a backup, newest first, optionally of one table. */
export async function pickBackup(
  connection: Connection,
  title: string,
  table?: string,
): Promise<BackupSummary | undefined> {
  const bucket = connection.bucket();
  const prefix = connection.settings.prefix;
  const items = listBackups(connection.clients.s3, {
    bucket,
    ...(prefix !== undefined ? { prefix } : {}),
    ...(table ? { table } : {}),
  }).then((catalog) =>
    catalog.backups.map((backup) => ({
      label: `${backup.table} · ${backup.backupId}`,
      description: `${dateText(backup.createdAt)} · ${countText(backup.itemCount)} items · ${bytesText(backup.bytes)}`,
      backup,
    })),
  );
  const picked = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: `Backups in s3://${bucket}`,
    matchOnDescription: true,
    ignoreFocusOut: true,
  });
  return picked?.backup;
}
