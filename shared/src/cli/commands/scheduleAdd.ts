import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { Source, SourceEngineChoice } from '../../app/schedule/sources';
import { DEFAULT_CRON } from '../../app/schedule/defaultCron';
import type { CliContext } from '../context';

interface ScheduleAddFlags {
  table?: string;
  folder?: string;
  cron?: string;
  engine: SourceEngineChoice;
  incremental?: boolean;
  exclude?: string[];
  dir?: string;
  drill?: string;
}

export function scheduleAddCommand(context: () => Promise<CliContext>): Command {
  return new Command('add')
    .description('add a table or a folder to back up on a cron schedule')
    .option('--table <name>', 'a DynamoDB table')
    .option('--folder <dir>', 'a folder on this machine')
    .option('--cron <expression>', `when to run, e.g. "0 2 * * *" (default "${DEFAULT_CRON}": 02:00 every night)`)
    .addOption(
      new Option('--engine <engine>', 'for tables: scan, export (DynamoDB export, needs PITR) or auto')
        .choices(['auto', 'scan', 'export'])
        .default('auto'),
    )
    .option('--incremental', 'for tables: each run exports only the changes since the previous backup (needs PITR)')
    .option('--exclude <pattern...>', 'for folders: gitignore-style patterns to leave out')
    .option(
      '--drill <when>',
      'also add a restore drill of the table or folder: "daily", "weekly", "monthly" or a cron expression (see "coldkeep drill")',
    )
    .option('--dir <path>', 'schedule folder (default: $COLDKEEP_SCHEDULE_DIR, else the config folder)')
    .action(async (flags: ScheduleAddFlags) => {
      const ctx = await context();
      const { scheduleStore } = await import('./scheduleCommon.js');
      const { drillCron, newSource } = await import('../../app/schedule/sources.js');
      if (Boolean(flags.table) === Boolean(flags.folder)) {
        throw new ColdkeepError('InvalidInput', 'Give either --table or --folder.', {
          hint: 'e.g. coldkeep schedule add --table orders --cron "0 2 * * *"',
        });
      }
      if (flags.folder && (flags.engine !== 'auto' || flags.incremental)) {
        throw new ColdkeepError('InvalidInput', '--engine and --incremental are for table sources.', {
          hint: 'Drop them for --folder; folder snapshots are always incremental.',
        });
      }
      const cron = flags.cron ? { cron: flags.cron } : {};
      const source = newSource(
        flags.table
          ? {
              kind: 'table',
              table: flags.table,
              engine: flags.engine,
              incremental: flags.incremental ?? false,
              ...cron,
            }
          : {
              kind: 'folder',
              dir: resolve(flags.folder!),
              ...cron,
              ...(flags.exclude ? { excludes: flags.exclude } : {}),
            },
      );
      // The drill is a source of its own (its schedule, history and claim), beside the backup; a
      // folder's drills the snapshots its backup source makes (named by that source's id).
      const drill =
        flags.drill === undefined
          ? undefined
          : source.kind === 'table'
            ? newSource({ kind: 'table', table: source.table, cron: drillCron(flags.drill), drill: true })
            : newSource({
                kind: 'folder',
                dir: source.dir,
                cron: drillCron(flags.drill),
                drill: true,
                snapshotSource: source.id,
              });
      const store = scheduleStore(flags.dir);
      await store.addSource(source);
      if (drill) await store.addSource(drill);
      ctx.out(
        ctx.json
          ? JSON.stringify(drill ? { ...source, drillSource: drill } : source, null, 2)
          : `Added ${source.kind} "${source.name}" (id ${source.id}), runs "${source.cron}"${engineText(source)}.` +
              (drill ? `\nAdded restore drill "${drill.name}" (id ${drill.id}), runs "${drill.cron}".` : ''),
      );
    });
}

function engineText(source: Source): string {
  if (source.kind !== 'table' || (!source.engine && !source.incremental)) return '';
  return ` with the ${source.engine ?? 'auto'} engine${source.incremental ? ', incremental' : ''}`;
}
