import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import { z } from 'zod';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { DEFAULT_CRON } from './defaultCron';

/** What Coldkeep backs up on a schedule: a DynamoDB table, or a folder on this machine. */
export type SourceKind = 'table' | 'folder';

export { DEFAULT_CRON };

/** Checks a cron expression (5 fields, or 6 with seconds first) and returns it trimmed. */
export function checkCron(expression: string): string {
  const trimmed = expression.trim();
  try {
    // A paused job with no callback only parses the pattern; it never fires.
    new Cron(trimmed, { paused: true, mode: '5-or-6-parts' }).stop();
  } catch (err) {
    throw new ColdkeepError('InvalidInput', `"${expression}" is not a cron expression: ${(err as Error).message}`, {
      hint: 'Use five fields "minute hour day-of-month month day-of-week", e.g. "0 2 * * *" for 02:00 every night.',
      cause: err,
    });
  }
  return trimmed;
}

const cronSchema = z.string().refine(
  (value) => {
    try {
      checkCron(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a cron expression' },
);

const common = {
  id: z.string().min(1),
  /** Shown in menus and history; the table name or the folder's path by default. */
  name: z.string().min(1),
  cron: cronSchema,
  enabled: z.boolean(),
  createdAt: z.string(),
  /** The latest scheduled time that was run (or caught up); missed runs are counted from here. */
  lastScheduledAt: z.string().optional(),
  /** A drill source: each run is a restore drill of the table or folder (see drillTable), not a backup. */
  drill: z.boolean().optional(),
};

/** The table backup engine (see backupTable); absent means auto, so older sources.json files load as they were. */
export const engineChoiceSchema = z.enum(['auto', 'scan', 'export']);
export type SourceEngineChoice = z.infer<typeof engineChoiceSchema>;

export const tableSourceSchema = z.object({
  ...common,
  kind: z.literal('table'),
  table: z.string().min(1),
  engine: engineChoiceSchema.optional(),
  /** Each run exports only the changes since the table's previous backup (export engine, needs PITR). */
  incremental: z.boolean().optional(),
});
export const folderSourceSchema = z.object({
  ...common,
  kind: z.literal('folder'),
  dir: z.string().min(1),
  excludes: z.array(z.string()).optional(),
  /** A drill source: the snapshot source it drills (the folder's backup source's id, which names its snapshots). */
  snapshotSource: z.string().min(1).optional(),
});
export const sourceSchema = z.discriminatedUnion('kind', [tableSourceSchema, folderSourceSchema]);

export type TableSource = z.infer<typeof tableSourceSchema>;
export type FolderSource = z.infer<typeof folderSourceSchema>;
export type Source = z.infer<typeof sourceSchema>;

/** What a user gives to add a source. */
export type NewSource =
  | {
      kind: 'table';
      table: string;
      engine?: SourceEngineChoice;
      incremental?: boolean;
      name?: string;
      cron?: string;
      enabled?: boolean;
      drill?: boolean;
    }
  | {
      kind: 'folder';
      dir: string;
      excludes?: string[];
      name?: string;
      cron?: string;
      enabled?: boolean;
      drill?: boolean;
      /** A drill source: the snapshot source it drills. */
      snapshotSource?: string;
    };

/** "weekly", "daily", "monthly", or a cron expression: when a drill source runs. */
export function drillCron(when: string): string {
  const named: Record<string, string> = { daily: '0 4 * * *', weekly: '0 4 * * 0', monthly: '0 4 1 * *' };
  return named[when.trim().toLowerCase()] ?? checkCron(when);
}

export function newSource(input: NewSource, now: Date = new Date()): Source {
  const common = {
    id: randomUUID().slice(0, 8),
    cron: checkCron(input.cron ?? DEFAULT_CRON),
    enabled: input.enabled ?? true,
    createdAt: now.toISOString(),
    ...(input.drill ? { drill: true } : {}),
  };
  const named = (what: string): string => input.name ?? (input.drill ? `drill of ${what}` : what);
  if (input.kind === 'table') {
    if (!input.table.trim())
      throw new ColdkeepError('InvalidInput', 'No table name was given.', { hint: 'Pick a table.' });
    // Refused here rather than at 2 a.m.: a scan cannot make an incremental backup.
    if (input.drill && (input.incremental || (input.engine && input.engine !== 'auto'))) {
      throw new ColdkeepError('InvalidInput', 'A drill source restores backups; it takes no backup engine.', {
        hint: 'Choose the engine and incremental backups on the backup source of this table, not on its drill.',
      });
    }
    if (input.incremental && input.engine === 'scan') {
      throw new ColdkeepError('InvalidInput', 'An incremental backup is made by the export engine, not by a scan.', {
        hint: 'Choose the export (or auto) engine for an incremental table source, or drop incremental.',
      });
    }
    return {
      ...common,
      kind: 'table',
      table: input.table.trim(),
      name: named(input.table.trim()),
      ...(input.engine && input.engine !== 'auto' ? { engine: input.engine } : {}),
      ...(input.incremental ? { incremental: true } : {}),
    };
  }
  if (!input.dir.trim()) throw new ColdkeepError('InvalidInput', 'No folder was given.', { hint: 'Pick a folder.' });
  return {
    ...common,
    kind: 'folder',
    dir: input.dir,
    name: named(input.dir),
    ...(input.excludes?.length ? { excludes: input.excludes } : {}),
    ...(input.drill && input.snapshotSource ? { snapshotSource: input.snapshotSource } : {}),
  };
}

/** The next time a source's schedule fires after `from`. */
export function nextRunAt(source: Source, from: Date = new Date()): Date | undefined {
  return new Cron(source.cron, { paused: true, mode: '5-or-6-parts' }).nextRun(from) ?? undefined;
}

/**
 * The latest scheduled time in (since, now] that has not run: at most one catch-up run per
 * source however many were missed (a laptop asleep for a week backs up once, not seven times).
 */
export function missedRunAt(source: Source, now: Date): Date | undefined {
  const since = new Date(source.lastScheduledAt ?? source.createdAt);
  const cron = new Cron(source.cron, { paused: true, mode: '5-or-6-parts' });
  const latest = cron.previousRuns(1, now)[0];
  cron.stop();
  if (!latest || latest.getTime() <= since.getTime()) return undefined;
  return latest;
}
