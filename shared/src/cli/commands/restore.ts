import { Command, Option } from 'commander';
import type { RetrievalTier } from '../../storage/thawArchived';
import type {
  RestoreEngine,
  RestoreProgress,
  RestoreReport,
  RestoreTableInput,
} from '../../tables/restore/restoreReport';
import type { VerifyMode } from '../../tables/restore/verifyFirst';
import { restoreSummary } from '../../app/notify/jobSummary';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { runCliJob } from '../cliJob';
import type { CliContext } from '../context';
import { cliHint, formatCount, formatDuration } from '../format';
import { addNotifyOptions, notificationLines, type NotifyFlags, notifySettingsFromFlags } from '../notifyOptions';
import { wholeNumber } from '../parse';
import { sourceFrom } from './backupsShow';
import { collectKey, type ItemFlags, runItemRestore, selectsItems } from './restoreItems';

interface RestoreFlags extends NotifyFlags, ItemFlags {
  table?: string;
  bucket?: string;
  prefix?: string;
  target?: string;
  createTable?: boolean;
  overwrite?: boolean;
  dryRun?: boolean;
  writeUnits?: number;
  concurrency?: number;
  tier?: RetrievalTier;
  wait?: boolean;
  engine?: RestoreEngine;
  verify?: VerifyMode;
  resume?: boolean;
  stagingDir?: string;
}

