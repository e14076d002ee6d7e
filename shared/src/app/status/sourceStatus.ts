import { join } from 'node:path';
import { Cron } from 'croner';
import type { JobStatus } from '../../base/jobs/jobOutcome';
import { durationText } from '../notify/figures';
import { ageText } from './ageText';
import {
  type DrillRecord,
  DrillRecords,
  type DrillStatus,
  drillSourceKey,
  drillStatusText,
} from '../schedule/drillRecords';
import type { RunRecord, ScheduleStore } from '../schedule/runHistory';
import type { Source, SourceKind } from '../schedule/sources';

// "Is everything protected?", answered once for every front end: per source (a table or a folder),
// from its schedule, its run history, its drill records and (when a front end read it) the bucket's
// catalog. The CLI's lists, the VS Code views, the desktop page and the tray all show this.

/** protected: backed up on time and a restore proven; attention: something to look at; failing: it does not work. */
export type SourceState = 'protected' | 'attention' | 'failing';

/** One reason a source is not protected, in the user's words ("never verified", "overdue by 2 days"). */
export interface StatusReason {
  level: Exclude<SourceState, 'protected'>;
  /** What it is about, for a front end that marks some reasons only (a list need not mark every "never verified"). */
  code: StatusReasonCode;
  text: string;
}

export type StatusReasonCode =
  | 'backup-failed'
  | 'backup-partial'
  | 'backup-cancelled'
  | 'overdue'
  | 'no-backup'
  | 'drill-failed'
  | 'drill-partial'
  | 'drill-cancelled'
  | 'never-verified';

/**
 * How late a scheduled backup may finish before it counts as overdue: a run's retries (4 tries,
 * up to 10 min apart) and a long backup's own time, without calling every night's run overdue.
 */
export const OVERDUE_GRACE_MS = 60 * 60 * 1000;

export interface SourceStatusInput {
  kind: SourceKind;
  /** The table's name or the folder's path. */
  name: string;
  /** Its backup source in the schedule (not its drill source), if it has one. */
  schedule?: Source;
  /** The schedules are paused: nothing runs next, yet a backup missed is still missing (overdue). */
  paused?: boolean;
  /** The source's finished backup runs (drill runs are left out), in any order. */
  runs: readonly RunRecord[];
  /** Its restore drills (drills.json; {} when never drilled). */
  drill: DrillStatus;
  /**
   * The latest complete backup in the bucket, when the front end read the catalog: its time, or
   * null when there is none. Undefined: the catalog was not read.
   */
  latestBackupAt?: string | null;
  now: Date;
  graceMs?: number;
}

export interface SourceStatus {
  /** "table:<name>" or "folder:<path>", as in the drill records. */
  key: string;
  kind: SourceKind;
  name: string;
  state: SourceState;
  /** Worst first; empty when protected. */
  reasons: StatusReason[];
  /** The first reason's words, or "protected". */
  headline: string;
  /** The last backup that succeeded (a run, or the catalog's latest backup). */
  lastGoodBackupAt?: string;
  /** The last backup run and how it ended. */
  lastRun?: { status: JobStatus; at: string; summary: string };
  /** When the schedule expected a backup that has not come, and by how much it is late. */
  overdue?: { dueAt: string; byMs: number };
  /** When its schedule runs next (enabled and not paused). */
  nextRunAt?: string;
  /** The last drill that succeeded: the last verified restore, with its measured restore time. */
  lastVerified?: { at: string; restoreMs?: number; restorePoint?: string };
  /** The last drill, passed or not. */
  lastDrill?: { status: JobStatus; at: string; summary: string; restoreMs?: number };
  /** One line about its drills, for a list: "never verified", "verified 2026-12-07 19:20Z, restore 1.2 s", "drill FAILED …". */
  verifiedText: string;
  /** The last drill did not succeed (failed, partial, cancelled): shown red in a list. */
  drillProblem: boolean;
}

