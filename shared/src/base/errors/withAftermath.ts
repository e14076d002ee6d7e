import { CancelledError, ColdkeepError, type ErrorCode, isCancelled } from './ColdkeepError';

export interface Aftermath {
  /** The job, as the start of a sentence: "Backup of Orders", "Restore into Orders-copy". */
  job: string;
  /** What the failed job left behind, in a sentence or two. */
  summary: string;
  details: Record<string, unknown>;
  /** Code and hint for failures that are not ColdkeepErrors already. */
  fallbackCode: ErrorCode;
  fallbackHint: string;
}

/**
 * The error a failed or cancelled job throws: its cause (code and hint kept) followed by what
 * the job left behind, so the user learns both what went wrong and what state things are in.
 */
export function withAftermath(cause: unknown, aftermath: Aftermath): ColdkeepError {
  const { job, summary, details } = aftermath;
  if (isCancelled(cause)) return new CancelledError(`${job} cancelled. ${summary}`, { details, cause });
  if (cause instanceof ColdkeepError) {
    return new ColdkeepError(cause.code, `${cause.message} ${summary}`, {
      hint: cause.hintTemplate,
      details: { ...cause.details, ...details },
      cause,
    });
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return new ColdkeepError(aftermath.fallbackCode, `${job} failed: ${message}. ${summary}`, {
    hint: aftermath.fallbackHint,
    details,
    cause,
  });
}
