import { Command } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { SessionStatus } from '../../base/session/sessionCredentials';
import type { CliContext } from '../context';
import { formatDuration } from '../format';

/** "MFA session for profile p: IAM user alice in account 1234, until … (11h 59m left)." No secrets. */
export function describeStatus(status: SessionStatus): string {
  const left = status.expired ? 'expired' : `${formatDuration(status.remainingMs)} left`;
  return [
    `MFA session for profile ${status.profile}: ${status.identity}`,
    `  until ${status.expiresAt} (${left})`,
    `  ${status.mode === 'assume-role' ? `role ${status.roleArn}, ` : ''}MFA device ${status.mfaSerial}` +
      (status.source === 'aws-cli-cache' ? ', reused from the AWS CLI cache' : ''),
  ].join('\n');
}

export function sessionStartCommand(context: () => Promise<CliContext>): Command {
  return new Command('start')
    .description('start an MFA session for a profile with mfa_serial (GetSessionToken, or AssumeRole with role_arn)')
    .option(
      '--code <code>',
      'the 6-digit code your MFA device shows now (asked on the terminal when absent); a code always starts a new session',
    )
    .option('--renew', 'start a new session even if the cached one is still valid')
    .action(async (flags: { code?: string; renew?: boolean }) => {
      const ctx = await context();
      const { cliSession } = await import('./cliSession.js');
      const session = cliSession(ctx.settings);
      if (flags.code === undefined && !process.stdin.isTTY && !flags.renew) {
        // Without a terminal only a cached session can do; say how to give a code.
        const status = await session.status();
        if (!status || status.remainingMs < 5 * 60_000) {
          throw new ColdkeepError('InvalidInput', 'No MFA code given, and there is no terminal to ask for one.', {
            hint: `Pass --code with your device's current 6-digit code: coldkeep session start --profile ${session.profile} --code 123456`,
          });
        }
      }
      const status = await session.start({
        ...(flags.code !== undefined ? { code: flags.code } : {}),
        renew: flags.renew ?? false,
      });
      if (ctx.json) return ctx.out(JSON.stringify({ ok: true, session: status }, null, 2));
      ctx.out(describeStatus(status));
    });
}
