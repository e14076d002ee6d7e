import { Command } from 'commander';
import type { CliContext } from '../context';

export function scheduleRemoveCommand(context: () => Promise<CliContext>): Command {
  return new Command('remove')
    .description('remove a source from the schedule (its backups and history stay)')
    .argument('<id>', 'the source id, from "coldkeep schedule list"')
    .option('--dir <path>', 'schedule folder (default: $COLDKEEP_SCHEDULE_DIR, else the config folder)')
    .action(async (id: string, flags: { dir?: string }) => {
      const ctx = await context();
      const { scheduleStore } = await import('./scheduleCommon.js');
      await scheduleStore(flags.dir).removeSource(id);
      ctx.out(ctx.json ? JSON.stringify({ removed: id }) : `Removed source ${id}.`);
    });
}
