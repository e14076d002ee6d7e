import { Command } from 'commander';
import { CancelledError, ColdkeepError, type ErrorCode } from '../../errors';
import type { RunRecord } from '../../schedule';
import { type CliContext, withCancel } from '../context';

interface ScheduleRunFlags {
  bucket?: string;
  prefix?: string;
  dir?: string;
  all?: boolean;
  source?: string[];
  watch?: boolean;
}

export function scheduleRunCommand(context: () => Promise<CliContext>): Command {
  return new Command('run')
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
    .action(async (flags: ScheduleRunFlags) => {
      const ctx = await context();
      const { cliRunners, runLine, scheduleStore } = await import('./scheduleCommon.js');
      const { Scheduler } = await import('../../schedule/scheduler.js');
      const { runners, close } = cliRunners(ctx, flags);
      const runs: RunRecord[] = [];
      const scheduler = new Scheduler({
        store: scheduleStore(flags.dir),
        runners,
        onEvent: (event) => {
          if (event.type === 'run-finished') {
            runs.push(event.run);
            if (!ctx.json) ctx.out(runLine(event.run));
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
          else if (flags.source?.length) await Promise.all(flags.source.map((id) => scheduler.runNow(id)));
          else if (flags.watch) {
            await scheduler.start();
            await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
            scheduler.stop();
            await scheduler.whenIdle();
          } else await scheduler.catchUp();
        });
      } finally {
        close();
      }
      const failed = runs.filter((r) => r.status !== 'succeeded');
      if (failed.length > 0) {
        // The exit code and --json error come from the first failure; every run is in the details.
        const first = failed.find((r) => r.status === 'failed') ?? failed[0]!;
        const code = (first.error?.code ?? 'Unexpected') as ErrorCode;
        const message = `${failed.length} of ${runs.length} run(s) did not succeed; first: ${first.sourceName}: ${first.error?.message ?? first.status}`;
        if (first.status === 'cancelled') throw new CancelledError(message, { details: { runs } });
        throw new ColdkeepError(code, message, {
          hint: first.error?.hint ?? 'See "coldkeep schedule history" for each run.',
          details: { runs },
        });
      }
      if (ctx.json) ctx.out(JSON.stringify({ ok: true, runs }, null, 2));
      else if (runs.length === 0) ctx.out('Nothing was due.');
    });
}
