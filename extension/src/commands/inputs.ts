import { type BackupSummary, CORE_OPERATIONS, type CoreOperation } from '@coldkeep/shared';
import type { TreeNode } from '../views/nodes';

/** DynamoDB's rule for table names; the message says it in words. */
export function validateTableName(value: string): string | undefined {
  const name = value.trim();
  if (!name) return 'Give the new table a name.';
  if (name.length < 3 || name.length > 255) return 'A table name is 3 to 255 characters long.';
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return 'Use only letters, digits, "_", "-" and ".".';
  return undefined;
}

/** "Orders-restored-20261123-1252": a free-looking default for "restore to a new table". */
export function defaultRestoreName(table: string, now: Date = new Date()): string {
  const stamp = now.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return `${table}-restored-${stamp}`.slice(0, 255);
}

/** S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens. */
export function validateBucketName(value: string): string | undefined {
  const name = value.trim();
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
    return 'A bucket name is 3 to 63 lower-case letters, digits, "." and "-", starting and ending with a letter or digit.';
  }
  return undefined;
}

export const LINK_LIFETIMES = [
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 24 * 3600 },
  { label: '7 days (the most S3 allows)', seconds: 7 * 24 * 3600 },
] as const;

/** The operations the least-privilege generator offers, with the obvious ones picked. */
export function operationChoices(): { operation: CoreOperation; picked: boolean }[] {
  const usual: CoreOperation[] = ['tables-list', 'backup-table', 'list-backups', 'restore'];
  return CORE_OPERATIONS.map((operation) => ({ operation, picked: usual.includes(operation) }));
}

/** A table name from a command argument: a Tables node, a Backups table node, or a plain string. */
export function tableFromArgument(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const node = arg as TreeNode | undefined;
  if (node?.kind === 'table') return node.name;
  if (node?.kind === 'backupTable') return node.table;
  if (node?.kind === 'backup') return node.backup.table;
  return undefined;
}

/** A backup from a command argument: a Backups node, or a summary passed by another command or a test. */
export function backupFromArgument(arg: unknown): BackupSummary | undefined {
  // A palette run passes a string (a table name) or nothing; `in` would throw on a string.
  if (typeof arg !== 'object' || arg === null) return undefined;
  const node = arg as (TreeNode & { kind: 'backup' }) | BackupSummary;
  if ('kind' in node && node.kind === 'backup') return node.backup;
  if ('backupId' in node && 'manifestKey' in node) return node;
  return undefined;
}
