import { isCancelled } from '../errors/ColdkeepError';

/**
 * How a job ended. `partial`: it finished (a backup exists), but something the user asked to
 * protect is not in it. Front ends show `succeeded` as a success and nothing else: `partial` is
 * a warning, `failed` an error, `cancelled` the user's own doing.
 */
export type JobStatus = 'succeeded' | 'partial' | 'failed' | 'cancelled';

/**
 * Why a path is not in a backup:
 * - `unreadable`: the user asked for it and it could not be read (permissions, I/O): the job is partial;
 * - `vanished`: deleted while the backup ran: nothing lost;
 * - `special`: sockets, pipes, devices: never backed up;
 * - `over-size-limit`: larger than the size limit the user set.
 */
export type LeftOutKind = 'unreadable' | 'vanished' | 'special' | 'over-size-limit';

export interface LeftOut {
  /** The path, relative to what was backed up. */
  path: string;
  kind: LeftOutKind;
  /** A folder (and all under it) or a single file. */
  entry?: 'file' | 'folder';
  /** What happened, in plain words, e.g. "cannot be read by user nobody (uid 65534): permission denied (EACCES)". */
  reason: string;
  /** What the user can do about it ("Nothing to do" when it is fine). */
  whatToDo?: string;
}

/** The kinds that make a job partial: what was asked for and is missing. */
export function isMissing(kind: LeftOutKind | undefined): boolean {
  // An old report without a kind: it was skipped, so count it as missing.
  return kind === undefined || kind === 'unreadable';
}

/** A finished job's outcome: decided here once, shown by every front end. */
export interface JobOutcome {
  status: 'succeeded' | 'partial';
  /** What the user asked to protect and is not in the backup; non-empty exactly when partial. */
  missing: LeftOut[];
  /** Left out and fine (vanished, special files, over the size limit): said, but not a problem. */
  notes: LeftOut[];
  /** Stored, with a caveat the user should know (e.g. a file that changed while it was read). */
  warnings: string[];
  /** One line for a subject or a notification when partial, e.g. "2 files not backed up". */
  headline?: string;
}

/** What a finished job's report tells about its outcome (a folder backup's report has these fields). */
export interface OutcomeFacts {
  skipped?: readonly {
    path: string;
    reason: string;
    kind?: LeftOutKind;
    entry?: 'file' | 'folder';
    whatToDo?: string;
  }[];
  changedWhileReading?: readonly string[];
}

/** The outcome of a job that finished, from its report. */
export function jobOutcome(report: OutcomeFacts): JobOutcome {
  const missing: LeftOut[] = [];
  const notes: LeftOut[] = [];
  for (const s of report.skipped ?? []) {
    const item: LeftOut = {
      path: s.path,
      kind: s.kind ?? 'unreadable',
      ...(s.entry ? { entry: s.entry } : {}),
      reason: s.reason,
      ...(s.whatToDo ? { whatToDo: s.whatToDo } : {}),
    };
    (isMissing(s.kind) ? missing : notes).push(item);
  }
  const warnings = (report.changedWhileReading ?? []).map(
    (path) =>
      `${path} changed while it was read: stored as last read (it may mix old and new writes); ` +
      'the next backup reads it again.',
  );
  return {
    status: missing.length ? 'partial' : 'succeeded',
    missing,
    notes,
    warnings,
    ...(missing.length ? { headline: missingHeadline(missing) } : {}),
  };
}

const counted = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** "2 files not backed up", "1 folder and 3 files not backed up". */
function missingHeadline(missing: LeftOut[]): string {
  const folders = missing.filter((m) => m.entry === 'folder').length;
  const files = missing.length - folders;
  const parts = [...(folders ? [counted(folders, 'folder')] : []), ...(files ? [counted(files, 'file')] : [])];
  return `${parts.join(' and ')} not backed up`;
}

/** The status of a job that threw. */
export function statusOfError(err: unknown, signal?: AbortSignal): 'failed' | 'cancelled' {
  return isCancelled(err) || signal?.aborted ? 'cancelled' : 'failed';
}

/** How a front end shows a status: only success is shown as one. */
export function statusLevel(status: JobStatus): 'success' | 'warning' | 'error' | 'neutral' {
  return status === 'succeeded'
    ? 'success'
    : status === 'partial'
      ? 'warning'
      : status === 'failed'
        ? 'error'
        : 'neutral';
}

/** The status as a word for a line of text or a subject: "succeeded", "INCOMPLETE", "FAILED", "cancelled". */
export function statusWord(status: JobStatus): string {
  return { succeeded: 'succeeded', partial: 'INCOMPLETE', failed: 'FAILED', cancelled: 'cancelled' }[status];
}

/**
 * The outcome as lines of text (the CLI, the VS Code output, an email): each path not backed up
 * with why and what to do, then the notes and the warnings; at most `limit` of each.
 */
export function outcomeLines(outcome: JobOutcome, limit = 20): string[] {
  const lines: string[] = [];
  const list = (label: string, items: LeftOut[]): void => {
    for (const m of items.slice(0, limit)) {
      lines.push(`${label}${m.path}${m.entry === 'folder' ? '/' : ''} — ${m.reason}`);
      if (m.whatToDo) lines.push(`  What to do: ${m.whatToDo}`);
    }
    if (items.length > limit) lines.push(`${label}… and ${items.length - limit} more (see --json)`);
  };
  if (outcome.headline) lines.push(`INCOMPLETE: ${outcome.headline}:`);
  list('Not backed up: ', outcome.missing);
  list('Note: ', outcome.notes);
  for (const w of outcome.warnings.slice(0, limit)) lines.push(`Warning: ${w}`);
  if (outcome.warnings.length > limit) lines.push(`Warning: … and ${outcome.warnings.length - limit} more`);
  return lines;
}
