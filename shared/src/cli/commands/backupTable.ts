import { Command, Option } from 'commander';
import type { BackupProgress, BackupReport, BackupTableInput } from '../../tables/backup/backupReport';
import type { EngineChoice } from '../../tables/backup/chooseEngine';
import { backupSummary } from '../../app/notify/jobSummary';
import { runCliJob } from '../cliJob';
import { type CliContext, requireBucket } from '../context';
import { formatBytes, formatCount, formatDuration } from '../format';
import { addNotifyOptions, notificationLines, type NotifyFlags, notifySettingsFromFlags } from '../notifyOptions';
import { parseDate, sizeFlag } from '../parse';
import { addStorageOptions, type StorageFlags, storageFromFlags } from '../storageFlags';
import { addScanOptions, type ScanFlags } from '../scanFlags';

interface BackupTableFlags extends NotifyFlags, StorageFlags, ScanFlags {
  bucket?: string;
  prefix?: string;
  engine?: EngineChoice;
  incremental?: boolean;
  at?: Date;
  autoThreshold?: number;
}

export function toBackupInput(tableName: string, flags: BackupTableFlags, now = new Date()): BackupTableInput {
  const input: BackupTableInput = { table: tableName, bucket: requireBucket(flags.bucket) };
  if (flags.prefix !== undefined) input.prefix = flags.prefix;
  else if (process.env.COLDKEEP_PREFIX !== undefined) input.prefix = process.env.COLDKEEP_PREFIX;
  if (flags.segments) input.segments = flags.segments;
  if (flags.concurrency) input.concurrency = flags.concurrency;
  if (flags.consistent) input.consistentRead = true;
  if (flags.readFraction !== undefined) input.readFraction = flags.readFraction;
  if (flags.readUnits) input.readUnitsPerSecond = flags.readUnits;
  // auto is the core's default too; leave it out so the input says only what was chosen.
  if (flags.engine && flags.engine !== 'auto') input.engine = flags.engine;
  if (flags.incremental) input.incremental = true;
  if (flags.at) input.at = flags.at;
  if (flags.autoThreshold !== undefined) input.autoThresholdBytes = flags.autoThreshold;
  else if (process.env.COLDKEEP_AUTO_THRESHOLD)
    input.autoThresholdBytes = sizeFlag('COLDKEEP_AUTO_THRESHOLD', 0, 1024 ** 5)(process.env.COLDKEEP_AUTO_THRESHOLD);
  Object.assign(input, storageFromFlags(flags, now));
  return input;
}

export function backupTableCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('table')
    .description(
      "back up a DynamoDB table to S3 (segmented parallel scan, or DynamoDB's managed export; the manifest is written last)",
    )
    .argument('<table>', 'table name')
    .addOption(
      new Option(
        '--engine <engine>',
        'scan (Coldkeep reads the table), export (DynamoDB exports it; needs PITR), or auto',
      )
        .choices(['scan', 'export', 'auto'])
        .default('auto'),
    )
    .option('--incremental', 'only the changes since the previous backup of the table (DynamoDB incremental export)')
    .option('--at <time>', 'export engine: the point in the PITR window to back up (ISO 8601)', parseDate)
    .option(
      '--auto-threshold <size>',
      'auto exports tables larger than this when PITR is on (default 10GiB, or $COLDKEEP_AUTO_THRESHOLD)',
      sizeFlag('--auto-threshold', 0, 1024 ** 5),
    )
    .option('--bucket <name>', 'destination bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix in the bucket (default: "coldkeep", or $COLDKEEP_PREFIX)');
  addScanOptions(command);
  addStorageOptions(command);
  return addNotifyOptions(command, { link: true }).action(async (tableName: string, flags: BackupTableFlags) => {
    const ctx = await context();
    const { tableBackupEstimateMs } = await import('../../app/jobEstimate.js');
    const { backupTable } = await import('../../tables/backup/backupTable.js');
    const { backupArtefact } = await import('../../app/notify/backupArtefact.js');
    const input = toBackupInput(tableName, flags);
    const notify = notifySettingsFromFlags(flags);
    const { clients } = ctx.connection;
    try {
      const { report, notification } = await runCliJob<BackupReport, BackupProgress>(
        ctx,
        notify,
        {
          what: `Backup of table ${tableName}`,
          estimateMs: (signal) => tableBackupEstimateMs(clients, tableName, signal),
          run: (job) => backupTable(clients, input, job),
          summary: backupSummary,
          ...(flags.link !== false ? { artefact: (r) => () => backupArtefact(clients.s3, r, input) } : {}),
        },
        (p) => ctx.progress.backup(p),
      );
      ctx.progress.done();
      if (ctx.json)
        return ctx.out(
          JSON.stringify({ ok: true, backup: report, ...(notification ? { notification } : {}) }, null, 2),
        );
      const what = report.kind === 'incremental' ? 'changes' : 'items';
      ctx.out(
        [
          report.engine === 'export'
            ? `Backed up ${report.table} with DynamoDB's export${report.kind === 'incremental' ? ` (incremental on ${report.parentBackupId})` : ''}: ` +
              `${formatCount(report.itemCount)} ${what} in ${report.files} file(s), ${formatBytes(report.bytes)}, ${formatDuration(report.durationMs)}.`
            : `Backed up ${report.table}: ${formatCount(report.itemCount)} items, ${formatBytes(report.uncompressedBytes)} of JSON → ` +
              `${formatBytes(report.bytes)} in ${report.files} file(s), ${report.segments} segment(s), ${formatDuration(report.durationMs)}.`,
          `Engine:    ${report.engine} (${report.engineReason})`,
          ...(report.engineAdvice ? [`Note:      ${report.engineAdvice}`] : []),
          ...(report.segmentsNote ? [`Note:      ${report.segmentsNote}`] : []),
          `Backup id: ${report.backupId}`,
          `Location:  ${report.uri}`,
          `Restore with: coldkeep restore ${report.uri} --target ${report.table}-restored`,
          ...notificationLines(notification),
        ].join('\n'),
      );
    } finally {
      ctx.progress.done();
      clients.destroy();
    }
  });
}
