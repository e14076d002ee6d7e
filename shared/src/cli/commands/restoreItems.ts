import { InvalidArgumentError } from 'commander';
import type { ThawOptions } from '../../storage/thawArchived';
import type { ConflictMode, ItemRestoreReport } from '../../tables/restore/itemRestore';
import type { RestoreSource } from '../../tables/restore/restorePlan';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { type CliContext, withCancel } from '../context';
import { formatCount, formatDuration } from '../format';

/** The flags of `restore` that choose items (an item-level restore into a live table). */
export interface ItemFlags {
  key?: string[];
  keys?: string;
  where?: string;
  conflict?: ConflictMode;
}

/** --key is repeatable: each one adds a key. */
export function collectKey(value: string, previous: string[] | undefined): string[] {
  if (!value.trim()) throw new InvalidArgumentError('expected a key as JSON, e.g. \'{"pk":"a","sk":1}\'');
  return [...(previous ?? []), value];
}

export function selectsItems(flags: ItemFlags): boolean {
  return Boolean(flags.key?.length || flags.keys || flags.where);
}

export interface ItemRestoreRun {
  source: RestoreSource;
  target?: string;
  dryRun: boolean;
  writeUnits?: number;
  concurrency?: number;
  thaw: ThawOptions;
  /** Flags that belong to a whole-table restore only, named when given. */
  tableOnly: string[];
}

/** `restore … --key/--keys/--where`: the items chosen, written with conditional PutItem. */
export async function runItemRestore(ctx: CliContext, flags: ItemFlags, run: ItemRestoreRun): Promise<void> {
  if (run.tableOnly.length) {
    throw new ColdkeepError(
      'InvalidInput',
      `${run.tableOnly.join(', ')} cannot be combined with --key, --keys or --where.`,
      {
        hint: 'An item restore writes into an existing table; choose what happens to items it already holds with --conflict overwrite|skip-existing|fail.',
      },
    );
  }
  const { AwsClients } = await import('../../base/aws/clients.js');
  const { restoreItems } = await import('../../tables/restore/itemRestore.js');
  const clients = new AwsClients(ctx.settings);
  try {
    const report = await withCancel((signal) =>
      restoreItems(
        clients,
        {
          source: run.source,
          ...(run.target ? { target: run.target } : {}),
          ...(flags.key?.length ? { keys: flags.key } : {}),
          ...(flags.keys ? { keysFile: flags.keys } : {}),
          ...(flags.where ? { where: flags.where } : {}),
          conflict: flags.conflict ?? 'skip-existing',
          dryRun: run.dryRun,
          ...(run.writeUnits ? { writeUnitsPerSecond: run.writeUnits } : {}),
          ...(run.concurrency ? { fileConcurrency: run.concurrency } : {}),
          thaw: run.thaw,
        },
        {
          signal,
          onProgress: (p) =>
            ctx.progress.show(p.phase, () => [
              p.phase === 'write'
                ? `Writing into ${p.target}: ${formatCount(p.written)} written, ${formatCount(p.skippedExisting)} skipped, ${formatCount(p.failed)} failed of ${formatCount(p.itemsSelected)}`
                : `Verifying and selecting: ${p.filesDone} of ${p.filesTotal} file(s), ${formatCount(p.itemsSelected)} item(s) selected`,
            ]),
        },
      ),
    );
    ctx.progress.done();
    if (report.notInBackup > 0 && !report.dryRun) {
      // Something asked for is not restored: never a plain success.
      throw new ColdkeepError(
        'ItemsNotRestored',
        `${report.notInBackup} of the ${report.selection.keys} key(s) asked for are not in the backup (${report.notInBackupKeys
          .slice(0, 5)
          .join(', ')}${report.notInBackup > 5 ? ', …' : ''}); ${itemSummary(report)}`,
        {
          hint: 'Those items were created after the backup or never existed; restore them from a newer backup, if any.',
          details: { itemRestore: report },
        },
      );
    }
    if (ctx.json) return ctx.out(JSON.stringify({ ok: true, itemRestore: report }, null, 2));
    ctx.out(itemLines(report).join('\n'));
  } finally {
    ctx.progress.done();
    clients.destroy();
  }
}

function itemSummary(r: ItemRestoreReport): string {
  return (
    `${formatCount(r.written)} written, ${formatCount(r.skippedExisting)} skipped as existing, ${formatCount(r.failed)} failed` +
    ` of ${formatCount(r.itemsSelected)} selected.`
  );
}

function itemLines(r: ItemRestoreReport): string[] {
  const verified = `Verified ${r.filesVerified} file(s), ${formatCount(r.recordsRead)} records`;
  if (r.dryRun) {
    return [
      `Dry run: ${verified}; ${formatCount(r.itemsSelected)} item(s) selected for ${r.target} (--conflict ${r.conflict}); nothing written.`,
      ...(r.notInBackup
        ? [`Not in the backup: ${r.notInBackup} key(s) (${r.notInBackupKeys.slice(0, 5).join(', ')})`]
        : []),
      ...r.warnings.map((w) => `Warning: ${w}`),
    ];
  }
  return [
    `Restored items into ${r.target} (--conflict ${r.conflict}) in ${formatDuration(r.durationMs)}: ${itemSummary(r)}`,
    `${verified} before writing.`,
    ...r.warnings.map((w) => `Warning: ${w}`),
  ];
}
