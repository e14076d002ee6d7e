import { Command, Option } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { DrillTableReport } from '../../tables/drill/drillTable';
import { type CliContext, requireBucket, withCancel } from '../context';
import { formatCount, formatDuration, red } from '../format';
import { wholeNumber } from '../parse';

interface DrillTableFlags {
  backup?: string;
  bucket?: string;
  prefix?: string;
  engine?: 'write' | 'import';
  keep?: boolean;
  mismatches?: number;
  pollInterval?: number;
}

export function drillTableCommand(context: () => Promise<CliContext>): Command {
  return new Command('table')
    .description(
      'restore a backup into a scratch table (coldkeep-drill-<table>-<id>, on demand, tagged), compare it item by item with the backup, time it, delete it',
    )
    .argument('<table>', 'the table whose backup is drilled')
    .option('--backup <id>', 'the backup to drill (default: "latest")')
    .option('--bucket <name>', 'bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix (default: "coldkeep", or $COLDKEEP_PREFIX)')
    .addOption(
      new Option('--engine <engine>', "write: Coldkeep's restore (default); import: DynamoDB's ImportTable").choices([
        'write',
        'import',
      ]),
    )
    .option('--keep', 'leave the scratch table in place afterwards (it is billed until you delete it)')
    .option(
      '--mismatches <n>',
      'mismatching items named, with their keys (default 10)',
      wholeNumber('--mismatches', 1, 10_000),
    )
    .option(
      '--poll-interval <ms>',
      'import: how often to poll DescribeImport (default 15000)',
      wholeNumber('--poll-interval', 1, 600_000),
    )
    .action(async (tableName: string, flags: DrillTableFlags) => {
      const ctx = await context();
      const { AwsClients } = await import('../../base/aws/clients.js');
      const { drillTable } = await import('../../tables/drill/drillTable.js');
      const { DrillRecords, drillSourceKey } = await import('../../app/schedule/drillRecords.js');
      const { recordedDrill, tableDrillResult } = await import('../../app/drill/recordedDrill.js');
      const clients = new AwsClients(ctx.settings);
      try {
        const report = await withCancel((signal) =>
          recordedDrill(
            new DrillRecords(),
            drillSourceKey('table', tableName),
            () =>
              drillTable(
                clients,
                {
                  table: tableName,
                  bucket: requireBucket(flags.bucket),
                  ...((flags.prefix ?? process.env.COLDKEEP_PREFIX) !== undefined
                    ? { prefix: flags.prefix ?? process.env.COLDKEEP_PREFIX }
                    : {}),
                  ...(flags.backup ? { backupId: flags.backup } : {}),
                  ...(flags.engine ? { engine: flags.engine } : {}),
                  ...(flags.keep ? { keep: true } : {}),
                  ...(flags.mismatches ? { mismatchLimit: flags.mismatches } : {}),
                  ...(flags.pollInterval ? { pollIntervalMs: flags.pollInterval } : {}),
                },
                {
                  signal,
                  onProgress: (p) =>
                    ctx.progress.show(p.phase, () => [
                      p.phase === 'restore' && p.restore
                        ? `Drill of ${tableName}: restoring into ${p.scratchTable} (${p.restore.phase}), ${formatCount(p.restore.itemsWritten)} items written`
                        : p.phase === 'compare'
                          ? `Drill of ${tableName}: comparing, ${formatCount(p.itemsCompared ?? 0)} items read back`
                          : `Drill of ${tableName}: ${p.phase}${p.scratchTable ? ` (${p.scratchTable})` : ''}`,
                    ]),
                },
              ),
            tableDrillResult,
            signal,
          ),
        );
        ctx.progress.done();
        if (report.status === 'failed') {
          if (!ctx.json) printReport(ctx, report);
          throw new ColdkeepError(
            'DrillFailed',
            `The drill of ${tableName} (backup ${report.backupId ?? report.source}) failed: ${report.problems.join(' ')}`,
            {
              hint: 'The backup did not restore to what it holds: drill an older backup, and run "coldkeep backups verify" on this one.',
              details: { drill: report },
            },
          );
        }
        if (ctx.json) return ctx.out(JSON.stringify({ ok: true, drill: report }, null, 2));
        printReport(ctx, report);
      } finally {
        ctx.progress.done();
        clients.destroy();
      }
    });
}

function printReport(ctx: CliContext, report: DrillTableReport): void {
  const ok = report.status === 'succeeded';
  ctx.out(
    [
      ok
        ? `Drill of ${report.table} succeeded: backup ${report.backupId ?? report.source} restored and verified.`
        : red(`Drill of ${report.table} FAILED: backup ${report.backupId ?? report.source}.`),
      `Restore time  ${formatDuration(report.restoreMs)} (${report.engine} engine, to a readable table ${report.scratchTable})`,
      `Compared      ${formatCount(report.itemsCompared)} items with the backup's files` +
        (report.itemsExpected !== undefined ? `; the manifest says ${formatCount(report.itemsExpected)}` : ''),
      `Mismatches    ${report.mismatches}`,
      ...report.firstMismatches.map((m) => `  ${m.kind.padEnd(10)} ${m.key}`),
      ...report.problems.map((p) => red(`Problem: ${p}`)),
      `Scratch table ${report.scratchDeleted ? 'deleted' : 'NOT deleted'}`,
      ...report.warnings.map((w) => `Warning: ${w}`),
    ].join('\n'),
  );
}
