import { Command, Option } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { snapshotRestoreSummary } from '../../app/notify/jobSummary';
import type { RetrievalTier } from '../../storage/thawArchived';
import type { CliContext } from '../context';
import { formatBytes, formatCount, formatDuration } from '../format';
import { addNotifyOptions, notificationLines, type NotifyFlags, notifySettingsFromFlags } from '../notifyOptions';
import { runCliJob } from '../cliJob';
import { wholeNumber } from '../parse';
import { addKeyOptions, type KeyFlags, keyMaterialFromFlags } from '../keyFlags';
import { addSourceOptions, resolveSource, type SourceFlags } from './filesCommon';

interface FilesRestoreFlags extends NotifyFlags, SourceFlags, KeyFlags {
  target?: string;
  path?: string[];
  overwrite?: boolean;
  wait?: boolean;
  tier?: RetrievalTier;
  days?: number;
  pollSeconds?: number;
  concurrency?: number;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function filesRestoreCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('restore')
    .description("restore a snapshot (or paths of it) into a folder, checking every file's SHA-256")
    .argument('<snapshot>', 'snapshot id (or its start), or "latest"')
    .option('--target <dir>', 'folder to restore into (created if missing)')
    .option('--path <path>', 'only this sub-path or glob (gitignore syntax; repeatable)', collect)
    .option('--overwrite', 'replace files that already exist in the target (default: leave them)')
    .option('--wait', 'if blobs are archived, wait until their retrieval is done (polling)')
    .addOption(
      new Option('--tier <tier>', 'retrieval tier for archived blobs')
        .choices(['Expedited', 'Standard', 'Bulk'])
        .default('Standard'),
    )
    .option('--days <n>', 'days a retrieved copy stays readable (default 7)', wholeNumber('--days', 1, 36_500))
    .option(
      '--poll-seconds <n>',
      'with --wait: seconds between checks (default 60)',
      wholeNumber('--poll-seconds', 1, 86_400),
    )
    .option('--concurrency <n>', 'files downloaded at once (default 8)', wholeNumber('--concurrency', 1, 256));
  addSourceOptions(command);
  addKeyOptions(command);
  addNotifyOptions(command, { link: false });
  return command.action(async (snapshot: string, flags: FilesRestoreFlags) => {
    const ctx = await context();
    const { restoreSnapshot } = await import('../../folders/restore/restoreSnapshot.js');
    if (!flags.target) {
      throw new ColdkeepError('InvalidInput', 'No --target folder given.', {
        hint: 'Add --target DIR (an empty folder is safest; existing files are left alone unless --overwrite).',
      });
    }
    const target = flags.target;
    const notify = notifySettingsFromFlags(flags);
    const { clients } = ctx.connection;
    try {
      const { report, notification } = await runCliJob(ctx, notify, {
        what: `Restore of snapshot ${snapshot}${flags.source ? ` of ${flags.source}` : ''} into ${target}`,
        run: async ({ signal }) => {
          // Inside the job: a source that cannot be found is a failed restore, and emailed as one.
          const where = await resolveSource(clients, flags);
          return restoreSnapshot(
            clients,
            {
              ...where,
              snapshotId: snapshot,
              target,
              ...(flags.path ? { paths: flags.path } : {}),
              overwrite: flags.overwrite ?? false,
              wait: flags.wait ?? false,
              ...(flags.tier ? { tier: flags.tier } : {}),
              ...(flags.days ? { days: flags.days } : {}),
              ...(flags.pollSeconds ? { pollIntervalMs: flags.pollSeconds * 1000 } : {}),
              ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
              keys: keyMaterialFromFlags(flags),
            },
            {
              signal,
              onProgress: (p) =>
                ctx.progress.show(`${p.phase}:${p.waitingFor ?? ''}`, () =>
                  p.phase === 'thaw'
                    ? [
                        `Waiting for ${formatCount(p.waitingFor ?? 0)} archived blob(s) to be retrieved (${flags.tier ?? 'Standard'})…`,
                      ]
                    : [
                        `Restoring ${p.source} ${p.snapshotId ?? ''}: ${formatCount(p.filesDone)} of ${formatCount(p.files)} files, ` +
                          `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytes)}`,
                      ],
                ),
            },
          );
        },
        summary: snapshotRestoreSummary,
      });
      ctx.progress.done();
      if (ctx.json)
        return ctx.out(
          JSON.stringify({ ok: true, restore: report, ...(notification ? { notification } : {}) }, null, 2),
        );
      ctx.out(
        [
          `Restored ${formatCount(report.files)} file(s), ${formatBytes(report.bytes)}, ${report.dirs} folder(s), ` +
            `${report.symlinks} link(s) of ${report.source} ${report.snapshotId} into ${report.target} in ${formatDuration(report.durationMs)}; every file's SHA-256 checked.`,
          ...(report.skippedExisting.length
            ? [
                // In path order: the restore's workers report them as they finish.
                `Left alone (already there): ${[...report.skippedExisting].sort().slice(0, 10).join(', ')}` +
                  `${report.skippedExisting.length > 10 ? `, … ${report.skippedExisting.length - 10} more` : ''}. Add --overwrite to replace them.`,
              ]
            : []),
          ...notificationLines(notification),
        ].join('\n'),
      );
    } finally {
      ctx.progress.done();
      clients.destroy();
    }
  });
}
