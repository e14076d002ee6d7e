import type { AwsClients } from '../../base/aws/clients';
import type { Connection, SessionCheck } from '../connection';
import { tableBackupEstimateMs } from '../jobEstimate';
import { checkSession } from '../runJob';
import { backupTable } from '../../tables/backup/backupTable';
import { backupFolder } from '../../folders/backup/backupFolder';
import type { KeyMaterial } from '../../folders/repository/sourceKeyring';
import { type JobOptions } from '../../base/jobs/job';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { jobOutcome } from '../../base/jobs/jobOutcome';
import { drillTable } from '../../tables/drill/drillTable';
import { drillFolder } from '../../folders/drill/drillFolder';
import { DrillRecords, drillSourceKey } from './drillRecords';
import { folderDrillNotRead, folderDrillResult, recordedDrill, tableDrillResult } from '../drill/recordedDrill';
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
  /** Restore drills of drill sources (absent: a front end that does not run drills refuses them). */
  drillTable?: SourceRunner<TableSource>;
  drillFolder?: SourceRunner<FolderSource>;
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
  /**
   * The key of an encrypted folder source, for a run nobody watches: the passphrase from the
   * front end's secret store (the tray app's safeStorage, under folderPassphraseSecret) or the
   * environment. A source with a KMS wrap needs none: the run's credentials open it.
   */
  folderKeys?: (sourceId: string) => Promise<KeyMaterial | undefined>;
}

/** The secret-store key under which a front end keeps the passphrase of an encrypted folder source. */
export function folderPassphraseSecret(sourceId: string): string {
  return `coldkeep.folder-passphrase.${sourceId}`;
}

export type BackupFolderFn = typeof backupFolder;
export type BackupTableFn = typeof backupTable;
export type DrillTableFn = typeof drillTable;
export type DrillFolderFn = typeof drillFolder;

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

/**
 * Drill runs of table sources: a restore drill of the table's latest backup (drillTable). A
 * mismatch fails the run (DrillFailed, not retried) so that it is emailed like a failed backup;
 * every drill, passed or not, is kept in the drill records for the lists.
 */
export function drillTableRunner(
  target: () => Promise<BackupTarget> | BackupTarget,
  records: DrillRecords = new DrillRecords(),
  drill: DrillTableFn = drillTable,
): SourceRunner<TableSource> {
  return async (source, { signal, onProgress }) => {
    const { clients, bucket, prefix } = await target();
    const report = await recordedDrill(
      records,
      drillSourceKey('table', source.table),
      () =>
        drill(
          clients,
          { table: source.table, bucket, ...(prefix ? { prefix } : {}) },
          {
            ...(signal ? { signal } : {}),
            onProgress: (p) =>
              onProgress?.({
                sourceId: source.id,
                done: p.phase === 'compare' ? (p.itemsCompared ?? 0) : (p.restore?.itemsWritten ?? 0),
                unit: 'items',
                ...(p.restore?.itemsExpected !== undefined ? { total: p.restore.itemsExpected } : {}),
              }),
          },
        ),
      tableDrillResult,
      signal,
    );
    const { summary } = tableDrillResult(report);
    if (report.status === 'failed') {
      throw new ColdkeepError(
        'DrillFailed',
        `The drill of ${source.table}'s backup ${report.backupId ?? ''} failed: ${report.problems.join(' ')}`,
        {
          hint: 'Drill an older backup with "coldkeep drill table", and check this one with "coldkeep backups verify".',
          details: { drill: report },
        },
      );
    }
    return { summary, ...(report.backupId ? { restorePoint: report.backupId } : {}), report: { ...report } };
  };
}

/**
 * Drill runs of folder sources: a restore drill of the latest snapshot of the source the drill
 * names (drillFolder, its default sample). A damaged or missing file fails the run (DrillFailed,
 * not retried, emailed); data in Glacier classes left unread makes it partial. Every drill is
 * kept in the drill records for the lists.
 */
export function drillFolderRunner(
  target: () => Promise<BackupTarget> | BackupTarget,
  records: DrillRecords = new DrillRecords(),
  drill: DrillFolderFn = drillFolder,
): SourceRunner<FolderSource> {
  return async (source, { signal, onProgress }) => {
    const snapshotSource = source.snapshotSource ?? (source.drill ? undefined : source.id);
    if (!snapshotSource) {
      throw new ColdkeepError('InvalidInput', `The drill "${source.name}" names no snapshot source to drill.`, {
        hint: "Remove this drill source and add it again with the folder, so that it drills the folder's backup source.",
      });
    }
    const { clients, bucket, prefix, folderKeys } = await target();
    // An encrypted source's passphrase, as its backups get it (a KMS wrap needs none).
    const keys = await folderKeys?.(source.id);
    const report = await recordedDrill(
      records,
      drillSourceKey('folder', snapshotSource),
      () =>
        drill(
          clients,
          { bucket, source: snapshotSource, ...(prefix ? { prefix } : {}), ...(keys ? { keys } : {}) },
          {
            ...(signal ? { signal } : {}),
            onProgress: (p) =>
              onProgress?.({
                sourceId: source.id,
                done: p.filesDone,
                unit: 'files',
                total: p.files,
                bytes: p.bytesDone,
              }),
          },
        ),
      folderDrillResult,
      signal,
    );
    const { summary } = folderDrillResult(report);
    const notRead = folderDrillNotRead(report);
    if (report.status === 'failed') {
      throw new ColdkeepError(
        'DrillFailed',
        `The drill of ${snapshotSource}'s snapshot ${report.snapshotId} failed: ${report.problems.join(' ')}`,
        {
          hint: 'Drill an older snapshot with "coldkeep drill folder", and store again what the folder still holds with "coldkeep files verify --repair --read-data all".',
          details: { drill: report },
        },
      );
    }
    return {
      summary,
      restorePoint: report.snapshotId,
      ...(report.status === 'partial' ? { status: 'partial' as const, incomplete: notRead! } : {}),
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
    const { clients, bucket, prefix, folderKeys } = await target();
    const keys = await folderKeys?.(source.id);
    const report = await snapshot(
      clients,
      {
        dir: source.dir,
        bucket,
        source: source.id,
        ...(keys ? { keys } : {}),
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
