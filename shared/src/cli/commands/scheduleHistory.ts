import { Command } from 'commander';
import type { CliContext } from '../context';
import { wholeNumber } from '../parse';

export function scheduleHistoryCommand(context: () => Promise<CliContext>): Command {
  return new Command('history')
    .description('finished runs, newest first, with their reports')
    .option('--source <id>', 'only runs of this source')
    .option('--limit <n>', 'at most this many runs (default 20)', wholeNumber('--limit', 1, 100_000))
    .option('--dir <path>', 'schedule folder (default: $COLDKEEP_SCHEDULE_DIR, else the config folder)')
    .action(async (flags: { source?: string; limit?: number; dir?: string }) => {
      const ctx = await context();
      const { runLine, scheduleStore } = await import('./scheduleCommon.js');
      const runs = await scheduleStore(flags.dir).history({
        limit: flags.limit ?? 20,
        ...(flags.source ? { sourceId: flags.source } : {}),
      });
      if (ctx.json) return ctx.out(JSON.stringify(runs, null, 2));
      if (runs.length === 0) return ctx.out('No runs yet.');
      for (const run of runs) ctx.out(`${run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}  ${runLine(run)}`);
    });
}
