import { isCancelled } from '../base/errors/ColdkeepError';
import type { JobOptions } from '../base/jobs/job';
import { type JobStatus, statusOfError } from '../base/jobs/jobOutcome';
import type { Connection, SessionCheck } from './connection';
import type { LinkedArtefact } from './notify/emailMessage';
import { failureSummary, type JobSummary } from './notify/jobSummary';
import type { NotificationReport } from './notify/notifyJob';
import type { NotifySettings } from './notify/notifySettings';
import { runErrorOf, type RunRecord, type RunReport, type RunTrigger, type ScheduleStore } from './schedule/runHistory';
import type { Source } from './schedule/sources';

/** One job as every front end runs it: what it is, how long it takes, the work, and what its report says. */
export interface JobSpec<Report, Progress> {
  /** What ran, e.g. "Backup of table studentData": the email's and the history's name for it. */
  what: string;
  /** How long the job is expected to take; asked only when the connection runs on an MFA session. */
  estimateMs?: (signal: AbortSignal) => Promise<number | undefined> | number | undefined;
  run: (options: Required<JobOptions<Progress>>) => Promise<Report>;
  /** What a notification (and a front end) says about the report; `incomplete` makes the job partial. */
  summary: (report: Report) => JobSummary;
  /** What the success email links to, if anything. */
  artefact?: (report: NoInfer<Report>) => LinkedArtefact | (() => Promise<LinkedArtefact>) | undefined;
}

export interface RunJobOptions<Progress, Report = unknown> extends JobOptions<Progress> {
  /** Email the result: success, partial and failure alike (a cancel sends nothing). */
  notify?: NotifySettings;
  /**
   * Told when the MFA session will not last the job (nobody could be asked, or even the new one
   * ends first), before the job starts. A front end warns here, or throws to refuse the job.
   */
  onSession?: (check: SessionCheck) => void | Promise<void>;
  /** Record the run in a schedule folder's history (by default as the source's manual run). */
  history?: RunHistoryOptions<NoInfer<Report>>;
  now?: () => Date;
}

/** How a run goes into a schedule folder's history: the one place a RunRecord is made and written. */
export interface RunHistoryOptions<Report> {
  store: ScheduleStore;
  source: Pick<Source, 'id' | 'name' | 'kind' | 'drill'>;
  restorePoint?: string;
  /** How the run came about (default `manual`), and for a scheduled one the time it stands for. */
  trigger?: RunTrigger;
  scheduledFor?: Date;
  /** The run's claim (ScheduleStore.claimRun): the record then ends it, in the same locked section. */
  claimId?: string;
  /** Tries in all, when the job retried (default 1). */
  attempts?: () => number;
  /** What the history keeps of the report (default: the summary's headline, the restore point and the report). */
  result?: (report: Report) => RunReport;
}

interface Finished {
  summary: JobSummary;
  notification?: NotificationReport;
  /** The session check, when the connection runs on an MFA session. */
  session?: SessionCheck;
  /** The history entry, when one was asked for. */
  run?: RunRecord;
  /** Why the entry could not be written (the job's outcome stands all the same). */
  historyError?: unknown;
  durationMs: number;
}

/** How a job ended, with everything a front end shows about it. */
export type JobResult<Report> =
  | (Finished & { status: Extract<JobStatus, 'succeeded' | 'partial'>; report: Report })
  | (Finished & { status: Extract<JobStatus, 'failed' | 'cancelled'>; error: unknown });

/**
 * Runs a job the one way every front end does: checks that the MFA session outlives it (asking
 * for a code up front rather than partway through), runs it with `{ signal, onProgress }`, emails
 * the result when asked (a job's outcome never depends on its email), records it in the history
 * when asked, and returns the summary. Never throws for the job's own failure: the result says it.
 * Without a connection (the scheduler, whose runners reach AWS through their target and check
 * the session there) there is no session check and no email.
 */
