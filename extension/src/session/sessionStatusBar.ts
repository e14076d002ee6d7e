import type { SessionStatus } from '@coldkeep/shared';

/** The status-bar text and tooltip for a session (or none). Pure, for the unit tests. */
export function sessionLabel(
  status: SessionStatus | undefined,
  profile: string,
  now: Date = new Date(),
): { text: string; tooltip: string; expired: boolean } {
  if (!status) {
    return {
      text: `$(key) ${profile}: no MFA session`,
      tooltip: `Profile "${profile}" needs an MFA code. Click to start a session.`,
      expired: true,
    };
  }
  const until = new Date(status.expiresAt);
  const expired = status.expired || until.getTime() <= now.getTime();
  const time = until.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return expired
    ? {
        text: `$(warning) ${profile}: MFA session ended`,
        tooltip: `The MFA session of "${profile}" ended at ${until.toLocaleString()}. Click to enter a new code.`,
        expired,
      }
    : {
        text: `$(shield) ${profile} until ${time}`,
        tooltip: `Signed in with MFA as ${status.identity ?? profile} until ${until.toLocaleString()}. Click to renew.`,
        expired,
      };
}
