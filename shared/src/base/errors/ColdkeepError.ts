import { neutralSettingWords, renderHint, type SettingName, settingsIn, type SettingWords } from './settingHint';

/**
 * Errors a user can meet. Each has a stable `code` (scripts and front ends key on it),
 * a plain `message` saying what failed, and a `hint` saying what to do about it.
 */
export type ErrorCode =
  | 'AccessDenied'
  | 'ArchivedObjects'
  | 'BackupDamaged'
  | 'BackupIncomplete'
  | 'BackupDamaged'
  | 'BackupLocked'
  | 'BackupNotFound'
  | 'Cancelled'
  | 'ChecksumMismatch'
  | 'ClockSkew'
  | 'CountMismatch'
  | 'DataFileMissing'
  | 'DeleteFailed'
  | 'DrillFailed'
  | 'EmulatorFailed'
  | 'EncryptionUnavailable'
  | 'EndpointUnreachable'
  | 'ExpiredCredentials'
  | 'ExportFailed'
  | 'FlagOutOfRange'
  | 'ImportFailed'
  | 'InvalidBucketName'
  | 'InvalidInput'
  | 'KeyRequired'
  | 'LastKeyWrap'
  | 'ItemsExist'
  | 'ItemsNotRestored'
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
  | 'SessionTooShort'
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
  | 'UnexpectedResponse'
  | 'WrongKey'
  | 'Unexpected';

export interface ColdkeepErrorOptions {
  /** What to do; names settings as `{setting:region}` tokens (see settingHint.ts), never as CLI flags. */
  hint?: string;
  cause?: unknown;
  /** Structured facts for --json output and reports (never secrets). */
  details?: Record<string, unknown>;
}

export class ColdkeepError extends Error {
  override readonly name: string = 'ColdkeepError';
  readonly code: ErrorCode;
  /** The hint in plain words ("the region setting"); front ends use `hintIn(theirWords)`. */
  readonly hint: string | undefined;
  /** The hint as written, with its `{setting:…}` tokens. */
  readonly hintTemplate: string | undefined;
  /** The settings the hint names, for front ends and --json. */
  readonly settings: SettingName[];
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ColdkeepErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hintTemplate = options.hint;
    this.hint = renderHint(options.hint, neutralSettingWords);
    this.settings = settingsIn(options.hint);
    this.details = options.details;
  }

  /** The hint in one front end's words. */
  hintIn(words: SettingWords): string | undefined {
    return renderHint(this.hintTemplate, words);
  }

  toJSON(words: SettingWords = neutralSettingWords): {
    code: ErrorCode;
    message: string;
    hint?: string;
    settings?: SettingName[];
    details?: Record<string, unknown>;
  } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hintIn(words) } : {}),
      ...(this.settings.length ? { settings: this.settings } : {}),
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