export function restoreCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('restore')
    .description('restore a table backup (or a DynamoDB export) into a table, verifying every file first')
    .argument('<backup>', 's3:// URI of a backup or export, or a backup id / "latest" with --table')
    .option('--table <name>', 'the backed-up table (with a backup id or "latest")')
    .option('--bucket <name>', 'bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix (default: "coldkeep")')
    .option('--target <name>', 'table to restore into (default: the backed-up table)')
    .option('--no-create-table', 'fail instead of creating a missing target table from the saved schema')
    .option('--overwrite', 'write into a table that already holds items (same keys are replaced)')
    .option('--dry-run', 'download and verify everything, write nothing')
    .addOption(
      new Option(
        '--verify <mode>',
        'first: prove every file (checksum, item count) before writing any item; per-file: prove each file just before writing it',
      )
        .choices(['first', 'per-file'])
        .default('first'),
    )
    .option('--staging-dir <dir>', 'where verified files wait to be written (default: the temp folder, $TMPDIR)')
    .option(
      '--resume',
      'continue an interrupted restore of this backup into this target, skipping files written in full',
    )
    .option(
      '--write-units <n>',
      'write-unit budget per second (default: 80% of provisioned capacity)',
      wholeNumber('--write-units', 1, 1_000_000),
    )
    .option('--concurrency <n>', 'data files restored at once (default 4)', wholeNumber('--concurrency', 1, 64))
    .addOption(
      new Option('--tier <tier>', 'retrieval tier for archived files')
        .choices(['Expedited', 'Standard', 'Bulk'])
        .default('Standard'),
    )
    .option('--wait', 'wait for archived files to be retrieved, then restore')
    .addOption(
      new Option(
        '--engine <engine>',
        'write (verify every file, BatchWriteItem; applies incremental chains) or import (DynamoDB ImportTable into a NEW table)',
      )
        .choices(['write', 'import'])
        .default('write'),
    )
    .option(
      '--key <json>',
      'restore only this item into the live table: its key as plain JSON, e.g. \'{"pk":"a","sk":1}\' (repeatable)',
      collectKey,
    )
    .option('--keys <file>', 'restore only the items whose keys are in FILE (JSON lines, one key per line)')
    .option(
      '--where <expr>',
      "restore only the items matching EXPR, e.g. \"pk = 'a' AND begins_with(sk, 'order#')\" (=, <>, <, <=, >, >=, BETWEEN, begins_with, AND/OR/NOT)",
    )
    .addOption(
      new Option(
        '--conflict <mode>',
        'item restore: an item whose key the table holds is replaced (overwrite), left (skip-existing), or stops the restore before any write (fail)',
      ).choices(['overwrite', 'skip-existing', 'fail']),
    );
  return addNotifyOptions(command, { link: false }).action(async (ref: string, flags: RestoreFlags) => {
    const ctx = await context();
    if (selectsItems(flags) || flags.conflict) {
      if (!selectsItems(flags)) {
        throw new ColdkeepError('InvalidInput', '--conflict applies to an item restore only.', {
          hint: 'Add --key, --keys or --where to choose the items; a whole-table restore uses --overwrite.',
        });
      }
      const tableOnly = [
        ...(flags.overwrite ? ['--overwrite'] : []),
        ...(flags.createTable === false ? ['--no-create-table'] : []),
        ...(flags.engine && flags.engine !== 'write' ? [`--engine ${flags.engine}`] : []),
        ...(flags.notify ? ['--notify'] : []),
      ];
      return runItemRestore(ctx, flags, {
        source: sourceFrom(ref, flags),
        ...(flags.target ? { target: flags.target } : {}),
        dryRun: flags.dryRun ?? false,
        ...(flags.writeUnits ? { writeUnits: flags.writeUnits } : {}),
        ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
        thaw: { tier: flags.tier ?? 'Standard', wait: flags.wait ?? false },
        tableOnly,
      });
    }
    const { restoreEstimateMs } = await import('../../app/jobEstimate.js');
    const { planRestore } = await import('../../tables/restore/restorePlan.js');
    const { restoreTable } = await import('../../tables/restore/restoreTable.js');
    const { dryRunText, resumedText, verifyText } = await import('../../app/notify/restoreText.js');
    const input: RestoreTableInput = {
      source: sourceFrom(ref, flags),
      ...(flags.target ? { target: flags.target } : {}),
      createTable: flags.createTable !== false,
      overwrite: flags.overwrite ?? false,
      dryRun: flags.dryRun ?? false,
      ...(flags.writeUnits ? { writeUnitsPerSecond: flags.writeUnits } : {}),
      ...(flags.concurrency ? { fileConcurrency: flags.concurrency } : {}),
      thaw: { tier: flags.tier ?? 'Standard', wait: flags.wait ?? false },
      engine: flags.engine ?? 'write',
      verify: flags.verify ?? 'first',
      ...(flags.stagingDir ? { stagingDir: flags.stagingDir } : {}),
      ...(flags.resume ? { resume: true } : {}),
    };
    const notify = notifySettingsFromFlags(flags);
    const { clients } = ctx.connection;
    try {
      const { report, notification } = await runCliJob<RestoreReport, RestoreProgress>(
        ctx,
        notify,
        {
          what: `Restore of ${ref}${input.target ? ` into ${input.target}` : ''}`,
          // A source that cannot be planned fails inside the job, where it is reported (and emailed).
          ...(input.dryRun
            ? {}
            : {
                estimateMs: async () => {
                  const plan = await planRestore(clients.s3, input.source).catch(() => undefined);
                  return plan && restoreEstimateMs(plan);
                },
              }),
          run: (job) => restoreTable(clients, input, job),
          summary: restoreSummary,
        },
        (p) => ctx.progress.restore(p),
      );
      ctx.progress.done();
      if (ctx.json)
        return ctx.out(
          JSON.stringify(
            {
              ok: true,
              restore: { ...report, warnings: report.warnings.map((w) => cliHint(w)) },
              ...(notification ? { notification } : {}),
            },
            null,
            2,
          ),
        );
      const verified = verifyText(report);
      const resumed = resumedText(report);
      const lines = report.dryRun
        ? [dryRunText(report), ...(verified ? [verified] : [])]
        : report.engine === 'import'
          ? [
              `DynamoDB imported ${formatCount(report.itemsWritten)} items into the new table ${report.target} in ${formatDuration(report.durationMs)}: matches the manifest.`,
              `Import:    ${report.import?.importArn ?? '?'}`,
            ]
          : [
              `Restored ${formatCount(report.itemsWritten)} items into ${report.target}` +
                `${report.createdTable ? ' (created from the saved schema)' : ''} in ${formatDuration(report.durationMs)}` +
                (report.itemsDeleted ? `, ${formatCount(report.itemsDeleted)} of them deletes` : '') +
                '.',
              ...(verified ? [verified] : []),
              ...(resumed ? [resumed] : []),
              ...(report.steps.length > 1
                ? [`Applied:   ${report.steps.map((s) => `${s.backupId ?? s.uri} (${s.kind})`).join(' → ')}`]
                : []),
              ...(report.countedItems !== undefined
                ? [
                    `Counted ${formatCount(report.countedItems)} items in ${report.target}` +
                      (report.expectedCount !== undefined ? ': matches.' : ' (no exact expectation for this chain).'),
                  ]
                : []),
            ];
      ctx.out(
        [...lines, ...report.warnings.map((w) => `Warning: ${cliHint(w)}`), ...notificationLines(notification)].join(
          '\n',
        ),
      );
    } finally {
      ctx.progress.done();
      clients.destroy();
    }
  });
}
