import { ColdkeepError } from '../errors/ColdkeepError';

/**
 * Checks an MFA code before anything is sent to AWS: a typo should cost nothing, and a
 * malformed code sent to STS still counts against the device's attempt limit.
 * Returns the code without surrounding spaces.
 */
export function checkMfaCode(code: string): string {
  const trimmed = code.trim();
  if (!/^\d{6}$/.test(trimmed)) {
    throw new ColdkeepError('InvalidInput', 'An MFA code is 6 digits.', {
      hint: 'Type the 6-digit code your authenticator app or device shows now (no spaces or letters).',
    });
  }
  return trimmed;
}
