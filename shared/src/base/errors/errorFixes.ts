import type { ColdkeepError, ErrorCode } from './ColdkeepError';
import type { SettingName } from './settingHint';

/**
 * What a user can do about an error, as actions a front end offers beside it (a button, a menu
 * entry), chosen from the error's code and the settings its hint names. Front ends render them.
 */
export type ErrorFix =
  /** Pick or set up the AWS profile (and region). */
  | { kind: 'configureProfile' }
  /** Open one setting (a `{setting:…}` token of the hint). */
  | { kind: 'openSetting'; setting: SettingName }
  /** Try it on local emulators instead. */
  | { kind: 'startDemo' }
  /** Enter an MFA code for a new session. */
  | { kind: 'startSession' }
  /** Create a backup bucket (the backup-bucket stack). */
  | { kind: 'deployBucket' };

/** Codes where the credentials are the problem: a profile fixes them, the demo goes without. */
const CREDENTIALS: ErrorCode[] = ['MissingCredentials', 'NoSuchProfile', 'AccessDenied'];
const SESSION: ErrorCode[] = ['ExpiredCredentials', 'SessionExpired', 'SessionTooShort', 'MfaCodeRejected'];

/** The fixes of an error, most useful first, each once; none for an error the user cannot act on. */
export function errorFixes(err: Pick<ColdkeepError, 'code' | 'settings'>): ErrorFix[] {
  const fixes: ErrorFix[] = [];
  const add = (fix: ErrorFix): void => {
    if (!fixes.some((f) => JSON.stringify(f) === JSON.stringify(fix))) fixes.push(fix);
  };
  if (SESSION.includes(err.code)) add({ kind: 'startSession' });
  if (CREDENTIALS.includes(err.code)) add({ kind: 'configureProfile' });
  for (const setting of err.settings) {
    // The profile is set through its picker (it knows the profiles of the AWS files).
    if (setting === 'profile') add({ kind: 'configureProfile' });
    else add({ kind: 'openSetting', setting });
  }
  if (err.code === 'NoSuchBucket' || err.settings.includes('bucket')) add({ kind: 'deployBucket' });
  if (['MissingCredentials', 'NoSuchProfile', 'EndpointUnreachable'].includes(err.code)) add({ kind: 'startDemo' });
  return fixes;
}
