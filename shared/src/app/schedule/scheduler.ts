import { setMaxListeners } from 'node:events';
import { Cron } from 'croner';
import { ColdkeepError, isCancelled } from '../../base/errors/ColdkeepError';
import { type BackoffPolicy, withRetry } from '../../base/jobs/backoff';
import { ownerText } from '../../base/jobs/processOwner';
import {
  type RunClaim,
  type RunError,
  runErrorOf,
  type RunRecord,
  type RunReport,
  type RunTrigger,
  type ScheduleStore,
} from './runHistory';
import { runJob } from '../runJob';
import type { SourceProgress, SourceRunner, SourceRunners } from './sourceRunners';
import { missedRunAt, type Source } from './sources';

export type SchedulerEvent =
  | { type: 'run-started'; sourceId: string; sourceName: string; trigger: RunTrigger; startedAt: string }
  | { type: 'progress'; progress: SourceProgress }
  | { type: 'retrying'; sourceId: string; attempt: number; delayMs: number; error: RunError }
  | { type: 'run-finished'; run: RunRecord }
  /** Not started: another run of the source (this process or another) is in progress. */
  | { type: 'run-skipped'; sourceId: string; sourceName: string; trigger: RunTrigger; heldBy: RunClaim }
  | { type: 'paused'; paused: boolean }
  /** Something failed outside a run (reading the sources for a catch-up, writing the history). */
  | { type: 'error'; error: RunError };

export interface SchedulerOptions {
  store: ScheduleStore;
  runners: SourceRunners;
  /** Retries of a failed run (the run's own SDK retries come first). Default: 4 tries, 30 s to 10 min apart. */
  retry?: BackoffPolicy;
  onEvent?: (event: SchedulerEvent) => void;
  now?: () => Date;
}

export const DEFAULT_RUN_RETRY: BackoffPolicy = { baseMs: 30_000, maxMs: 600_000, maxAttempts: 4 };

/** Failures that another try will not fix: the user has to change something first. */
const PERMANENT_CODES = new Set<string>([
  'AccessDenied',
  'Cancelled',
  // A drill that restored something other than the backup holds: trying again proves nothing new.
  'DrillFailed',
  'EncryptionUnavailable',
  'InvalidInput',
  'MfaCodeRejected',
  'MissingCredentials',
  'NoMfaSerial',
  'NoSuchBucket',
  'NoSuchProfile',
  'NoSuchSource',
  'NoSuchTable',
  'RegionMismatch',
  // The same session is found on the next try: a new one needs the user.
  'SessionTooShort',
  'Unavailable',
]);

export function isWorthRetrying(err: unknown): boolean {
  if (isCancelled(err)) return false;
  return !(err instanceof ColdkeepError && PERMANENT_CODES.has(err.code));
}

interface ActiveRun {
  controller: AbortController;
  /** Undefined when the claim was refused: another process runs the source. */
  promise: Promise<RunRecord | undefined>;
}

/**
 * Runs every source on its cron schedule, one run per source at a time, across processes too:
 * each run is claimed in the schedule folder first (ScheduleStore.claimRun), so any number of
 * schedulers sharing the folder start a source once per scheduled time. Runs missed while the
 * machine slept or the app was closed are caught up (once per source) at start and whenever
 * `catchUp()` is called, e.g. on resume from sleep. A failed run is retried with backoff; every
 * finished run goes into the history with its report. Paused, nothing starts by schedule; runs
 * started by hand still do.
 */
export class Scheduler {
  private readonly store: ScheduleStore;
  private readonly runners: SourceRunners;
  private readonly retry: BackoffPolicy;
  private readonly onEvent: (event: SchedulerEvent) => void;
  private readonly now: () => Date;
  private readonly timers = new Map<string, Cron>();
  private readonly active = new Map<string, ActiveRun>();
  private paused = false;
  private started = false;

  constructor(options: SchedulerOptions) {
    this.store = options.store;
    this.runners = options.runners;
    this.retry = options.retry ?? DEFAULT_RUN_RETRY;
    this.onEvent = options.onEvent ?? (() => undefined);
    this.now = options.now ?? (() => new Date());
  }

