import { Command } from 'commander';
import type { CliContext } from '../context';
import { table } from '../format';

export function scheduleListCommand(context: () => Promise<CliContext>): Command {
  return new Command('list')
    .description('list the scheduled sources (tables and folders) and when each runs next')
    .option('--dir <path>', 'schedule folder (default: $COLDKEEP_SCHEDULE_DIR, else the config folder)')
    .action(async (flags: { dir?: string }) => {
      const ctx = await context();
      const { scheduleStore } = await import('./scheduleCommon.js');
      const { nextRunAt } = await import('../../app/schedule/sources.js');
      const file = await scheduleStore(flags.dir).read();
      const rows = file.sources.map((s) => ({
        ...s,
        nextRunAt: s.enabled && !file.paused ? nextRunAt(s)?.toISOString() : undefined,
      }));
      if (ctx.json) return ctx.out(JSON.stringify({ paused: file.paused, sources: rows }, null, 2));
      if (rows.length === 0)
        return ctx.out('No sources yet. Add one with "coldkeep schedule add --table NAME" or "--folder DIR".');
      ctx.out(
        table(
          ['ID', 'KIND', 'SOURCE', 'CRON', 'NEXT RUN'],
          rows.map((s) => [
            s.id,
            s.kind,
            s.kind === 'table' ? s.table : s.dir,
            s.cron,
            s.nextRunAt ?? (s.enabled ? 'paused' : 'disabled'),
          ]),
        ),
      );
      if (file.paused) ctx.out('\nSchedules are paused.');
    });
}
