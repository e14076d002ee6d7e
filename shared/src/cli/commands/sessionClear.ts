import { Command } from 'commander';
import type { CliContext } from '../context';

export function sessionClearCommand(context: () => Promise<CliContext>): Command {
  return new Command('clear')
    .description("forget the cached MFA session of a profile (the AWS CLI's own cache is left alone)")
    .action(async () => {
      const ctx = await context();
      const { cliSession } = await import('./cliSession.js');
      const session = cliSession(ctx.settings);
      const cleared = await session.clear();
      if (ctx.json) return ctx.out(JSON.stringify({ ok: true, profile: session.profile, cleared }, null, 2));
      ctx.out(
        cleared
          ? `Forgot the MFA session of profile ${session.profile}.`
          : `There was no MFA session for profile ${session.profile} to forget.`,
      );
    });
}
