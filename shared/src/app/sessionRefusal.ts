import { ColdkeepError } from '../base/errors/ColdkeepError';
import type { SessionCheck } from './connection';
import { durationText } from './notify/figures';

/**
 * The error for a job its MFA session would not outlive, refused before it starts rather than
 * cut off partway: what a front end that cannot ask for a code mid-job (the desktop app, a
 * scheduled run) throws from runJob's `onSession`. `hint` says, in the front end's terms, how to
 * start a longer session. Not retried: another try finds the same session.
 */
export function sessionTooShortError(check: SessionCheck, hint: string): ColdkeepError {
  return new ColdkeepError(
    'SessionTooShort',
    `The MFA session of "${check.status.profile}" ends at ${check.status.expiresAt}, before this job is expected to finish (about ${durationText(check.estimateMs)}).`,
    { hint, details: { expiresAt: check.status.expiresAt, estimateMs: check.estimateMs } },
  );
}

/** An `onSession` that refuses the job with `sessionTooShortError`. */
export function refuseShortSession(hint: string): (check: SessionCheck) => never {
  return (check) => {
    throw sessionTooShortError(check, hint);
  };
}
