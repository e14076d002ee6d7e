import type { SessionCheck } from '../app/connection';
import type { NotificationReport } from '../app/notify/notifyJob';
import type { NotifySettings } from '../app/notify/notifySettings';
import type { JobSpec } from '../app/runJob';
import { type CliContext, withCancel } from './context';
import { formatDuration } from './format';
import { notificationLines } from './notifyOptions';

/**
 * What the CLI says when the MFA session will not last the job: without a terminal nobody can be
 * asked for a code, so it only warns; on one, even the new session ends first.
 */
export function sessionWarning(check: SessionCheck): string {
  return check.asked
    ? `Warning: even the new MFA session ends at ${check.status.expiresAt}, before this job is expected to finish ` +
        `(about ${formatDuration(check.estimateMs)}); you will be asked for a code again then.`
    : `Warning: the MFA session ends at ${check.status.expiresAt}, before this job is expected to finish ` +
        `(about ${formatDuration(check.estimateMs)}); start a longer one with "coldkeep session start --renew".`;
}

/**
 * Runs a command's job the application layer's way (session check, job, email when asked), with
 * Ctrl-C wired to its signal. A failure is thrown after its email is said on stderr, for the
 * CLI's error report and exit code.
 */
export async function runCliJob<Report, Progress>(
  ctx: CliContext,
  notify: NotifySettings | undefined,
  spec: JobSpec<Report, Progress>,
  onProgress?: (progress: NoInfer<Progress>) => void,
): Promise<{ report: Report; notification?: NotificationReport }> {
  const { runJob } = await import('../app/runJob.js');
  const result = await withCancel((signal) =>
    runJob(ctx.connection, spec, {
      signal,
      ...(onProgress ? { onProgress } : {}),
      ...(notify ? { notify } : {}),
      onSession: (check) => void process.stderr.write(sessionWarning(check) + '\n'),
    }),
  );
  if ('error' in result) {
    ctx.progress.done();
    if (result.notification) process.stderr.write(notificationLines(result.notification).join('\n') + '\n');
    throw result.error;
  }
  return { report: result.report, ...(result.notification ? { notification: result.notification } : {}) };
}
