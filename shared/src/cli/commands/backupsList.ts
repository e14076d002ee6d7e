import { Command } from 'commander';
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
        const catalog = await listBackups(clients.s3, {
          bucket: requireBucket(flags.bucket),
          prefix: flags.prefix ?? process.env.COLDKEEP_PREFIX,
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
        const byKey = new Map(
          (
            await readSourceStatuses(new ScheduleStore(), {
              subjects: tables.map((t) => ({ kind: 'table' as const, name: t, latestBackupAt: latest(t) })),
            })
          ).map((s) => [s.key, s]),
        );
        const statuses = Object.fromEntries(tables.map((t) => [t, byKey.get(drillSourceKey('table', t))!]));
        if (ctx.json) return ctx.out(JSON.stringify({ ...catalog, statuses }, null, 2));
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
          ctx.out(
            '\n' +
              table(
                ['TABLE', 'LAST VERIFIED RESTORE (drill)', 'STATE'],
                tables.map((t) => {
                  const status = statuses[t]!;
                  const state = statusText(status);
                  return [
                    t,
                    status.drillProblem ? red(status.verifiedText) : status.verifiedText,
                    status.state === 'failing' ? red(state) : state,
                  ];
                }),
              ),
          );
        }
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

/** "full", or for an incremental backup its place in the chain: "+2 on 20261122T…" (or "broken"). */
export function chainText(b: BackupSummary): string {
  if (b.kind === 'full') return 'full';
  if (b.chainBroken) return `broken (parent ${b.parentBackupId ?? '?'} missing)`;
  return `+${b.chain.length - 1} on ${b.chain[0]}`;
}
