import { Command } from 'commander';
import { type CliContext, withCancel } from '../context';
import { formatBytes, formatCount } from '../format';
import { wholeNumber } from '../parse';
import { addSourceOptions, resolveSource, type SourceFlags } from './filesCommon';

interface FilesForgetFlags extends SourceFlags {
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  dryRun?: boolean;
  prune?: boolean;
}

export function filesForgetCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('forget')
    .description('apply a retention policy: delete the snapshots it does not keep (blobs stay until prune)')
    .option('--keep-last <n>', 'keep the newest N snapshots', wholeNumber('--keep-last', 0, 1_000_000))
    .option(
      '--keep-daily <n>',
      'keep the newest snapshot of each of the last N days',
      wholeNumber('--keep-daily', 0, 1_000_000),
    )
    .option(
      '--keep-weekly <n>',
      'keep the newest snapshot of each of the last N weeks',
      wholeNumber('--keep-weekly', 0, 100_000),
    )
    .option(
      '--keep-monthly <n>',
      'keep the newest snapshot of each of the last N months',
      wholeNumber('--keep-monthly', 0, 100_000),
    )
    .option('--dry-run', 'say what would be forgotten, delete nothing')
    .option('--prune', 'then prune the blobs no kept snapshot needs');
  addSourceOptions(command);
  return command.action(async (flags: FilesForgetFlags) => {
    const ctx = await context();
    const { AwsClients } = await import('../../base/aws/clients.js');
    const { forgetSnapshots } = await import('../../folders/forget/forgetSnapshots.js');
    const { pruneBlobs } = await import('../../folders/prune/pruneBlobs.js');
    const clients = new AwsClients(ctx.settings);
    try {
      const where = await resolveSource(clients, flags);
      const report = await withCancel((signal) =>
        forgetSnapshots(
          clients,
          {
            ...where,
            last: flags.keepLast,
            daily: flags.keepDaily,
            weekly: flags.keepWeekly,
            monthly: flags.keepMonthly,
            dryRun: flags.dryRun ?? false,
          },
          { signal },
        ),
      );
      const pruned =
        flags.prune && !flags.dryRun ? await withCancel((signal) => pruneBlobs(clients, where, { signal })) : undefined;
      if (ctx.json)
        return ctx.out(JSON.stringify({ ok: true, forget: report, ...(pruned ? { prune: pruned } : {}) }, null, 2));
      ctx.out(
        [
          ...report.decisions.map(
            (d) =>
              `${d.keep ? 'keep  ' : report.dryRun ? 'would forget' : 'forget'} ${d.snapshotId}${d.reasons.length ? `  (${d.reasons.join(', ')})` : ''}`,
          ),
          `${report.dryRun ? 'Would forget' : 'Forgot'} ${report.forgotten.length} of ${report.decisions.length} snapshot(s) of ${report.source}.`,
          ...report.notDeleted.map((n) => `Not deleted: ${n.snapshotId} — ${n.reason}`),
          ...(pruned
            ? [
                `Pruned ${formatCount(pruned.deletedBlobs)} blob(s) and ${formatCount(pruned.deletedPacks)} pack(s), ${formatBytes(pruned.deletedBytes)}.`,
              ]
            : []),
        ].join('\n'),
      );
    } finally {
      clients.destroy();
    }
  });
}
