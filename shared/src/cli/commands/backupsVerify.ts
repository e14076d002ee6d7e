import { Command } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { type CliContext, withCancel } from '../context';
import { formatCount } from '../format';
import { wholeNumber } from '../parse';
import { sourceFrom } from './backupsShow';

interface BackupsVerifyFlags {
  table?: string;
  bucket?: string;
  prefix?: string;
  concurrency?: number;
}

export function backupsVerifyCommand(context: () => Promise<CliContext>): Command {
  return new Command('verify')
    .description(
      'check a table backup without writing: every file at its backed-up version, its SHA-256 (MD5 for exports) and item count',
    )
    .argument('<backup>', 's3:// URI of the backup, or a backup id / "latest" with --table')
    .option('--table <name>', 'table the backup id belongs to')
    .option('--bucket <name>', 'bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix (default: "coldkeep")')
    .option('--concurrency <n>', 'data files checked at once (default 4)', wholeNumber('--concurrency', 1, 64))
    .action(async (ref: string, flags: BackupsVerifyFlags) => {
      const ctx = await context();
      const { AwsClients } = await import('../../base/aws/clients.js');
      const { verifyBackup } = await import('../../tables/verify/verifyBackup.js');
      const clients = new AwsClients(ctx.settings);
      try {
        const report = await withCancel((signal) =>
          verifyBackup(
            clients,
            { source: sourceFrom(ref, flags), ...(flags.concurrency ? { concurrency: flags.concurrency } : {}) },
            {
              signal,
              onProgress: (p) =>
                ctx.progress.show(p.phase, () => [
                  `Verifying ${ref}: ${p.filesDone} of ${p.filesTotal} file(s), ${formatCount(p.itemsVerified)} items`,
                ]),
            },
          ),
        );
        ctx.progress.done();
        if (!report.ok) {
          if (!ctx.json) {
            for (const problem of report.problems.slice(0, 50)) ctx.out(`Damaged: ${problem}`);
            for (const warning of report.warnings) ctx.out(`Warning: ${warning}`);
          }
          const bad = report.files.filter((f) => f.check !== 'ok');
          throw new ColdkeepError(
            'BackupDamaged',
            `Backup ${report.backupId ?? report.source} is not intact: ${bad.length} of ${report.files.length} file(s) failed the check` +
              (bad.length ? ` (${bad.map((f) => f.key.split('/').pop()).join(', ')})` : '') +
              '.',
            {
              hint: 'Nothing was written. Restore from another backup; with S3 versioning, an overwritten file may still have its backed-up version (see the warnings).',
              details: { verify: report },
            },
          );
        }
        if (ctx.json) return ctx.out(JSON.stringify({ ok: true, verify: report }, null, 2));
        ctx.out(
          [
            `Backup ${report.backupId ?? report.source} is intact: ${report.files.length} file(s) verified, ` +
              `${formatCount(report.itemsVerified)} items` +
              (report.itemsExpected !== undefined ? ' (matches the manifest)' : '') +
              '; nothing written.',
            ...(report.files.some((f) => f.versionId)
              ? [`Versions: every file read at the version the backup recorded.`]
              : []),
            ...report.warnings.map((w) => `Warning: ${w}`),
          ].join('\n'),
        );
      } finally {
        ctx.progress.done();
        clients.destroy();
      }
    });
}
