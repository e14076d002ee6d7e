import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { ColdkeepError, isCancelled } from '../../base/errors/ColdkeepError';
import { ownerState, type ProcessOwner, thisProcess } from '../../base/jobs/processOwner';
import { coldkeepConfigDir } from '../../base/state/configDir';
import type { JobStatus } from '../../base/jobs/jobOutcome';
import { type Exclusive, folderLock } from '../../base/state/folderLock';
import { JsonFileStore } from '../../base/state/jsonFileStore';
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
  /** A restore drill's run (a drill source), not a backup's. */
  drill: z.boolean().optional(),
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

/** A run in progress, claimed before it starts so that no other process starts the same source. */
const runClaimSchema = z.object({
  claimId: z.string(),
  sourceId: z.string(),
  trigger: z.enum(['schedule', 'catch-up', 'manual']),
  scheduledFor: z.string().optional(),
  startedAt: z.string(),
  owner: z.object({ host: z.string(), pid: z.number().int(), processStart: z.string().optional() }),
});
export type RunClaim = z.infer<typeof runClaimSchema>;

const claimsFileSchema = z.object({ version: z.literal(1), running: z.array(runClaimSchema) });
type ClaimsFile = z.infer<typeof claimsFileSchema>;

/** What `claimRun` decided: run it, or why not. */
export type ClaimResult =
  | { claimed: true; claim: RunClaim; source: Source }
  /** `running`: another run of the source holds it (in this process or another); `done`: this scheduled time already ran. */
  | { claimed: false; reason: 'running'; heldBy: RunClaim }
  | { claimed: false; reason: 'done' | 'disabled' | 'removed' };

/** Where the scheduler keeps its sources and run history: `<config dir>/schedule/` by default. */
export function defaultScheduleDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.COLDKEEP_SCHEDULE_DIR || join(coldkeepConfigDir(env), 'schedule');
}

/**
 * The scheduler's files: `sources.json` (sources, their cron and the last scheduled time run,
 * paused), `history.json` (finished runs with their reports, newest last) and `running.json`
 * (runs in progress and their processes). All are plain JSON, replaced atomically (temp file +
 * rename), and every read-modify-write holds the folder's cross-process lock: the CLI's
 * `schedule run`s and the desktop app share the folder and never lose each other's writes.
 */
export class ScheduleStore {
  readonly dir: string;
  private readonly exclusive: Exclusive;
  private readonly sourcesFile: JsonFileStore<ScheduleFile>;
  private readonly historyFile: JsonFileStore<HistoryFile>;
  private readonly claimsFile: JsonFileStore<ClaimsFile>;

  constructor(dir: string = defaultScheduleDir()) {
    this.dir = dir;
    this.exclusive = folderLock(dir);
    const exclusive = { exclusive: this.exclusive };
    this.sourcesFile = new JsonFileStore(
      join(dir, 'sources.json'),
      scheduleFileSchema,
      () => ({ version: 1 as const, paused: false, sources: [] }),
      exclusive,
    );
    this.historyFile = new JsonFileStore(
      join(dir, 'history.json'),
      historyFileSchema,
      () => ({ version: 1 as const, runs: [] }),
      exclusive,
    );
    this.claimsFile = new JsonFileStore(
      join(dir, 'running.json'),
      claimsFileSchema,
      () => ({ version: 1 as const, running: [] }),
      exclusive,
    );
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
      // A table or folder has at most one backup source and one drill source.
      const same = file.sources.find(
        (s) =>
          Boolean(s.drill) === Boolean(source.drill) &&
          (s.kind === 'table' && source.kind === 'table'
            ? s.table === source.table
            : s.kind === 'folder' && source.kind === 'folder' && s.dir === source.dir),
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

  /**
   * Claims a run of a source before it starts, under the folder lock, so that any number of
   * processes start it once: refused while another run of it is in progress (its process still
   * alive), and for a scheduled time, refused once that time was taken (`lastScheduledAt`, which
   * is marked here even when a run in progress covers it). The job itself runs outside the lock.
   */
  async claimRun(
    sourceId: string,
    trigger: RunTrigger,
    scheduledFor?: Date,
    now: Date = new Date(),
  ): Promise<ClaimResult> {
    return this.exclusive(async () => {
      const file = await this.sourcesFile.read();
      let source = file.sources.find((s) => s.id === sourceId);
      if (!source) return { claimed: false, reason: 'removed' };
      if (scheduledFor) {
        const taken = source.lastScheduledAt && new Date(source.lastScheduledAt).getTime() >= scheduledFor.getTime();
        if (taken) return { claimed: false, reason: 'done' };
        // Marked before the run: a run that fails (after its retries) is not caught up again and again.
        source = { ...source, lastScheduledAt: scheduledFor.toISOString() };
        const updated = source;
        await this.sourcesFile.write({ ...file, sources: file.sources.map((s) => (s.id === sourceId ? updated : s)) });
        if (!source.enabled) return { claimed: false, reason: 'disabled' };
      }
      const claims = await this.claimsFile.read();
      // A claim whose process is gone (crashed, killed) is dropped: it holds nothing any more.
      const live = claims.running.filter((c) => ownerState(c.owner) !== 'gone');
      const heldBy = live.find((c) => c.sourceId === sourceId);
      if (heldBy) {
        if (live.length !== claims.running.length) await this.claimsFile.write({ ...claims, running: live });
        return { claimed: false, reason: 'running', heldBy };
      }
      const owner: ProcessOwner = thisProcess();
      const claim: RunClaim = {
        claimId: `${now.getTime().toString(36)}-${owner.pid}-${randomBytes(4).toString('hex')}`,
        sourceId,
        trigger,
        ...(scheduledFor ? { scheduledFor: scheduledFor.toISOString() } : {}),
        startedAt: now.toISOString(),
        owner,
      };
      await this.claimsFile.write({ ...claims, running: [...live, claim] });
      return { claimed: true, claim, source };
    });
  }

  /** Ends a claimed run: its record goes into the history and its claim away, in one locked section. */
  async finishRun(claimId: string, run: RunRecord): Promise<void> {
    await this.exclusive(async () => {
      const history = await this.historyFile.read();
      await this.historyFile.write({ ...history, runs: [...history.runs, run].slice(-HISTORY_LIMIT) });
      const claims = await this.claimsFile.read();
      const running = claims.running.filter((c) => c.claimId !== claimId && ownerState(c.owner) !== 'gone');
      await this.claimsFile.write({ ...claims, running });
    });
  }

  /** Runs in progress in any process whose owner is not known to be gone. */
  async running(): Promise<RunClaim[]> {
    return (await this.claimsFile.read()).running.filter((c) => ownerState(c.owner) !== 'gone');
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
