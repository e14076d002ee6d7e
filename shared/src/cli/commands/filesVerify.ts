import { Command, Option } from 'commander';
import { ColdkeepError } from '../../errors';
import { type CliContext, withCancel } from '../context';
import { formatBytes, formatCount } from '../format';
import { wholeNumber } from '../parse';
import { addSourceOptions, resolveSource, type SourceFlags } from './filesCommon';

interface FilesVerifyFlags extends SourceFlags {
  readData?: 'none' | 'sample' | 'all';
  sample?: number;
}

export function filesVerifyCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('verify')
    .description('check that every blob a snapshot needs exists (and re-hash some or all of them)')
    .argument('[snapshot]', 'snapshot id (or its start), or "latest"', 'latest')
    .addOption(
      new Option('--read-data <what>', 'download and re-hash blobs').choices(['none', 'sample', 'all']).default('none'),
    )
    .option(
      '--sample <n>',
      'blobs re-hashed with --read-data sample (default 20)',
      wholeNumber('--sample', 1, 1_000_000),
    );
  addSourceOptions(command);
  return command.action(async (snapshot: string, flags: FilesVerifyFlags) => {
    const ctx = await context();
    const { AwsClients } = await import('../../aws/clients.js');
    const { verifySnapshot } = await import('../../files/verifySnapshot.js');
    const clients = new AwsClients(ctx.settings);
    try {
      const where = await resolveSource(clients, flags);
      const report = await withCancel((signal) =>
        verifySnapshot(
          clients,
          {
            ...where,
            snapshotId: snapshot,
            readData: flags.readData ?? 'none',
            ...(flags.sample ? { sampleSize: flags.sample } : {}),
          },
          {
            signal,
            onProgress: (p) =>
              ctx.progress.show(p.phase, () => [
                `Verifying ${p.source} ${p.snapshotId ?? ''}: ${p.read} of ${p.toRead} blob(s) re-hashed`,
              ]),
          },
        ),
      );
      ctx.progress.done();
      if (!report.ok) {
        if (!ctx.json)
          for (const p of report.problems.slice(0, 20))
            ctx.out(`${p.problem}: ${p.key} (${p.paths.join(', ')})${p.detail ? ` — ${p.detail}` : ''}`);
        throw new ColdkeepError(
          'SnapshotDamaged',
          `Snapshot ${report.snapshotId} of ${report.source} has ${report.problems.length} damaged or missing blob(s).`,
          {
            hint: 'The files named are not restorable from this snapshot: restore them from another one. A backup with --parent none stores again the content whose blob or pack is missing.',
            details: { verify: report },
          },
        );
      }
      if (ctx.json) return ctx.out(JSON.stringify({ ok: true, verify: report }, null, 2));
      ctx.out(
        `Snapshot ${report.snapshotId} of ${report.source} is complete: ${formatCount(report.files)} files, ${formatCount(report.blobs)} blob(s) present` +
          (report.readBlobs ? `, ${formatCount(report.readBlobs)} re-hashed (${formatBytes(report.readBytes)})` : '') +
          (report.archivedNotRead ? `; ${formatCount(report.archivedNotRead)} archived blob(s) not re-hashed` : '') +
          '.',
      );
    } finally {
      ctx.progress.done();
      clients.destroy();
    }
  });
}
