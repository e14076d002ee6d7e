import { Command } from 'commander';
import type { SourceStatus } from '../../app/status/sourceStatus';
import type { AwsClients } from '../../base/aws/clients';
import type { BackupSummary } from '../../tables/repository/listBackups';
import { type CliContext, requireBucket } from '../context';
import { formatBytes, formatCount, red, table } from '../format';

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
        const { readSourceStatuses, statusText } = await import('../../app/status/sourceStatus.js');
        const { ScheduleStore } = await import('../../app/schedule/runHistory.js');
        const { drillSourceKey } = await import('../../app/schedule/drillRecords.js');
        const tables = [...new Set(catalog.backups.map((b) => b.table))].sort();
        // Each table's status from the schedule folder and this catalog: "never verified" until a drill passes.
        const latest = (t: string): string =>
          catalog.backups
            .filter((b) => b.table === t)
            .map((b) => b.createdAt)
            .sort()
            .at(-1)!;
        // The folder snapshot sources in the same bucket (not with --table), by their snapshot source
        // name as drills record them. A policy for table backups alone may not list them: the
        // tables are shown all the same.
        let folderError: string | undefined;
        const folderSources = flags.table
          ? []
          : await folderSourcesOf(clients, bucket, prefix).catch((err: unknown) => {
              folderError = err instanceof Error ? err.message : String(err);
              return [];
            });
        const byKey = new Map(
          (
            await readSourceStatuses(new ScheduleStore(), {
              subjects: [
                ...tables.map((t) => ({ kind: 'table' as const, name: t, latestBackupAt: latest(t) })),
                ...folderSources.map((s) => ({ kind: 'folder' as const, name: s })),
              ],
            })
          ).map((s) => [s.key, s]),
        );
        const statuses = Object.fromEntries(tables.map((t) => [t, byKey.get(drillSourceKey('table', t))!]));
        const folderStatuses = Object.fromEntries(
          folderSources.map((s) => [s, byKey.get(drillSourceKey('folder', s))!]),
        );
        if (ctx.json)
          return ctx.out(
            JSON.stringify({ ...catalog, statuses, folderStatuses, ...(folderError ? { folderError } : {}) }, null, 2),
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
          const row = (name: string, status: SourceStatus): string[] => {
            const state = statusText(status);
            return [
              name,
              status.drillProblem ? red(status.verifiedText) : status.verifiedText,
              status.state === 'failing' ? red(state) : state,
            ];
          };
          ctx.out(
            '\n' +
              table(
                ['SOURCE', 'LAST VERIFIED RESTORE (drill)', 'STATE'],
                [
                  ...tables.map((t) => row(t, statuses[t]!)),
                  ...folderSources.map((s) => row(`folder ${s}`, folderStatuses[s]!)),
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