/** The state of one source from what is known of it. Pure: the front ends and tests hand in the records. */
export function sourceStatus(input: SourceStatusInput): SourceStatus {
  const { schedule, drill, now } = input;
  const runs = [...input.runs].filter((r) => !r.drill).sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  const lastRun = runs.at(-1);
  const latestOf = (...times: (string | undefined | null)[]): string | undefined =>
    times
      .filter((t): t is string => !!t)
      .sort((a, b) => Date.parse(a) - Date.parse(b))
      .at(-1);
  const lastGoodBackupAt = latestOf(
    runs.filter((r) => r.status === 'succeeded').at(-1)?.finishedAt,
    input.latestBackupAt,
  );
  // A partial run did run: it is late only if nothing finished since the schedule's time.
  const lastFinishedAt = latestOf(lastGoodBackupAt, runs.filter((r) => r.status === 'partial').at(-1)?.finishedAt);
  const reasons: StatusReason[] = [];
  const failing = (code: StatusReasonCode, text: string): void => void reasons.push({ level: 'failing', code, text });
  const attention = (code: StatusReasonCode, text: string): void =>
    void reasons.push({ level: 'attention', code, text });

  if (lastRun?.status === 'failed')
    failing('backup-failed', `last backup failed${lastRun.error ? ` (${lastRun.error.code})` : ''}`);
  if (drill.last?.status === 'failed') failing('drill-failed', 'last drill failed');
  const overdue = schedule ? overdueOf(schedule, lastFinishedAt, now, input.graceMs ?? OVERDUE_GRACE_MS) : undefined;
  if (overdue) attention('overdue', `overdue by ${ageText(overdue.byMs)}`);
  if (lastRun?.status === 'partial') attention('backup-partial', 'last backup partial');
  if (lastRun?.status === 'cancelled') attention('backup-cancelled', 'last backup cancelled');
  // "No backup" is said only when it is known: the catalog was read, or the schedule kept every run.
  if (!lastGoodBackupAt && !lastFinishedAt && (input.latestBackupAt === null || schedule))
    attention('no-backup', 'no backup yet');
  if (drill.last?.status === 'partial') attention('drill-partial', 'last drill partial');
  if (!drill.lastVerified) attention('never-verified', 'never verified');
  else if (drill.last?.status === 'cancelled') attention('drill-cancelled', 'last drill cancelled');

  const state: SourceState = reasons.some((r) => r.level === 'failing')
    ? 'failing'
    : reasons.length
      ? 'attention'
      : 'protected';
  reasons.sort((a, b) => (a.level === b.level ? 0 : a.level === 'failing' ? -1 : 1));
  const next = schedule?.enabled && !input.paused ? nextRun(schedule, now) : undefined;
  return {
    key: drillSourceKey(input.kind, input.name),
    kind: input.kind,
    name: input.name,
    state,
    reasons,
    headline: reasons[0]?.text ?? 'protected',
    ...(lastGoodBackupAt ? { lastGoodBackupAt } : {}),
    ...(lastRun
      ? { lastRun: { status: lastRun.status, at: lastRun.finishedAt, summary: runSummaryText(lastRun) } }
      : {}),
    ...(overdue ? { overdue } : {}),
    ...(next ? { nextRunAt: next } : {}),
    ...(drill.lastVerified ? { lastVerified: verifiedOf(drill.lastVerified) } : {}),
    ...(drill.last ? { lastDrill: drillOf(drill.last) } : {}),
    verifiedText: drillStatusText(drill, durationText),
    drillProblem: !!drill.last && drill.last.status !== 'succeeded',
  };
}

/** What a front end knows of a source beyond the schedule folder: a table it lists, the catalog's latest backup. */
export interface StatusSubject {
  kind: SourceKind;
  name: string;
  /** As in SourceStatusInput: a time, null (catalog read, no backup) or undefined (not read). */
  latestBackupAt?: string | null;
}

export interface ReadStatusOptions {
  /** Sources to report beyond the schedule's (e.g. every table of the Tables view), or their catalog facts. */
  subjects?: readonly StatusSubject[];
  /** The drill records (default: drills.json in the schedule folder). */
  drills?: DrillRecords;
  now?: Date;
  graceMs?: number;
}

/**
 * The status of every source of a schedule folder (a table or folder once, whatever its backup and
 * drill sources), then of each subject not in it, in that order. Reads sources.json, history.json
 * and drills.json.
 */