export async function runJob<Report, Progress>(
  connection: Connection | undefined,
  spec: JobSpec<Report, Progress>,
  options: RunJobOptions<Progress, Report> = {},
): Promise<JobResult<Report>> {
  const now = options.now ?? (() => new Date());
  const signal = options.signal ?? new AbortController().signal;
  const started = now();
  let session: SessionCheck | undefined;
  let outcome: { status: 'succeeded' | 'partial'; report: Report } | { status: 'failed' | 'cancelled'; error: unknown };
  let summary: JobSummary;
  try {
    session = connection && spec.estimateMs ? await checkSession(connection, spec.estimateMs, signal) : undefined;
    if (session && !session.outlives) await options.onSession?.(session);
    const report = await spec.run({ signal, onProgress: (p) => options.onProgress?.(p) });
    summary = spec.summary(report);
    outcome = { status: summary.incomplete ? 'partial' : 'succeeded', report };
  } catch (err) {
    outcome = { status: statusOfError(err, signal), error: err };
    summary = failureSummary(spec.what, err, now().getTime() - started.getTime());
  }
  const finished = now();
  const durationMs = finished.getTime() - started.getTime();
  const notification =
    connection &&
    options.notify &&
    outcome.status !== 'cancelled' &&
    !isCancelled('error' in outcome ? outcome.error : undefined)
      ? await email(
          connection,
          options.notify,
          summary,
          'report' in outcome ? spec.artefact?.(outcome.report) : undefined,
        )
      : undefined;
  const recorded = options.history ? await record(options.history, outcome, summary, started, finished) : undefined;
  return {
    ...outcome,
    summary,
    durationMs,
    ...(notification ? { notification } : {}),
    ...(session ? { session } : {}),
    ...(recorded ?? {}),
  };
}

/** The report of a job that ended succeeded or partial; else its error, thrown (a front end's catch shows it). */
export function reportOf<Report>(result: JobResult<Report>): Report {
  if ('error' in result) throw result.error;
  return result.report;
}

/**
 * On an MFA session: whether it outlives a job of `estimateMs` (asking for a new code first when a
 * prompt can). The estimate is asked only then. Undefined without an MFA session.
 */
export async function checkSession(
  connection: Connection,
  estimateMs: (signal: AbortSignal) => Promise<number | undefined> | number | undefined,
  signal: AbortSignal | undefined,
): Promise<SessionCheck | undefined> {
  if (!(await connection.session())) return undefined;
  const own = signal ?? new AbortController().signal;
  const estimate = await estimateMs(own);
  return estimate === undefined ? undefined : connection.ensureSessionOutlives(estimate, own);
}

async function email(
  connection: Connection,
  settings: NotifySettings,
  summary: JobSummary,
  artefact: LinkedArtefact | (() => Promise<LinkedArtefact>) | undefined,
): Promise<NotificationReport> {
  // SES and the pre-signer load only when there is an email to send.
  const { notifyJob } = await import('./notify/notifyJob.js');
  return notifyJob(connection.clients, settings, summary, artefact);
}

async function record<Report>(
  history: RunHistoryOptions<Report>,
  outcome: { status: 'succeeded' | 'partial'; report: Report } | { status: 'failed' | 'cancelled'; error: unknown },
  summary: JobSummary,
  started: Date,
  finished: Date,
): Promise<{ run: RunRecord; historyError?: unknown }> {
  const { source } = history;
  const result = (report: Report): RunReport =>
    history.result?.(report) ?? {
      summary: summary.headline,
      status: outcome.status as 'succeeded' | 'partial',
      ...(summary.incomplete ? { incomplete: summary.incomplete } : {}),
      ...(history.restorePoint ? { restorePoint: history.restorePoint } : {}),
      report: { ...(report as Record<string, unknown>) },
    };
  const run: RunRecord = {
    runId: `${started.toISOString().replace(/[-:.]/g, '')}-${source.id}`,
    sourceId: source.id,
    sourceName: source.name,
    kind: source.kind,
    ...(source.drill ? { drill: true } : {}),
    trigger: history.trigger ?? 'manual',
    ...(history.scheduledFor ? { scheduledFor: history.scheduledFor.toISOString() } : {}),
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    attempts: Math.max(1, history.attempts?.() ?? 1),
    status: outcome.status,
    ...('report' in outcome ? { result: result(outcome.report) } : { error: runErrorOf(outcome.error) }),
  };
  // The job is done; losing its history entry must not change its outcome.
  try {
    await (history.claimId ? history.store.finishRun(history.claimId, run) : history.store.appendRun(run));
    return { run };
  } catch (err) {
    return { run, historyError: err };
  }
}
