import { join } from 'node:path';
import { z } from 'zod';
import { ColdkeepError, isCancelled } from '../errors';
import { coldkeepConfigDir } from '../session';
import type { JobStatus } from '../jobs/jobOutcome';
import { JsonFileStore } from './jsonFileStore';
import { sourceSchema, type Source } from './sources';

export type RunTrigger = 'schedule' | 'catch-up' | 'manual';
/** A run's outcome: the job's (see jobOutcome); `partial` finished with something asked for missing. */
export type RunStatus = JobStatus;

const runErrorSchema = z.object({ code: z.string(), message: z.string(), hint: z.string().optional() });
export type RunError = z.infer<typeof runErrorSchema>;

/** What a finished run keeps: one line for menus and notifications, and the job's whole report. */
export const runReportSchema = z.object({
  summary: z.string(),
  /** Where a restore finds it again: a table backup's id, a folder snapshot's id. */
  restorePoint: z.string().optional(),
  /** `partial` when the job finished without something asked for (absent in older histories: succeeded). */
  status: z.enum(['succeeded', 'partial']).optional(),
  /** For a partial run: what is missing, e.g. "2 files not backed up". */
  incomplete: z.string().optional(),
  report: z.record(z.string(), z.unknown()),
});
export type RunReport = z.infer<typeof runReportSchema>;

export const runRecordSchema = z.object({
  runId: z.string(),
  sourceId: z.string(),
  sourceName: z.string(),
  kind: z.enum(['table', 'folder']),
  trigger: z.enum(['schedule', 'catch-up', 'manual']),
  /** For schedule and catch-up runs: the scheduled time this run stands for. */
  scheduledFor: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  status: z.enum(['succeeded', 'partial', 'failed', 'cancelled']),
  /** Tries in all; more than 1 when failures were retried with backoff. */
  attempts: z.number().int().min(1),
  result: runReportSchema.optional(),
  error: runErrorSchema.optional(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

/** Runs kept per file; the oldest go first. */
export const HISTORY_LIMIT = 1000;

const scheduleFileSchema = z.object({
  version: z.literal(1),
  paused: z.boolean(),
  sources: z.array(sourceSchema),
});
export type ScheduleFile = z.infer<typeof scheduleFileSchema>;

const historyFileSchema = z.object({ version: z.literal(1), runs: z.array(runRecordSchema) });
type HistoryFile = z.infer<typeof historyFileSchema>;

/** Where the scheduler keeps its sources and run history: `<config dir>/schedule/` by default. */
export function defaultScheduleDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.COLDKEEP_SCHEDULE_DIR || join(coldkeepConfigDir(env), 'schedule');
}

/**
 * The scheduler's files: `sources.json` (sources, their cron and the last scheduled time run,
 * paused) and `history.json` (finished runs with their reports, newest last). Both are plain JSON,
 * written atomically; the CLI and the desktop app read the same folder.
 */
export class ScheduleStore {
  readonly dir: string;
  private readonly sourcesFile: JsonFileStore<ScheduleFile>;
  private readonly historyFile: JsonFileStore<HistoryFile>;

  constructor(dir: string = defaultScheduleDir()) {
    this.dir = dir;
    this.sourcesFile = new JsonFileStore(join(dir, 'sources.json'), scheduleFileSchema, () => ({
      version: 1 as const,
      paused: false,
      sources: [],
    }));
    this.historyFile = new JsonFileStore(join(dir, 'history.json'), historyFileSchema, () => ({
      version: 1 as const,
      runs: [],
    }));
  }

  async read(): Promise<ScheduleFile> {
    return this.sourcesFile.read();
  }

  async sources(): Promise<Source[]> {
    return (await this.read()).sources;
  }

  async source(id: string): Promise<Source> {
    const found = (await this.sources()).find((s) => s.id === id);
    if (!found) {
      throw new ColdkeepError('NoSuchSource', `There is no source with id "${id}".`, {
        hint: 'List the sources with "coldkeep schedule list".',
      });
    }
    return found;
  }

  async addSource(source: Source): Promise<Source> {
    await this.sourcesFile.update((file) => {
      const same = file.sources.find((s) =>
        s.kind === 'table' && source.kind === 'table'
          ? s.table === source.table
          : s.kind === 'folder' && source.kind === 'folder' && s.dir === source.dir,
      );
      if (same) {
        throw new ColdkeepError('InvalidInput', `"${source.name}" is already a source (id ${same.id}).`, {
          hint: 'Change its schedule instead of adding it again.',
        });
      }
      return { ...file, sources: [...file.sources, source] };
    });
    return source;
  }

  /** Changes one source; fails with NoSuchSource when it is gone. */
  async updateSource(id: string, change: (source: Source) => Source): Promise<Source> {
    let updated: Source | undefined;
    await this.sourcesFile.update((file) => ({
      ...file,
      sources: file.sources.map((s) => (s.id === id ? (updated = change(s)) : s)),
    }));
    if (!updated) await this.source(id);
    return updated!;
  }

  async removeSource(id: string): Promise<void> {
    await this.source(id);
    await this.sourcesFile.update((file) => ({ ...file, sources: file.sources.filter((s) => s.id !== id) }));
  }

  async setPaused(paused: boolean): Promise<void> {
    await this.sourcesFile.update((file) => ({ ...file, paused }));
  }

  async appendRun(run: RunRecord): Promise<void> {
    await this.historyFile.update((file) => ({ ...file, runs: [...file.runs, run].slice(-HISTORY_LIMIT) }));
  }

  /** Finished runs, newest first. */
  async history(query: { sourceId?: string; limit?: number } = {}): Promise<RunRecord[]> {
    const runs = (await this.historyFile.read()).runs.filter((r) => !query.sourceId || r.sourceId === query.sourceId);
    return runs.reverse().slice(0, query.limit ?? runs.length);
  }

  async run(runId: string): Promise<RunRecord | undefined> {
    return (await this.historyFile.read()).runs.find((r) => r.runId === runId);
  }
}

/** A failure as the history keeps it: code, message and hint, never a stack or a secret. */
export function runErrorOf(err: unknown): RunError {
  if (err instanceof ColdkeepError) {
    return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  }
  if (isCancelled(err)) return { code: 'Cancelled', message: 'Cancelled.' };
  return { code: 'Unexpected', message: err instanceof Error ? err.message : String(err) };
}
