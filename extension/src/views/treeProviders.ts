import {
  describeTable,
  drillSourceKey,
  listBackups,
  listTables,
  runPool,
  type SourceStatus,
  type StatusSubject,
} from '@coldkeep/shared';
import * as vscode from 'vscode';
import type { Connection } from '../connection';
import { errorText } from '../jobs/runJob';
import { backupNodes, groupByTable, type TreeNode, viewOf } from './nodes';

/** The theme's own colours for errors and warnings in lists (never green: protected keeps the plain icon). */
const ICON_COLORS = { error: 'list.errorForeground', warning: 'list.warningForeground' } as const;

/**
 * The core's status of the tables listed (schedule, history, drill records; the catalog's latest
 * backup when the view read it). A failure to read it leaves the nodes without status.
 */
export type StatusReader = (subjects: StatusSubject[]) => Promise<SourceStatus[]>;

async function statusesOf(
  read: StatusReader | undefined,
  subjects: StatusSubject[],
): Promise<Map<string, SourceStatus>> {
  if (!read || !subjects.length) return new Map();
  try {
    return new Map((await read(subjects)).map((s) => [s.key, s]));
  } catch {
    return new Map();
  }
}

function toTreeItem(node: TreeNode): vscode.TreeItem {
  const view = viewOf(node);
  const item = new vscode.TreeItem(
    view.label,
    view.collapsible === 'none'
      ? vscode.TreeItemCollapsibleState.None
      : view.collapsible === 'expanded'
        ? vscode.TreeItemCollapsibleState.Expanded
        : vscode.TreeItemCollapsibleState.Collapsed,
  );
  if (view.description) item.description = view.description;
  if (view.tooltip) item.tooltip = view.tooltip;
  item.contextValue = view.contextValue;
  if (view.icon) {
    const color = view.iconColor && new vscode.ThemeColor(ICON_COLORS[view.iconColor]);
    item.iconPath = color ? new vscode.ThemeIcon(view.icon, color) : new vscode.ThemeIcon(view.icon);
  }
  if (view.command) item.command = { command: view.command, title: view.label, arguments: [node] };
  return item;
}

/** Shared by both trees: a refresh event, and errors shown as a node rather than a popup. */
abstract class ColdkeepTree implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    protected readonly connection: () => Connection | undefined,
    protected readonly readStatuses?: StatusReader,
  ) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return toTreeItem(node);
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    const connection = this.connection();
    if (!connection) return [];
    try {
      return await this.children(connection, node);
    } catch (err) {
      return [{ kind: 'message', label: errorText(err).split('. ')[0] ?? 'Failed', detail: errorText(err) }];
    }
  }

  protected abstract children(connection: Connection, node?: TreeNode): Promise<TreeNode[]>;
}

/** Tables: profile/region → tables, with item count and size; keys and billing in the tooltip. */
export class TablesTree extends ColdkeepTree {
  protected async children(connection: Connection, node?: TreeNode): Promise<TreeNode[]> {
    if (!node) return [{ kind: 'connection', label: connection.label }];
    if (node.kind !== 'connection') return [];
    const names = await listTables(connection.clients.dynamodb);
    if (!names.length) return [{ kind: 'message', label: 'No tables in this region' }];
    const nodes: Extract<TreeNode, { kind: 'table' }>[] = names.map((name) => ({ kind: 'table', name }));
    const [statuses] = await Promise.all([
      statusesOf(
        this.readStatuses,
        names.map((name) => ({ kind: 'table', name })),
      ),
      runPool(nodes, 8, async (table) => {
        try {
          table.schema = await describeTable(connection.clients.dynamodb, table.name);
        } catch (err) {
          table.error = errorText(err);
        }
      }),
    ]);
    for (const table of nodes) {
      const status = statuses.get(drillSourceKey('table', table.name));
      if (status) table.status = status;
    }
    return nodes;
  }
}

/** Backups: bucket → table → backups, newest first; incomplete folders apart. */
export class BackupsTree extends ColdkeepTree {
  protected async children(connection: Connection, node?: TreeNode): Promise<TreeNode[]> {
    const { bucket, prefix } = connection.settings;
    if (!bucket) return [];
    if (!node) return [{ kind: 'bucket', bucket, ...(prefix !== undefined ? { prefix } : {}) }];
    if (node.kind === 'backupTable') return backupNodes(node);
    if (node.kind !== 'bucket') return [];
    const catalog = await listBackups(connection.clients.s3, { bucket, ...(prefix !== undefined ? { prefix } : {}) });
    const groups = groupByTable(bucket, catalog.backups);
    // The catalog is read here: each table's newest backup is its last good one.
    const statuses = await statusesOf(
      this.readStatuses,
      groups.map((g) => ({ kind: 'table', name: g.table, latestBackupAt: g.backups[0]?.createdAt ?? null })),
    );
    const nodes: TreeNode[] = groups.map((g) => {
      const status = statuses.get(drillSourceKey('table', g.table));
      return status ? { ...g, status } : g;
    });
    for (const folder of catalog.incomplete) {
      nodes.push({ kind: 'incomplete', uri: folder.uri, table: folder.table, objects: folder.objects });
    }
    for (const backup of catalog.damaged) {
      nodes.push({ kind: 'damaged', uri: backup.uri, table: backup.table, problem: backup.problem.message });
    }
    if (!nodes.length) return [{ kind: 'message', label: 'No backups yet', command: 'coldkeep.backupTable' }];
    return nodes;
  }
}
