import { Command, Option } from 'commander';
import type { ExportFormat, ExportProgress, ExportReport } from '../../tables/export/exportTable';
import { exportSummary } from '../../app/notify/jobSummary';
import { runCliJob } from '../cliJob';
import type { CliContext } from '../context';
import { formatBytes, formatCount, formatDuration } from '../format';
import { addNotifyOptions, notificationLines, type NotifyFlags, notifySettingsFromFlags } from '../notifyOptions';
import { addScanOptions, type ScanFlags } from '../scanFlags';

/** A plain progress line on stderr at each phase change and every few seconds (none with --json). */
function progressLine(json: boolean): (p: ExportProgress) => void {
  let last = 0;
  let phase = '';
  return (p) => {
    const now = Date.now();
    if (json || (p.phase === phase && now - last < 3000)) return;
    last = now;
    phase = p.phase;
    const what = p.phase === 'write' ? 'Writing' : p.phase === 'scan' ? 'Exporting' : 'Describing';
    process.stderr.write(
      `${what} ${p.table}: ${formatCount(p.items)}${p.estimatedItems ? ` of ~${formatCount(p.estimatedItems)}` : ''} items, ${formatBytes(p.bytes)} written\n`,
    );
  };
}

interface ExportFlags extends NotifyFlags, ScanFlags {
  format: ExportFormat;
  to: string;
}

export function exportTableCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('table')
    .description(
      'write a whole table as one JSON or CSV file, to S3 or a local path (to open in other tools; not a backup)',
    )
    .argument('<table>', 'table name')
    .addOption(new Option('--format <format>', 'file format').choices(['json', 'csv']).makeOptionMandatory())
    .requiredOption('--to <destination>', 's3://bucket/key or a local file path');
  addScanOptions(command);
  return addNotifyOptions(command, { link: true }).action(async (table: string, flags: ExportFlags) => {
    const ctx = await context();
    const { tableBackupEstimateMs } = await import('../../app/jobEstimate.js');
    const { exportTable } = await import('../../tables/export/exportTable.js');
    const notify = notifySettingsFromFlags(flags);
    const { clients } = ctx.connection;
    try {
      const { report, notification } = await runCliJob<ExportReport, ExportProgress>(ctx, notify, {
        what: `Export of table ${table}`,
        estimateMs: (signal) => tableBackupEstimateMs(clients, table, signal),
        run: ({ signal }) =>
          exportTable(
            clients,
            {
              table,
              format: flags.format,
              to: flags.to,
              ...(flags.segments ? { segments: flags.segments } : {}),
              ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
              ...(flags.consistent ? { consistentRead: true } : {}),
              ...(flags.readFraction !== undefined ? { readFraction: flags.readFraction } : {}),
              ...(flags.readUnits ? { readUnitsPerSecond: flags.readUnits } : {}),
            },
            { signal, onProgress: progressLine(ctx.json) },
          ),
        summary: exportSummary,
        ...(flags.link !== false
          ? {
              artefact: (r) =>
                r.destination.kind === 's3'
                  ? {
                      bucket: r.destination.bucket,
                      key: r.destination.key,
                      description: `the ${r.format.toUpperCase()} export of ${r.table} (${formatBytes(r.bytes)})`,
                      fileName: `${r.table}.${r.format}`,
                    }
                  : undefined,
            }
          : {}),
      });
      ctx.progress.done();
      if (ctx.json)
        return ctx.out(
          JSON.stringify({ ok: true, export: report, ...(notification ? { notification } : {}) }, null, 2),
        );
      ctx.out(
        [
          `Exported ${report.table}: ${formatCount(report.itemCount)} items, ${formatBytes(report.bytes)} of ${report.format.toUpperCase()} in ${formatDuration(report.durationMs)}.`,
          `File: ${report.location}`,
          ...(report.columns ? [`Columns: ${report.columns.join(', ')}`] : []),
          ...(report.segmentsNote ? [`Note: ${report.segmentsNote}`] : []),
          ...notificationLines(notification),
        ].join('\n'),
      );
    } finally {
      ctx.progress.done();
      clients.destroy();
    }
  });
}
