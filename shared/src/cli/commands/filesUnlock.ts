import { Command } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { SourceLockInfo } from '../../folders/repository/sourceLock';
import type { CliContext } from '../context';
import { addSourceOptions, resolveSource, type SourceFlags } from './filesCommon';

/** "backup lock of pid 4242 on build-01, started 2026-03-01T02:00:00.000Z (process gone)". */
function lockLine(lock: SourceLockInfo): string {
  const who = lock.owner ? `pid ${lock.owner.pid} on ${lock.owner.host}` : 'an unknown process';
  const state = { alive: 'still running', gone: 'process gone', unknown: 'cannot be checked from this host' }[
    lock.state
  ];
  return `${lock.kind} lock of ${who}, started ${lock.createdAt ?? '?'}, refreshed ${lock.refreshedAt ?? '?'} (${state}): ${lock.key}`;
}

export function filesUnlockCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('unlock')
    .description(
      "remove a source's locks left by processes that are gone from this host; --force removes every lock (after listing it)",
    )
    .argument('[source]', 'the source (or --source); may be left out when the bucket holds one')
    .option('--force', 'remove also locks of running processes or of other hosts: only when you are sure none runs');
  addSourceOptions(command);
  return command.action(async (sourceArg: string | undefined, flags: SourceFlags & { force?: boolean }) => {
    const ctx = await context();
    const { AwsClients } = await import('../../base/aws/clients.js');
    const { unlockSource } = await import('../../folders/repository/sourceLock.js');
    const { sourceLocation } = await import('../../folders/repository/layout.js');
    const clients = new AwsClients(ctx.settings);
    try {
      const where = await resolveSource(clients, { ...flags, ...(sourceArg ? { source: sourceArg } : {}) });
      const report = await unlockSource(clients.s3, sourceLocation(where.bucket, where.prefix, where.source), {
        force: flags.force ?? false,
      });
      if (report.kept.length > 0) {
        // Without --force a live (or unknowable) lock is only shown: removing it could let a prune delete a running backup's blobs.
        throw new ColdkeepError(
          'SourceLocked',
          `Source "${report.source}" has ${report.kept.length} lock(s) whose process may be running:\n` +
            report.kept.map((l) => `  ${lockLine(l)}`).join('\n') +
            (report.removed.length ? `\nRemoved ${report.removed.length} lock(s) of processes that are gone.` : ''),
          {
            hint: `Wait for those runs to end. If you are sure none is running, "coldkeep files unlock ${report.source} --force" removes them.`,
            details: { removed: report.removed, kept: report.kept },
          },
        );
      }
      if (ctx.json) return ctx.out(JSON.stringify({ ok: true, unlock: report }, null, 2));
      if (report.removed.length === 0) return ctx.out(`Source "${report.source}" has no locks.`);
      ctx.out(report.removed.map((l) => `Removed the ${lockLine(l)}`).join('\n'));
    } finally {
      clients.destroy();
    }
  });
}
