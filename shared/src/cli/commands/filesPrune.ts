import { Command } from 'commander';
import { type CliContext, withCancel } from '../context';
import { formatBytes, formatCount } from '../format';
import { addKeyOptions, type KeyFlags, keyMaterialFromFlags } from '../keyFlags';
import { addSourceOptions, resolveSource, type SourceFlags } from './filesCommon';

export function filesPruneCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('prune')
    .description('delete the blobs no snapshot needs (never locked objects, never during a backup of the source)')
    .option('--dry-run', 'say what would be deleted, delete nothing');
  addSourceOptions(command);
  addKeyOptions(command);
  return command.action(async (flags: SourceFlags & KeyFlags & { dryRun?: boolean }) => {
    const ctx = await context();
    const { AwsClients } = await import('../../base/aws/clients.js');
    const { pruneBlobs } = await import('../../folders/prune/pruneBlobs.js');
    const clients = new AwsClients(ctx.settings);
    try {
      const where = await resolveSource(clients, flags);
      const report = await withCancel((signal) =>
        pruneBlobs(
          clients,
          { ...where, dryRun: flags.dryRun ?? false, keys: keyMaterialFromFlags(flags) },
          {
            signal,
            onProgress: (p) =>
              ctx.progress.show(p.phase, () => [
                `Pruning ${p.source}: ${p.phase}, ${p.snapshotsRead}/${p.snapshots} snapshot(s) read`,
              ]),
          },
        ),
      );
      ctx.progress.done();
      if (ctx.json) return ctx.out(JSON.stringify({ ok: true, prune: report }, null, 2));
      ctx.out(
        [
          `${report.dryRun ? 'Would delete' : 'Deleted'} ${formatCount(report.deletedBlobs)} unreferenced blob(s) and ${formatCount(report.deletedPacks)} pack(s), ${formatBytes(report.deletedBytes)}; ` +
            `${formatCount(report.referencedBlobs)} blob(s) and ${formatCount(report.referencedPacks)} pack(s) used by ${report.snapshots} snapshot(s) kept.`,
          ...(report.lockedKept.length
            ? [`Kept ${report.lockedKept.length} unreferenced object(s) under Object Lock retention or legal hold.`]
            : []),
          ...report.notDeleted.slice(0, 10).map((n) => `Not deleted: ${n.key} — ${n.reason}`),
          ...report.staleLocksIgnored.map((k) => `Ignored a stale lock: ${k}`),
        ].join('\n'),
      );
    } finally {
      ctx.progress.done();
      clients.destroy();
    }
  });
}