  /** Arms the timers and starts the catch-up of missed runs (without waiting for it). */
  async start(): Promise<void> {
    this.started = true;
    await this.reload();
    this.inBackground(this.catchUp());
  }

  /** Stops the timers; runs in progress go on (see `cancelAll`). */
  stop(): void {
    this.started = false;
    for (const timer of this.timers.values()) timer.stop();
    this.timers.clear();
  }

  /** Re-reads the sources and re-arms their timers: call after a source was added, changed or removed. */
  async reload(): Promise<void> {
    const file = await this.store.read();
    this.paused = file.paused;
    for (const timer of this.timers.values()) timer.stop();
    this.timers.clear();
    if (!this.started || this.paused) return;
    for (const source of file.sources) {
      if (!source.enabled) continue;
      const timer = new Cron(source.cron, { mode: '5-or-6-parts', catch: true }, (self) => {
        const scheduledFor = self.currentRun() ?? this.now();
        this.inBackground(this.trigger(source.id, 'schedule', scheduledFor));
      });
      this.timers.set(source.id, timer);
    }
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Sources with a run in progress. */
  runningSourceIds(): string[] {
    return [...this.active.keys()];
  }

  get isRunning(): boolean {
    return this.active.size > 0;
  }

  /** When each enabled source runs next (none while paused). */
  nextRunAt(sourceId: string): Date | undefined {
    return this.timers.get(sourceId)?.nextRun() ?? undefined;
  }

  async setPaused(paused: boolean): Promise<void> {
    await this.store.setPaused(paused);
    await this.reload();
    this.onEvent({ type: 'paused', paused });
    if (!paused && this.started) this.inBackground(this.catchUp());
  }

  /**
   * Runs, once each, the sources whose latest scheduled time has passed without a run. Nothing
   * while paused. Resolves when those runs have finished.
   */
  async catchUp(): Promise<RunRecord[]> {
    const file = await this.store.read();
    if (file.paused) return [];
    const now = this.now();
    const runs: Promise<RunRecord | undefined>[] = [];
    for (const source of file.sources) {
      if (!source.enabled) continue;
      const missed = missedRunAt(source, now);
      if (missed) runs.push(this.trigger(source.id, 'catch-up', missed));
    }
    return (await Promise.all(runs)).filter((r): r is RunRecord => r !== undefined);
  }

  /**
   * Runs a source now. When it is already running, no second run starts: this resolves with the
   * run in progress.
   */
  async runNow(sourceId: string): Promise<RunRecord> {
    const source = await this.store.source(sourceId);
    const run = await (this.active.get(sourceId)?.promise ?? this.begin(source, 'manual'));
    if (run) return run;
    const held = (await this.store.running()).find((c) => c.sourceId === sourceId);
    throw new ColdkeepError(
      'SourceLocked',
      `"${source.name}" is already being backed up${held ? ` (${heldText(held)})` : ''}.`,
      {
        hint: 'Wait for that run to finish; "coldkeep schedule history" shows it then.',
      },
    );
  }

  /**
   * Runs every source now (each at most once at a time); sources run side by side. A source that
   * another process is running is skipped (a `run-skipped` event), not run a second time.
   */
  async runAll(): Promise<RunRecord[]> {
    const sources = await this.store.sources();
    const runs = await Promise.all(sources.map((s) => this.active.get(s.id)?.promise ?? this.begin(s, 'manual')));
    return runs.filter((r): r is RunRecord => r !== undefined);
  }

  /** Cancels every run in progress and waits until they have stopped (their history says "cancelled"). */
  async cancelAll(): Promise<void> {
    for (const run of this.active.values()) run.controller.abort();
    await this.whenIdle();
  }

  /** Resolves once no run is in progress. */
  async whenIdle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active.values()].map((r) => r.promise));
  }

  /** A drill source's run: the drill runner of its kind. */
  private drill(source: Source, signal: AbortSignal, onProgress: (p: SourceProgress) => void): Promise<RunReport> {
    const runner = source.kind === 'table' ? this.runners.drillTable : this.runners.drillFolder;
    if (!runner) {
      throw new ColdkeepError('Unavailable', `"${source.name}" is a restore drill, which this app cannot run yet.`, {
        hint: 'Run it with "coldkeep schedule run", or update the app.',
      });
    }
    return (runner as SourceRunner)(source, { signal, onProgress });
  }

  /** Work nobody awaits reports its failure as an event instead of an unhandled rejection. */
  private inBackground(work: Promise<unknown>): void {
    work.catch((err: unknown) => this.onEvent({ type: 'error', error: runErrorOf(err) }));
  }

  private async trigger(sourceId: string, trigger: RunTrigger, scheduledFor: Date): Promise<RunRecord | undefined> {
    // One run per source at a time: a run still going covers this scheduled time too (the claim marks it).
    const active = this.active.get(sourceId);
    if (active) {
      await this.store.claimRun(sourceId, trigger, scheduledFor, this.now());
      return undefined;
    }
    const source = (await this.store.sources()).find((s) => s.id === sourceId);
    if (!source) return undefined; // removed since the timer was armed
    return this.begin(source, trigger, scheduledFor);
  }

  /** Claims the run (in the schedule folder, for every process), then runs it; undefined when refused. */
  private begin(source: Source, trigger: RunTrigger, scheduledFor?: Date): Promise<RunRecord | undefined> {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    const promise = (async () => {
      const claim = await this.store.claimRun(source.id, trigger, scheduledFor, this.now());
      if (!claim.claimed) {
        if (claim.reason === 'running') {
          this.onEvent({
            type: 'run-skipped',
            sourceId: source.id,
            sourceName: source.name,
            trigger,
            heldBy: claim.heldBy,
          });
        }
        return undefined;
      }
      return this.execute(claim.source, trigger, controller.signal, scheduledFor, claim.claim);
    })().finally(() => {
      this.active.delete(source.id);
    });
    this.active.set(source.id, { controller, promise });
    return promise;
  }

  private async execute(
    source: Source,
    trigger: RunTrigger,
    signal: AbortSignal,
    scheduledFor: Date | undefined,
    claim: RunClaim,
  ): Promise<RunRecord> {
    const started = this.now();
    this.onEvent({
      type: 'run-started',
      sourceId: source.id,
      sourceName: source.name,
      trigger,
      startedAt: started.toISOString(),
    });
    const onProgress = (progress: SourceProgress): void => this.onEvent({ type: 'progress', progress });
    let attempts = 0;
    // The run is recorded by runJob, the one writer of the history: its record ends the claim.
    const result = await runJob<RunReport, SourceProgress>(
      undefined,
      {
        what: source.drill ? `Restore drill (${source.name})` : `Backup of ${source.name}`,
        run: ({ signal, onProgress }) =>
          withRetry(
            (attempt) => {
              attempts = attempt + 1;
              return source.drill
                ? this.drill(source, signal, onProgress)
                : source.kind === 'table'
                  ? this.runners.table(source, { signal, onProgress })
                  : this.runners.folder(source, { signal, onProgress });
            },
            {
              signal,
              policy: this.retry,
              retryable: isWorthRetrying,
              onRetry: (err, attempt, delayMs) =>
                this.onEvent({ type: 'retrying', sourceId: source.id, attempt, delayMs, error: runErrorOf(err) }),
            },
          ),
        // A partial run is not retried: what it could not read needs the user first.
        summary: (report) => ({
          what: source.name,
          ok: true,
          headline: report.summary,
          facts: [],
          ...(report.status === 'partial' ? { incomplete: report.incomplete ?? 'not complete' } : {}),
        }),
      },
      {
        signal,
        onProgress,
        now: this.now,
        history: {
          store: this.store,
          source,
          trigger,
          ...(scheduledFor ? { scheduledFor } : {}),
          claimId: claim.claimId,
          attempts: () => attempts,
          // The history keeps the runner's own result as it was.
          result: (report) => report,
        },
      },
    );
    // The run itself is done; losing its history entry must not turn it into a failure.
    if (result.historyError !== undefined) this.onEvent({ type: 'error', error: runErrorOf(result.historyError) });
    const run = result.run!;
    this.onEvent({ type: 'run-finished', run });
    return run;
  }
}

/** "pid 4242 on build-01, started 2026-03-01T02:00:00.000Z". */
function heldText(claim: RunClaim): string {
  return `${ownerText(claim.owner)}, started ${claim.startedAt}`;
}
