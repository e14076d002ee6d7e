import { Command } from 'commander';
import type { CliContext } from '../context';
import { formatDuration, red, table } from '../format';

export function scheduleListCommand(context: () => Promise<CliContext>): Command {
  return new Command('list')
    .description('list the scheduled sources (tables and folders) and when each runs next')
    .option('--dir <path>', 'schedule folder (default: $COLDKEEP_SCHEDULE_DIR, else the config folder)')
    .action(async (flags: { dir?: string }) => {
      const ctx = await context();
      const { scheduleStore } = await import('./scheduleCommon.js');
      const { nextRunAt } = await import('../../app/schedule/sources.js');
      const { DrillRecords, drillKeyOf, drillStatusText } = await import('../../app/schedule/drillRecords.js');
      const { defaultScheduleDir } = await import('../../app/schedule/runHistory.js');
      const { join } = await import('node:path');
      const file = await scheduleStore(flags.dir).read();
      const drills = await new DrillRecords(join(flags.dir ?? defaultScheduleDir(), 'drills.json')).all();
      const rows = file.sources.map((s) => ({
        ...s,
        nextRunAt: s.enabled && !file.paused ? nextRunAt(s)?.toISOString() : undefined,
        // The source's last restore drill and last verified restore ({}: never verified).
        drillStatus: drills[drillKeyOf(s)] ?? {},
      }));
      if (ctx.json) return ctx.out(JSON.stringify({ paused: file.paused, sources: rows }, null, 2));
      if (rows.length === 0)
        return ctx.out('No sources yet. Add one with "coldkeep schedule add --table NAME" or "--folder DIR".');
      ctx.out(
        table(
          ['ID', 'KIND', 'SOURCE', 'CRON', 'NEXT RUN', 'LAST VERIFIED RESTORE'],
          rows.map((s) => {
            const drill = drillStatusText(s.drillStatus, formatDuration);
            return [
              s.id,
              s.drill ? `${s.kind} drill` : s.kind,
              s.kind === 'table' ? s.table : s.dir,
              s.cron,
              s.nextRunAt ?? (s.enabled ? 'paused' : 'disabled'),
              s.drillStatus.last && s.drillStatus.last.status !== 'succeeded' ? red(drill) : drill,
            ];
          }),
        ),
      );
      if (file.paused) ctx.out('\nSchedules are paused.');
    });
}
