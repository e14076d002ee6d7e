import type { AwsClients } from '../../base/aws/clients';
import { refuseShortSession } from '../../app/sessionRefusal';
import { type RunRecord, ScheduleStore } from '../../app/schedule/runHistory';
import {
  type BackupTarget,
  drillFolderRunner,
  drillTableRunner,
  folderRunner,
  type SourceRunners,
  tableRunner,
} from '../../app/schedule/sourceRunners';
import { type CliContext, requireBucket } from '../context';
import { formatDuration } from '../format';

/** The schedule folder: --dir, else $COLDKEEP_SCHEDULE_DIR, else <config dir>/schedule (shared with the desktop app). */
export function scheduleStore(dir: string | undefined): ScheduleStore {
  return dir ? new ScheduleStore(dir) : new ScheduleStore();
}

/**
 * The CLI's runners: table backups, folder snapshots and drills of both, to the bucket and prefix
 * given, on the command's connection. A table run checks first that the MFA session outlives the
 * backup (asking for a new code on a terminal) and is refused with SessionTooShort when it does
 * not: a scheduled run has nobody to ask partway through.
 */
export function cliRunners(
  ctx: CliContext,
  flags: { bucket?: string; prefix?: string },
): { runners: SourceRunners; clients: AwsClients; close: () => void } {
  const { connection } = ctx;
  const { clients } = connection;
  const target = (): BackupTarget => ({
    clients,
    bucket: requireBucket(flags.bucket),
    ...((flags.prefix ?? process.env.COLDKEEP_PREFIX) ? { prefix: flags.prefix ?? process.env.COLDKEEP_PREFIX } : {}),
    connection,
    onSession: refuseShortSession(
      'Start a longer MFA session ("coldkeep session start --renew", or a role whose sessions last longer), then run it again.',
    ),
    // A scheduled run has no terminal: an encrypted source's passphrase comes from the environment.
    folderKeys: async () =>
      process.env.COLDKEEP_PASSPHRASE ? { passphrase: process.env.COLDKEEP_PASSPHRASE } : undefined,
  });
  return {
    runners: {
      table: tableRunner(target),
      folder: folderRunner(target),
      drillTable: drillTableRunner(target),
      drillFolder: drillFolderRunner(target),
    },
    clients,
    close: () => clients.destroy(),
  };
}

export function runLine(run: RunRecord): string {
  const what =
    run.status === 'succeeded' || run.status === 'partial'
      ? (run.result?.summary ?? '')
      : `${run.error?.code}: ${run.error?.message}`;
  const retries = run.attempts > 1 ? ` after ${run.attempts} tries` : '';
  return `${run.status.toUpperCase()} ${run.sourceName} (${run.trigger}, ${formatDuration(run.durationMs)}${retries}) ${what}`;
}