export async function readSourceStatuses(
  store: ScheduleStore,
  options: ReadStatusOptions = {},
): Promise<SourceStatus[]> {
  const drills = options.drills ?? new DrillRecords(join(store.dir, 'drills.json'));
  const [file, history, drillStatus] = await Promise.all([store.read(), store.history(), drills.all()]);
  const now = options.now ?? new Date();
  const entries = new Map<
    string,
    {
      kind: SourceKind;
      name: string;
      schedule?: Source;
      ids: Set<string>;
      /** A folder's snapshot sources: folder drills are recorded under them (the backup source's id names its snapshots). */
      snapshotSources: Set<string>;
      latestBackupAt?: string | null;
    }
  >();
  const entry = (kind: SourceKind, name: string) => {
    const key = drillSourceKey(kind, name);
    let found = entries.get(key);
    if (!found) entries.set(key, (found = { kind, name, ids: new Set(), snapshotSources: new Set() }));
    return found;
  };
  for (const source of file.sources) {
    const e = entry(source.kind, source.kind === 'table' ? source.table : source.dir);
    if (source.kind === 'folder') {
      const snapshots = source.drill ? source.snapshotSource : source.id;
      if (snapshots) e.snapshotSources.add(snapshots);
    }
    if (source.drill) continue;
    e.ids.add(source.id);
    e.schedule ??= source;
  }
  for (const subject of options.subjects ?? []) {
    const e = entry(subject.kind, subject.name);
    if (subject.latestBackupAt !== undefined) e.latestBackupAt = subject.latestBackupAt;
  }
  return [...entries.entries()].map(([key, e]) =>
    sourceStatus({
      kind: e.kind,
      name: e.name,
      ...(e.schedule ? { schedule: e.schedule } : {}),
      paused: file.paused,
      runs: history.filter((r) => e.ids.has(r.sourceId)),
      drill:
        drillStatus[key] ?? latestDrill([...e.snapshotSources].map((n) => drillStatus[drillSourceKey('folder', n)])),
      ...(e.latestBackupAt !== undefined ? { latestBackupAt: e.latestBackupAt } : {}),
      now,
      ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    }),
  );
}

/** Of several sources' drill records (a folder's snapshot sources), the one drilled last; {} for none. */
function latestDrill(statuses: (DrillStatus | undefined)[]): DrillStatus {
  return (
    statuses
      .filter((d): d is DrillStatus => !!d?.last)
      .sort((a, b) => a.last!.at.localeCompare(b.last!.at))
      .at(-1) ?? {}
  );
}

/** The status key of a schedule source: its table or folder (a backup source and its drill source share it). */
export function statusKeyOf(source: Source): string {
  return drillSourceKey(source.kind, source.kind === 'table' ? source.table : source.dir);
}

/** The worst state of many sources ("is everything protected?"); protected when there are none. */
export function overallState(statuses: readonly Pick<SourceStatus, 'state'>[]): SourceState {
  if (statuses.some((s) => s.state === 'failing')) return 'failing';
  if (statuses.some((s) => s.state === 'attention')) return 'attention';
  return 'protected';
}

/** "needs attention" and the like: a state in words. */
export function stateText(state: SourceState): string {
  return state === 'attention' ? 'needs attention' : state;
}

/** The state and every reason, for a list: "needs attention: overdue by 2 days, never verified", or "protected". */
export function statusText(status: Pick<SourceStatus, 'state' | 'reasons'>): string {
  return stateText(status.state) + (status.reasons.length ? `: ${status.reasons.map((r) => r.text).join(', ')}` : '');
}

/**
 * Overdue: the first scheduled time after the last finished backup (or after the source was added)
 * has passed by more than the grace. A disabled source expects nothing.
 */
function overdueOf(
  schedule: Source,
  lastFinishedAt: string | undefined,
  now: Date,
  graceMs: number,
): { dueAt: string; byMs: number } | undefined {
  if (!schedule.enabled) return undefined;
  const cron = new Cron(schedule.cron, { paused: true, mode: '5-or-6-parts' });
  const due = cron.nextRun(new Date(lastFinishedAt ?? schedule.createdAt));
  cron.stop();
  if (!due) return undefined;
  const byMs = now.getTime() - due.getTime();
  return byMs > graceMs ? { dueAt: due.toISOString(), byMs } : undefined;
}

function nextRun(schedule: Source, now: Date): string | undefined {
  const cron = new Cron(schedule.cron, { paused: true, mode: '5-or-6-parts' });
  const next = cron.nextRun(now);
  cron.stop();
  return next?.toISOString();
}

function runSummaryText(run: RunRecord): string {
  if (run.status === 'failed' || run.status === 'cancelled') return run.error?.message ?? run.status;
  return run.result?.incomplete ?? run.result?.summary ?? run.status;
}

function verifiedOf(record: DrillRecord): NonNullable<SourceStatus['lastVerified']> {
  return {
    at: record.at,
    ...(record.restoreMs !== undefined ? { restoreMs: record.restoreMs } : {}),
    ...(record.restorePoint ? { restorePoint: record.restorePoint } : {}),
  };
}

function drillOf(record: DrillRecord): NonNullable<SourceStatus['lastDrill']> {
  return {
    status: record.status,
    at: record.at,
    summary: record.summary,
    ...(record.restoreMs !== undefined ? { restoreMs: record.restoreMs } : {}),
  };
}
