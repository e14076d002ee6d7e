import { Command } from 'commander';
import type { DrillStatus } from '../../app/schedule/drillRecords';
import type { AwsClients } from '../../base/aws/clients';
import type { BackupSummary } from '../../tables/repository/listBackups';
import { type CliContext, requireBucket } from '../context';
import { formatBytes, formatCount, formatDuration, red, table } from '../format';

export function backupsListCommand(context: () => Promise<CliContext>): Command {
  return new Command('list')
    .description('list the complete backups in a bucket, newest first')
    .option('--bucket <name>', 'bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix (default: "coldkeep", or $COLDKEEP_PREFIX)')
    .option('--table <name>', 'only backups of this table')
    .action(async (flags: { bucket?: string; prefix?: string; table?: string }) => {
      const ctx = await context();
      const { AwsClients } = await import('../../base/aws/clients.js');
      const { listBackups } = await import('../../tables/repository/listBackups.js');
      const clients = new AwsClients(ctx.settings);
      try {
        const bucket = requireBucket(flags.bucket);
        const prefix = flags.prefix ?? process.env.COLDKEEP_PREFIX;
        const catalog = await listBackups(clients.s3, {
          bucket,
          prefix,
          ...(flags.table ? { table: flags.table } : {}),
        });
        const { DrillRecords, drillSourceKey, drillStatusText } = await import('../../app/schedule/drillRecords.js');
        const allDrills = await new DrillRecords().all();
        const tables = [...new Set(catalog.backups.map((b) => b.table))].sort();
        // Each table's last restore drill: "never verified" until one succeeds.
        const drills = Object.fromEntries(tables.map((t) => [t, allDrills[drillSourceKey('table', t)] ?? {}]));
        // The folder snapshot sources in the same bucket (not with --table), by the same rule. A
        // policy for table backups alone may not list them: the tables are shown all the same.
        let folderError: string | undefined;
        const folderSources = flags.table
          ? []
          : await folderSourcesOf(clients, bucket, prefix).catch((err: unknown) => {
              folderError = err instanceof Error ? err.message : String(err);
              return [];
            });
        const folderDrills = Object.fromEntries(
          folderSources.map((s) => [s, allDrills[drillSourceKey('folder', s)] ?? {}]),
        );
        if (ctx.json)
          return ctx.out(
            JSON.stringify({ ...catalog, drills, folderDrills, ...(folderError ? { folderError } : {}) }, null, 2),
          );
        if (catalog.backups.length === 0)
          ctx.out(catalog.damaged.length ? 'No readable backups found.' : 'No backups found.');
        else {
          ctx.out(
            table(
              ['TABLE', 'BACKUP ID', 'CREATED', 'ITEMS', 'SIZE', 'STORAGE', 'ENGINE', 'CHAIN'],
              catalog.backups.map((b) => [
                b.table,
                b.backupId,
                b.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
                formatCount(b.itemCount),
                formatBytes(b.bytes),
                b.storageClass,
                b.engine,
                chainText(b),
              ]),
            ),
          );
        }
        if (tables.length || folderSources.length) {
          const row = (name: string, status: DrillStatus): string[] => {
            const text = drillStatusText(status, formatDuration);
            return [name, status.last && status.last.status !== 'succeeded' ? red(text) : text];
          };
          ctx.out(
            '\n' +
              table(
                ['SOURCE', 'LAST VERIFIED RESTORE (drill)'],
                [
                  ...tables.map((t) => row(t, drills[t]!)),
                  ...folderSources.map((s) => row(`folder ${s}`, folderDrills[s]!)),
                ],
              ),
          );
        }
        if (folderError) ctx.out(`\nFolder sources not listed: ${folderError}`);
        if (catalog.incomplete.length) {
          ctx.out(
            `\n${catalog.incomplete.length} incomplete backup folder(s) (no manifest: failed or still running; not restorable):\n` +
              catalog.incomplete.map((i) => `  ${i.uri} (${i.objects} objects, ${formatBytes(i.bytes)})`).join('\n'),
          );
        }
        if (catalog.damaged.length) {
          ctx.out(
            `\n${catalog.damaged.length} damaged backup(s) (the manifest cannot be read: not restorable, never taken for "latest"):\n` +
              catalog.damaged.map((d) => `  ${d.manifestKey}: ${d.problem.code}: ${d.problem.message}`).join('\n'),
          );
        }
      } finally {
        clients.destroy();
      }
    });
}

/** The folder snapshot sources under the prefix (see "coldkeep files snapshots"). */
async function folderSourcesOf(clients: AwsClients, bucket: string, prefix: string | undefined): Promise<string[]> {
  const { listSources } = await import('../../folders/repository/snapshotCatalog.js');
  const { normalizePrefix } = await import('../../storage/bucketKeys.js');
  return (await listSources(clients.s3, bucket, normalizePrefix(prefix))).sort();
}

/** "full", or for an incremental backup its place in the chain: "+2 on 20261122T…" (or "broken"). */
export function chainText(b: BackupSummary): string {
  if (b.kind === 'full') return 'full';
  if (b.chainBroken) return `broken (parent ${b.parentBackupId ?? '?'} missing)`;
  return `+${b.chain.length - 1} on ${b.chain[0]}`;
}
