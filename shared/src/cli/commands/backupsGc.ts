import { Command } from 'commander';
import { type CliContext, requireBucket, withCancel } from '../context';
import { formatBytes, formatCount } from '../format';
import { durationFlag } from '../parse';
import { prefixFrom } from '../storageFlags';

interface BackupsGcFlags {
  bucket?: string;
  prefix?: string;
  table?: string;
  olderThan?: number;
  yes?: boolean;
  dryRun?: boolean;
}

export function backupsGcCommand(context: () => Promise<CliContext>): Command {
  return new Command('gc')
    .description(
      'find what failed or killed table backups left (data without a manifest, open multipart uploads); remove it with --yes',
    )
    .option('--bucket <name>', 'bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix (default: "coldkeep", or $COLDKEEP_PREFIX)')
    .option('--table <name>', 'only what backups of this table left')
    .option(
      '--older-than <duration>',
      'only leftovers idle for longer than this, so a running backup is never touched (default 24h; 0 takes all)',
      durationFlag('--older-than', 0, 3650 * 86400),
    )
    .option('--yes', 'really remove: without it, nothing is removed and the leftovers are only listed')
    .option('--dry-run', 'list only, remove nothing (the default without --yes)')
    .action(async (flags: BackupsGcFlags) => {
      const ctx = await context();
      const { AwsClients } = await import('../../base/aws/clients.js');
      const { collectGarbage } = await import('../../tables/prune/collectGarbage.js');
      const clients = new AwsClients(ctx.settings);
      try {
        const dryRun = !flags.yes || flags.dryRun === true;
        const report = await withCancel((signal) =>
          collectGarbage(
            clients.s3,
            {
              bucket: requireBucket(flags.bucket),
              prefix: prefixFrom(flags.prefix),
              ...(flags.table ? { table: flags.table } : {}),
              ...(flags.olderThan !== undefined ? { olderThanSeconds: flags.olderThan } : {}),
              dryRun,
            },
            { signal },
          ),
        );
        if (ctx.json) return ctx.out(JSON.stringify({ ok: true, gc: report }, null, 2));
        const objects = report.orphans.reduce((n, o) => n + o.objects, 0);
        const bytes = report.orphans.reduce((n, o) => n + o.bytes, 0);
        const verb = report.dryRun ? 'would remove' : 'removed';
        ctx.out(
          [
            ...report.orphans.map(
              (o) =>
                `${verb}: ${o.uri} (${o.objects} object(s), ${formatBytes(o.bytes)}; no manifest; last written ${o.lastActivity})`,
            ),
            ...report.uploads.stale.map(
              (u) => `${report.dryRun ? 'would abort' : 'aborted'}: upload of ${u.key} (started ${u.initiated})`,
            ),
            ...report.tooYoung.map(
              (o) =>
                `left alone: ${o.uri} (written ${o.lastActivity}, after the cutoff: it may be a backup in progress)`,
            ),
            report.dryRun
              ? `Found ${report.orphans.length} leftover folder(s) (${formatCount(objects)} object(s), ${formatBytes(bytes)}) and ` +
                `${report.uploads.stale.length} open upload(s) idle since before ${report.cutoff}; nothing removed.`
              : `Removed ${formatCount(report.removedObjects)} object(s) (${formatBytes(report.removedBytes)}) from ` +
                `${report.orphans.length} leftover folder(s), and aborted ${report.abortedUploads} open upload(s).`,
            ...(report.uploads.note ? [`Note: ${report.uploads.note}`] : []),
            ...(report.dryRun && (report.orphans.length || report.uploads.stale.length)
              ? ['Run the same command with --yes to remove them.']
              : []),
          ].join('\n'),
        );
      } finally {
        clients.destroy();
      }
    });
}
