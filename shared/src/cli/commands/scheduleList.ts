import { Command } from 'commander';
import type { CliContext } from '../context';
import { red, table } from '../format';

export function scheduleListCommand(context: () => Promise<CliContext>): Command {
  return new Command('list')
    .description('list the scheduled sources (tables and folders) and when each runs next')
    .option('--dir <path>', 'schedule folder (default: $COLDKEEP_SCHEDULE_DIR, else the config folder)')
    .action(async (flags: { dir?: string }) => {
      const ctx = await context();
      const { scheduleStore } = await import('./scheduleCommon.js');
      const { nextRunAt } = await import('../../app/schedule/sources.js');
      const { readSourceStatuses, statusKeyOf, statusText } = await import('../../app/status/sourceStatus.js');
      const store = scheduleStore(flags.dir);
      const file = await store.read();
      // One status per table or folder (its backup and drill sources share it): state, last verified restore.
      const statuses = new Map((await readSourceStatuses(store)).map((s) => [s.key, s]));
      const rows = file.sources.map((s) => {
        const status = statuses.get(statusKeyOf(s))!;
        return {
          ...s,
          nextRunAt: s.enabled && !file.paused ? nextRunAt(s)?.toISOString() : undefined,
          status,
        };
      });
      if (ctx.json) return ctx.out(JSON.stringify({ paused: file.paused, sources: rows }, null, 2));
      if (rows.length === 0)
        return ctx.out('No sources yet. Add one with "coldkeep schedule add --table NAME" or "--folder DIR".');
      ctx.out(
        table(
          ['ID', 'KIND', 'SOURCE', 'CRON', 'NEXT RUN', 'LAST VERIFIED RESTORE', 'STATE'],
          rows.map((s) => {
            const drill = s.status.verifiedText;
            const state = statusText(s.status);
            return [
              s.id,
              s.drill ? `${s.kind} drill` : s.kind,
              s.kind === 'table' ? s.table : s.dir,
              s.cron,
              s.nextRunAt ?? (s.enabled ? 'paused' : 'disabled'),
              s.status.drillProblem ? red(drill) : drill,
              s.status.state === 'failing' ? red(state) : state,
            ];
          }),
        ),
      );
      if (file.paused) ctx.out('\nSchedules are paused.');
    });
}
