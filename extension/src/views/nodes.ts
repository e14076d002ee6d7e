import type { BackupSummary, SourceStatus, TableSchema } from '@coldkeep/shared';
import { durationText, isLocked, stateText } from '@coldkeep/shared';
import { bytesText, countText, dateText } from '../format';

/**
 * The nodes of the two trees, as plain data. Tree providers turn them into TreeItems; unit
 * tests check them without a VS Code.
 */
export type TreeNode =
  | { kind: 'connection'; label: string }
  | { kind: 'table'; name: string; schema?: TableSchema; error?: string; status?: SourceStatus }
  | { kind: 'bucket'; bucket: string; prefix?: string }
  | { kind: 'backupTable'; bucket: string; table: string; backups: BackupSummary[]; status?: SourceStatus }
  | { kind: 'backup'; backup: BackupSummary; locked: boolean }
  | { kind: 'incomplete'; uri: string; table: string; objects: number }
  | { kind: 'damaged'; uri: string; table: string; problem: string }
  | { kind: 'message'; label: string; detail?: string; command?: string };

export interface NodeView {
  label: string;
  description?: string;
  tooltip?: string;
  /** For "when" clauses of the context menus. */
  contextValue: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
  icon?: string;
  /** The icon's colour: error (failing) or warning (overdue, partial, cancelled); none otherwise. */
  iconColor?: 'error' | 'warning';
  command?: string;
}

/** "verified 2026-12-06 04:00 UTC, restore 1.2 s" or "never verified": a table's last verified restore, short. */
export function verifiedDescription(status: SourceStatus): string {
  if (!status.lastVerified) return 'never verified';
  const time =
    status.lastVerified.restoreMs !== undefined ? `, restore ${durationText(status.lastVerified.restoreMs)}` : '';
  return `verified ${dateText(status.lastVerified.at)}${time}`;
}

/**
 * The status lines of a tooltip: the state and why, the last verified restore and its measured
 * time, the last drill when it did not pass, the last good backup and the last run.
 */
export function statusLines(status: SourceStatus): string[] {
  return [
    `Status: ${stateText(status.state)}${status.reasons.length ? ` (${status.reasons.map((r) => r.text).join(', ')})` : ''}`,
    status.lastVerified
      ? `Last verified restore: ${dateText(status.lastVerified.at)}` +
        (status.lastVerified.restoreMs !== undefined
          ? `, measured restore time ${durationText(status.lastVerified.restoreMs)}`
          : '') +
        (status.lastVerified.restorePoint ? ` (backup ${status.lastVerified.restorePoint})` : '')
      : 'Last verified restore: never verified (no restore drill has passed)',
    ...(status.lastDrill && status.lastDrill.status !== 'succeeded'
      ? [`Last drill ${status.lastDrill.status} ${dateText(status.lastDrill.at)}: ${status.lastDrill.summary}`]
      : []),
    ...(status.lastGoodBackupAt ? [`Last good backup: ${dateText(status.lastGoodBackupAt)}`] : []),
    ...(status.lastRun && status.lastRun.status !== 'succeeded'
      ? [`Last backup ${status.lastRun.status} ${dateText(status.lastRun.at)}: ${status.lastRun.summary}`]
      : []),
    ...(status.overdue ? [`Scheduled backup due ${dateText(status.overdue.dueAt)} has not come`] : []),
  ];
}

/**
 * Marked in a list: a failing source red; overdue, partial or cancelled amber. "Never verified"
 * and "no backup yet" alone are said, not marked (most tables of a region are neither). Never
 * green: protected keeps the plain icon.
 */
function statusColor(status: SourceStatus | undefined): NodeView['iconColor'] {
  if (!status) return undefined;
  if (status.state === 'failing') return 'error';
  const marked = status.reasons.some((r) => r.code !== 'never-verified' && r.code !== 'no-backup');
  return marked ? 'warning' : undefined;
}

function withStatus(view: NodeView, status: SourceStatus | undefined): NodeView {
  if (!status) return view;
  const color = statusColor(status);
  return {
    ...view,
    description: [view.description, status.state === 'failing' || color ? status.headline : verifiedDescription(status)]
      .filter(Boolean)
      .join(' · '),
    tooltip: [view.tooltip ?? view.label, ...statusLines(status)].join('\n'),
    ...(color ? { iconColor: color } : {}),
  };
}

function keysText(schema: TableSchema): string {
  return schema.keySchema
    .map((k) => {
      const type = schema.attributeDefinitions.find((a) => a.AttributeName === k.AttributeName)?.AttributeType;
      return `${k.AttributeName} (${k.KeyType === 'HASH' ? 'partition' : 'sort'} key${type ? `, ${type}` : ''})`;
    })
    .join(', ');
}

