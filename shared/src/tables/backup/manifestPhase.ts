import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { throwIfAborted } from '../../base/jobs/job';
import { TOOL_NAME, TOOL_VERSION } from '../../base/version';
import { s3Uri } from '../../storage/bucketKeys';
import { objectParams, type StorageOptions } from '../../storage/storageOptions';
import { type BackupLocation, backupDir, manifestKey } from '../repository/layout';
import { type BackupManifest, MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION } from '../repository/manifest';
import type { BackupReport } from './backupReport';
import { engineFacts, type ScanBackupRun } from './backupRun';
import { storageFacts } from './exportBackup';

/** Phase "manifest" of a scan, last, once every data file is in S3: the manifest, and the report. */
export async function writeScanManifest(run: ScanBackupRun): Promise<BackupReport> {
  const { progress, location, started } = run;
  progress.phase = 'manifest';
  run.emit();
  const finished = run.now();
  const manifest = scanManifest(run, finished);
  await writeManifest(run.clients.s3, location, manifest, run.input, run.signal);
  return {
    ...reportFrom(location, manifest, finished.getTime() - started.getTime()),
    ...engineFacts(run),
    ...(run.segmentsNote ? { segmentsNote: run.segmentsNote } : {}),
    throttledRequests: progress.throttledRequests,
    consumedReadUnits: progress.consumedReadUnits,
  };
}

function scanManifest(run: ScanBackupRun, finished: Date): BackupManifest {
  const { location, input } = run;
  const files = run.writers.flatMap((w) => w.files);
  const dir = backupDir(location);
  return {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    backupId: location.backupId,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    engine: 'scan',
    kind: 'full',
    source: { account: location.account, region: location.region, table: location.table },
    schema: run.schema,
    startedAt: run.started.toISOString(),
    finishedAt: finished.toISOString(),
    itemCount: files.reduce((n, f) => n + f.items, 0),
    uncompressedBytes: files.reduce((n, f) => n + f.uncompressedBytes, 0),
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    segments: { total: run.totalSegments, consistentRead: input.consistentRead ?? false },
    files: files
      .map((f) => {
        const [segment, part] = /(\d+)-(\d+)\.json\.gz$/.exec(f.key)!.slice(1).map(Number) as [number, number];
        return { ...f, key: f.key.slice(dir.length), segment, part };
      })
      .sort((a, b) => a.key.localeCompare(b.key)),
    storage: storageFacts(input),
  };
}

/** The manifest is what makes a backup exist, so it is written once every data file is in S3. */
export async function writeManifest(
  s3: S3Client,
  location: BackupLocation,
  manifest: BackupManifest,
  storage: StorageOptions,
  signal: AbortSignal | undefined,
): Promise<void> {
  throwIfAborted(signal);
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: location.bucket,
        Key: manifestKey(location),
        Body: JSON.stringify(manifest, null, 2),
        ContentType: 'application/json',
        ...objectParams(storage),
      }),
      { abortSignal: signal },
    );
  } catch (err) {
    throw fromAwsError(err, { doing: 'write the backup manifest', bucket: location.bucket });
  }
}

type ReportCore = Omit<
  BackupReport,
  'engine' | 'engineReason' | 'engineAdvice' | 'throttledRequests' | 'consumedReadUnits'
>;

/** The report's figures, from the manifest written. */
export function reportFrom(location: BackupLocation, manifest: BackupManifest, durationMs: number): ReportCore {
  return {
    backupId: location.backupId,
    kind: manifest.kind ?? 'full',
    ...(manifest.parent ? { parentBackupId: manifest.parent.backupId } : {}),
    table: location.table,
    account: location.account,
    region: location.region,
    bucket: location.bucket,
    manifestKey: manifestKey(location),
    uri: s3Uri(location.bucket, backupDir(location)),
    itemCount: manifest.itemCount,
    uncompressedBytes: manifest.uncompressedBytes,
    bytes: manifest.bytes,
    files: manifest.files.length,
    segments: manifest.segments?.total ?? 0,
    startedAt: manifest.startedAt,
    finishedAt: manifest.finishedAt,
    durationMs,
  };
}
