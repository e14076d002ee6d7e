/**
 * Errors a user can meet. Each has a stable `code` (scripts and front ends key on it),
 * a plain `message` saying what failed, and a `hint` saying what to do about it.
 */
export type ErrorCode =
  | 'AccessDenied'
  | 'ArchivedObjects'
  | 'BackupIncomplete'
  | 'BackupLocked'
  | 'BackupNotFound'
  | 'Cancelled'
  | 'ChecksumMismatch'
  | 'ClockSkew'
  | 'CountMismatch'
  | 'DeleteFailed'
  | 'EmulatorFailed'
  | 'EncryptionUnavailable'
  | 'ExpiredCredentials'
  | 'ExportFailed'
  | 'ImportFailed'
  | 'InvalidInput'
  | 'LambdaBundleMissing'
  | 'ManifestInvalid'
  | 'MfaCodeRejected'
  | 'MissingCredentials'
  | 'NoMfaSerial'
  | 'NoSuchBucket'
  | 'NoSuchProfile'
  | 'NoSuchStack'
  | 'NoSuchSource'
  | 'NoSuchTable'
  | 'NoSuchTemplate'
  | 'NothingToResume'
  | 'NotifyFailed'
  | 'PitrDisabled'
  | 'PolicyInvalid'
  | 'RegionMismatch'
  | 'RestoreFailed'
  | 'RunInProgress'
  | 'SessionExpired'
  | 'StackBusy'
  | 'StackChanged'
  | 'StackFailed'
  | 'SnapshotDamaged'
  | 'SnapshotNotFound'
  | 'SourceLocked'
  | 'TableExists'
  | 'TemplateInvalid'
  | 'Throttled'
  | 'Unavailable'
  | 'Unexpected';

export interface ColdkeepErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Structured facts for --json output and reports (never secrets). */
  details?: Record<string, unknown>;
}

export class ColdkeepError extends Error {
  override readonly name: string = 'ColdkeepError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ColdkeepErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** A user's cancel. Its own type so that front ends never show it as a failure. */
export class CancelledError extends ColdkeepError {
  override readonly name = 'CancelledError';
  constructor(message = 'Cancelled.', options: ColdkeepErrorOptions = {}) {
    super('Cancelled', message, options);
  }
}

export function isCancelled(err: unknown): err is CancelledError {
  return err instanceof CancelledError || (err instanceof Error && err.name === 'AbortError');
}
