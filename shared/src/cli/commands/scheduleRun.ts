import { Command, Option } from 'commander';
import { CancelledError, ColdkeepError, type ErrorCode } from '../../base/errors/ColdkeepError';
import type { NotificationReport } from '../../app/notify/notifyJob';
import type { NotifySettings } from '../../app/notify/notifySettings';
import type { RunRecord } from '../../app/schedule/runHistory';
import type { NotifyOn } from '../../app/schedule/runNotification';
import { jobOutcome, type OutcomeFacts, outcomeLines } from '../../base/jobs/jobOutcome';
import { type CliContext, PartialOutcome, withCancel } from '../context';
import { addNotifyOptions, type NotifyFlags, notificationLines, notifySettingsFromFlags } from '../notifyOptions';

interface ScheduleRunFlags extends NotifyFlags {
  notifyOn: NotifyOn;
  bucket?: string;
  prefix?: string;
  dir?: string;
  all?: boolean;
  source?: string[];
  watch?: boolean;
}

export function scheduleRunCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('run')
    .description(
      'run what is due: each source whose scheduled time passed without a run, once (for cron or a systemd timer); ' +
        '--all or --source to run now, --watch to stay and run on schedule',
    )
    .option('--bucket <name>', 'bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix (default: "coldkeep", or $COLDKEEP_PREFIX)')
    .option('--all', 'run every source now')
    .option('--source <id...>', 'run these sources now')
    .option('--watch', 'keep running: catch up, then run every source on its schedule until Ctrl-C')
    .option('--dir <path>', 'schedule folder (default: $COLDKEEP_SCHEDULE_DIR, else the config folder)')
    .addOption(
      new Option('--notify-on <runs>', 'which runs are emailed (with --notify)')
        .choices(['all', 'failures'])
        .default('all'),
    );
  // No download link: the email is about the run; `coldkeep backups` and `files` find what it wrote.
  addNotifyOptions(command, { link: false });
  return command.action(async (flags: ScheduleRunFlags) => {
    const ctx = await context();
    const { cliRunners, runLine, scheduleStore } = await import('./scheduleCommon.js');
    const { Scheduler } = await import('../../app/schedule/scheduler.js');
    const { runSummary, shouldNotify } = await import('../../app/schedule/runNotification.js');
    const notify = notifySettingsFromFlags(flags);
    const { runners, clients, close } = cliRunners(ctx, flags);
    const runs: RunRecord[] = [];
    // Sources another process was running: not run again here, and not a failure of this command.
    const skipped: {
      sourceId: string;
      sourceName: string;
      heldBy: { host: string; pid: number; startedAt: string };
    }[] = [];
    const notifications: NotificationReport[] = [];
    const emailing: Promise<void>[] = [];
    // Each finished run is emailed as it ends (a --watch run never ends); the command waits for the
    // emails. notifyJob reports a failed send rather than throwing: an email never fails the run.
    const email = async (run: RunRecord, settings: NotifySettings): Promise<void> => {
      const { notifyJob } = await import('../../app/notify/notifyJob.js');
      const notification = await notifyJob(clients, settings, runSummary(run));
      notifications.push(notification);
      if (!ctx.json) ctx.out(notificationLines(notification).join('\n'));
    };
    const scheduler = new Scheduler({
      store: scheduleStore(flags.dir),
      runners,
      onEvent: (event) => {
        if (event.type === 'run-finished') {
          runs.push(event.run);
          if (!ctx.json) ctx.out(runLine(event.run));
          // A partial run: each path left out, why and what to do, under its line.
          if (!ctx.json && event.run.status === 'partial' && event.run.result)
            for (const line of outcomeLines(jobOutcome(event.run.result.report as OutcomeFacts))) ctx.out(`  ${line}`);
          if (notify && shouldNotify(event.run, flags.notifyOn)) emailing.push(email(event.run, notify));
        } else if (event.type === 'run-skipped') {
          const { owner, startedAt } = event.heldBy;
          skipped.push({
            sourceId: event.sourceId,
            sourceName: event.sourceName,
            heldBy: { host: owner.host, pid: owner.pid, startedAt },
          });
          if (!ctx.json) {
            ctx.out(
              `SKIPPED ${event.sourceName}: already running (pid ${owner.pid} on ${owner.host}, since ${startedAt})`,
            );
          }
        } else if (event.type === 'retrying' && !ctx.json) {
          process.stderr.write(
            `Retrying ${event.sourceId} in ${Math.round(event.delayMs / 1000)} s (try ${event.attempt + 1}): ${event.error.message}\n`,
          );
        }
      },
    });
    try {
      await withCancel(async (signal) => {
        signal.addEventListener('abort', () => void scheduler.cancelAll(), { once: true });
        if (flags.all) await scheduler.runAll();
        else if (flags.source?.length) {
          const settled = await Promise.allSettled(flags.source.map((id) => scheduler.runNow(id)));
          const failure = settled.find(
            (s): s is PromiseRejectedResult =>
              s.status === 'rejected' && !(s.reason instanceof ColdkeepError && s.reason.code === 'SourceLocked'),
          );
          if (failure) throw failure.reason;
        } else if (flags.watch) {
          await scheduler.start();
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          scheduler.stop();
          await scheduler.whenIdle();
        } else await scheduler.catchUp();
      });
    } finally {
      await Promise.all(emailing);
      close();
    }
    // Failed or cancelled runs decide the exit code first (1, 130); then partial ones (3).
    const failed = runs.filter((r) => r.status === 'failed' || r.status === 'cancelled');
    const partial = runs.filter((r) => r.status === 'partial');
    if (failed.length > 0) {
      // The exit code and --json error come from the first failure; every run is in the details.
      const first = failed.find((r) => r.status === 'failed') ?? failed[0]!;
      const code = (first.error?.code ?? 'Unexpected') as ErrorCode;
      const message =
        `${failed.length} of ${runs.length} run(s) did not succeed; first: ${first.sourceName}: ${first.error?.message ?? first.status}` +
        (partial.length ? `; ${partial.length} partial` : '');
      if (first.status === 'cancelled') throw new CancelledError(message, { details: { runs } });
      throw new ColdkeepError(code, message, {
        hint: first.error?.hint ?? 'See "coldkeep schedule history" for each run.',
        details: { runs, skipped, ...(notify ? { notifications } : {}) },
      });
    }
    const status = partial.length ? 'partial' : 'succeeded';
    if (ctx.json)
      ctx.out(
        JSON.stringify(
          { ok: status === 'succeeded', status, runs, skipped, ...(notify ? { notifications } : {}) },
          null,
          2,
        ),
      );
    else if (runs.length === 0 && skipped.length === 0) ctx.out('Nothing was due.');
    if (partial.length) {
      const headline = `${partial.length} of ${runs.length} run(s) finished INCOMPLETE`;
      if (!ctx.json) process.stderr.write(`${headline}; see "coldkeep schedule history" for what each left out.\n`);
      throw new PartialOutcome(headline);
    }
  });
}
