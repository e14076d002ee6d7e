import type { AwsClients } from '../../base/aws/clients';
import type { Connection, SessionCheck } from '../connection';
import { tableBackupEstimateMs } from '../jobEstimate';
import { checkSession } from '../runJob';
import { backupTable } from '../../tables/backup/backupTable';
import { backupFolder } from '../../folders/backup/backupFolder';
import { type JobOptions } from '../../base/jobs/job';
import { jobOutcome } from '../../base/jobs/jobOutcome';
import { bytesText, countText } from '../notify/figures';
import type { RunReport } from './runHistory';
import type { FolderSource, Source, TableSource } from './sources';

/** Progress of one source's run, the same for every kind, for a tray tooltip or a progress bar. */
export interface SourceProgress {
  sourceId: string;
  /** Items (tables) or files (folders) done so far. */
  done: number;
  /** What `done` counts. */
  unit: 'items' | 'files';
  /** An estimate of the whole, when the job knows one. */
  total?: number;
  bytes?: number;
}

/** Backs up one source: the job shape, with the run's one-line summary and report as its result. */
export type SourceRunner<S extends Source = Source> = (
  source: S,
  options: JobOptions<SourceProgress>,
) => Promise<RunReport>;

export interface SourceRunners {
  table: SourceRunner<TableSource>;
  folder: SourceRunner<FolderSource>;
}

/** Where the runs write: the bucket and key prefix, and the clients to reach them. */
export interface BackupTarget {
  clients: AwsClients;
  bucket: string;
  prefix?: string;
  /**
   * The connection the clients come from: a table run then checks first that its MFA session
   * outlives the backup, and tells `onSession` when it does not (which may refuse the run).
   */
  connection?: Connection;
  onSession?: (check: SessionCheck) => void | Promise<void>;
}

export type BackupFolderFn = typeof backupFolder;
export type BackupTableFn = typeof backupTable;

/** Table runs back up with `backupTable` and the source's engine choice (another function may stand in, in tests). */
export function tableRunner(
  target: () => Promise<BackupTarget> | BackupTarget,
  backup: BackupTableFn = backupTable,
): SourceRunner<TableSource> {
  return async (source, { signal, onProgress }) => {
    const { clients, bucket, prefix, connection, onSession } = await target();
    if (connection) {
      const check = await checkSession(connection, (s) => tableBackupEstimateMs(clients, source.table, s), signal);
      if (check && !check.outlives) await onSession?.(check);
    }
    const report = await backup(
      clients,
      {
        table: source.table,
        bucket,
        ...(prefix ? { prefix } : {}),
        ...(source.engine ? { engine: source.engine } : {}),
        ...(source.incremental ? { incremental: true } : {}),
      },
      {
        ...(signal ? { signal } : {}),
        onProgress: (p) =>
          onProgress?.({
            sourceId: source.id,
            done: p.items,
            unit: 'items',
            total: p.estimatedItems,
            bytes: p.uncompressedBytes,
          }),
      },
    );
    return {
      summary: `${countText(report.itemCount)} items, ${bytesText(report.bytes)} (${report.kind} ${report.engine})`,
      restorePoint: report.backupId,
      report: { ...report },
    };
  };
}

/** Folder runs take a snapshot with `backupFolder` (another function may stand in, in tests). */
export function folderRunner(
  target: () => Promise<BackupTarget> | BackupTarget,
  snapshot: BackupFolderFn = backupFolder,
): SourceRunner<FolderSource> {
  return async (source, { signal, onProgress }) => {
    const { clients, bucket, prefix } = await target();
    const report = await snapshot(
      clients,
      {
        dir: source.dir,
        bucket,
        source: source.id,
        ...(prefix ? { prefix } : {}),
        ...(source.excludes ? { excludes: source.excludes } : {}),
      },
      {
        ...(signal ? { signal } : {}),
        onProgress: (p) =>
          onProgress?.({
            sourceId: source.id,
            done: p.files,
            unit: 'files',
            bytes: p.bytes,
          }),
      },
    );
    const outcome = jobOutcome(report);
    return {
      summary:
        `${countText(report.files)} files, ${bytesText(report.bytes)} (${bytesText(report.uploadedBytes)} new)` +
        (outcome.headline ? `; ${outcome.headline}` : ''),
      restorePoint: report.snapshotId,
      status: outcome.status,
      ...(outcome.headline ? { incomplete: outcome.headline } : {}),
      report: { ...report },
    };
  };
}