function billingText(schema: TableSchema): string {
  if (schema.billingMode === 'PAY_PER_REQUEST') return 'on demand';
  const t = schema.provisionedThroughput;
  return t ? `provisioned, ${t.readCapacityUnits} RCU / ${t.writeCapacityUnits} WCU` : 'provisioned';
}

export function backupDescription(backup: BackupSummary, locked: boolean): string {
  return [
    dateText(backup.createdAt),
    `${countText(backup.itemCount)} items`,
    bytesText(backup.bytes),
    backup.storageClass,
    ...(locked ? ['locked'] : []),
  ].join(' · ');
}

export function viewOf(node: TreeNode): NodeView {
  switch (node.kind) {
    case 'connection':
      return { label: node.label, contextValue: 'connection', collapsible: 'expanded', icon: 'cloud' };
    case 'table':
      if (node.error) {
        return {
          label: node.name,
          description: 'cannot describe',
          tooltip: node.error,
          contextValue: 'table',
          collapsible: 'none',
          icon: 'warning',
        };
      }
      return withStatus(
        {
          label: node.name,
          ...(node.schema
            ? {
                description: `${countText(node.schema.approximateItemCount)} items · ${bytesText(node.schema.approximateSizeBytes)}`,
                tooltip: [
                  node.name,
                  `Keys: ${keysText(node.schema)}`,
                  `Billing: ${billingText(node.schema)}`,
                  `Indexes: ${node.schema.globalSecondaryIndexes.length} global, ${node.schema.localSecondaryIndexes.length} local`,
                  'Item count and size are DynamoDB estimates (updated about every 6 hours).',
                ].join('\n'),
              }
            : {}),
          contextValue: 'table',
          collapsible: 'none',
          icon: 'table',
        },
        node.status,
      );
    case 'bucket':
      return {
        label: node.bucket,
        description: node.prefix === '' ? '(bucket root)' : `${node.prefix ?? 'coldkeep'}/`,
        contextValue: 'bucket',
        collapsible: 'expanded',
        icon: 'archive',
      };
    case 'backupTable':
      return withStatus(
        {
          label: node.table,
          description: `${node.backups.length} backup${node.backups.length === 1 ? '' : 's'}`,
          contextValue: 'backupTable',
          collapsible: 'expanded',
          icon: 'table',
        },
        node.status,
      );
    case 'backup':
      return {
        label: node.backup.backupId,
        description: backupDescription(node.backup, node.locked),
        tooltip: [
          `${node.backup.table} · ${node.backup.backupId}`,
          node.backup.uri,
          `${countText(node.backup.itemCount)} items in ${node.backup.files} file(s), ${bytesText(node.backup.bytes)}`,
          `Storage class: ${node.backup.storageClass}`,
          node.backup.objectLock
            ? `Object Lock ${node.backup.objectLock.mode} until ${node.backup.objectLock.retainUntil}${node.locked ? '' : ' (ended)'}`
            : 'No Object Lock',
        ].join('\n'),
        contextValue: node.locked ? 'backup.locked' : 'backup',
        collapsible: 'none',
        icon: node.locked ? 'lock' : 'package',
        command: 'coldkeep.showBackupDetails',
      };
    case 'incomplete':
      return {
        label: node.uri.split('/').at(-2) ?? node.uri,
        description: `incomplete (${node.objects} objects, no manifest)`,
        tooltip: `${node.uri}\nA folder without manifest.json: a failed or running backup. It cannot be restored.`,
        contextValue: 'incomplete',
        collapsible: 'none',
        icon: 'circle-slash',
      };
    case 'damaged':
      return {
        label: node.uri.split('/').at(-2) ?? node.uri,
        description: `${node.table}: damaged manifest`,
        tooltip: `${node.uri}\n${node.problem}\nIts manifest cannot be read: it cannot be restored and is never taken for "latest".`,
        contextValue: 'damaged',
        collapsible: 'none',
        icon: 'warning',
      };
    case 'message':
      return {
        label: node.label,
        ...(node.detail ? { tooltip: node.detail } : {}),
        contextValue: 'message',
        collapsible: 'none',
        icon: 'info',
        ...(node.command ? { command: node.command } : {}),
      };
  }
}

/** Groups a catalog's backups per table (tables by name, backups newest first as listed). */
export function groupByTable(bucket: string, backups: BackupSummary[]): Extract<TreeNode, { kind: 'backupTable' }>[] {
  const tables = new Map<string, BackupSummary[]>();
  for (const b of backups) tables.set(b.table, [...(tables.get(b.table) ?? []), b]);
  return [...tables.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([table, list]) => ({
      kind: 'backupTable' as const,
      bucket,
      table,
      backups: [...list].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.backupId.localeCompare(a.backupId)),
    }));
}

export function backupNodes(node: Extract<TreeNode, { kind: 'backupTable' }>, now: Date = new Date()): TreeNode[] {
  return node.backups.map((backup) => ({ kind: 'backup' as const, backup, locked: isLocked(backup.objectLock, now) }));
}
