import { resolve } from 'node:path';
import { Command } from 'commander';
import { ColdkeepError } from '../../errors';
import { DEFAULT_CRON, newSource } from '../../schedule';
import type { CliContext } from '../context';
import { scheduleStore } from './scheduleCommon';

export function scheduleAddCommand(context: () => CliContext): Command {
  return new Command('add')
    .description('add a table or a folder to back up on a cron schedule')
    .option('--table <name>', 'a DynamoDB table')
    .option('--folder <dir>', 'a folder on this machine')
    .option('--cron <expression>', `when to run, e.g. "0 2 * * *" (default "${DEFAULT_CRON}": 02:00 every night)`)
    .option('--exclude <pattern...>', 'for folders: gitignore-style patterns to leave out')
    .option('--dir <path>', 'schedule folder (default: $COLDKEEP_SCHEDULE_DIR, else the config folder)')
    .action(async (flags: { table?: string; folder?: string; cron?: string; exclude?: string[]; dir?: string }) => {
      const ctx = context();
      if (Boolean(flags.table) === Boolean(flags.folder)) {
        throw new ColdkeepError('InvalidInput', 'Give either --table or --folder.', {
          hint: 'e.g. coldkeep schedule add --table orders --cron "0 2 * * *"',
        });
      }
      const cron = flags.cron ? { cron: flags.cron } : {};
      const source = newSource(
        flags.table
          ? { kind: 'table', table: flags.table, ...cron }
          : {
              kind: 'folder',
              dir: resolve(flags.folder!),
              ...cron,
              ...(flags.exclude ? { excludes: flags.exclude } : {}),
            },
      );
      await scheduleStore(flags.dir).addSource(source);
      ctx.out(
        ctx.json
          ? JSON.stringify(source, null, 2)
          : `Added ${source.kind} "${source.name}" (id ${source.id}), runs "${source.cron}".`,
      );
    });
}
