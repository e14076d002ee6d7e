import { Command } from 'commander';
import type { CliContext } from '../context';
import { describeStatus } from './sessionStart';

export function sessionStatusCommand(context: () => Promise<CliContext>): Command {
  return new Command('status')
    .description('show the cached MFA session of a profile: who, until when (never the credentials)')
    .action(async () => {
      const ctx = await context();
      const { cliSession } = await import('./cliSession.js');
      const session = cliSession(ctx.settings);
      const status = await session.status();
      if (ctx.json)
        return ctx.out(
          JSON.stringify({ ok: true, active: !!status && !status.expired, session: status ?? null }, null, 2),
        );
      ctx.out(
        status
          ? describeStatus(status)
          : `No MFA session for profile ${session.profile}. Start one with: coldkeep session start --profile ${session.profile}`,
      );
    });
}
