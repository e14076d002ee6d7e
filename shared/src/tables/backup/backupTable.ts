import { DeleteObjectsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type AwsClients } from '../../base/aws/clients';
import { checkBucket } from '../../storage/checkBucket';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withAftermath } from '../../base/errors/withAftermath';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { range, runPool } from '../../base/jobs/pool';
import { CapacityLimiter, readBudget } from '../source/capacityLimiter';
import { describeTable } from '../source/describeTable';
import { choosePageLimit, planSegments, type ScanPage, scanSegmentJson } from '../source/segmentedScan';
import { accountFromArn, type TableSchema } from '../source/tableSchema';
import { TOOL_NAME, TOOL_VERSION } from '../../base/version';
import { newBackupId } from '../../storage/backupId';
import type { DataFileResult } from './dataFileUpload';
import { normalizePrefix, s3Uri } from '../../storage/bucketKeys';
import { type BackupLocation, backupDir, dataFileKey, manifestKey } from '../repository/layout';
import { type BackupManifest, MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION } from '../repository/manifest';
import {
  chooseEngine,
  DEFAULT_AUTO_THRESHOLD_BYTES,
  describePitr,
  type EngineChoice,
  type EngineDecision,
  type PitrState,
} from './chooseEngine';
import { exportBackup, storageFacts } from './exportBackup';
import { SegmentWriter } from './segmentWriter';
import { objectParams, type StorageOptions } from '../../storage/storageOptions';

export interface BackupTableInput extends StorageOptions {
  table: string;
  bucket: string;
  /** Key prefix in the bucket; "coldkeep" by default. */
  prefix?: string;
  /** Scan segments; chosen from the table's size when absent. */
  segments?: number;
  /** Segments scanned at once; min(segments, 8) by default. */
  concurrency?: number;
  consistentRead?: boolean;
  /** Read at most this fraction of a provisioned table's read capacity (default 0.5). */
  readFraction?: number;
  /** Read-unit budget per second; the way to limit on-demand tables. Wins over readFraction. */
  readUnitsPerSecond?: number;
  /** Start a new data file after this many bytes of JSON (default 256 MiB). */
  rolloverBytes?: number;
  /** Multipart part size (default 5 MiB). */
  partSize?: number;
  /** Items per Scan request (default: DynamoDB's 1 MB page). */
  pageLimit?: number;
  /** scan (Coldkeep's segmented scan), export (DynamoDB's managed export) or auto (default). */
  engine?: EngineChoice;
  /** auto exports tables larger than this when PITR is on (default 10 GiB). */
  autoThresholdBytes?: number;
  /** Only the changes since the table's previous backup (DynamoDB incremental export; needs PITR). */
  incremental?: boolean;
  /** Export engine: the point in the PITR window to back up (full), or up to (incremental). */
  at?: Date;
  /** Export engine: how often to poll DescribeExport (default 10 s). */
  pollIntervalMs?: number;
  /** For tests: the clock. */
  now?: () => Date;
}

export interface SegmentProgress {
  segment: number;
  items: number;
  done: boolean;
}

export interface BackupProgress {
  phase: 'describe' | 'scan' | 'export' | 'manifest';
  table: string;
  backupId?: string;
  engine?: 'scan' | 'export';
  /** Export engine: DynamoDB's export and its status (IN_PROGRESS, COMPLETED, FAILED). */
  exportArn?: string;
  exportStatus?: string;
  items: number;
  /** DynamoDB's estimate of the table's items, for an ETA. */
  estimatedItems: number;
  uncompressedBytes: number;
  totalSegments: number;
  segments: SegmentProgress[];
  throttledRequests: number;
  consumedReadUnits: number;
}

export interface BackupReport {
  backupId: string;
  engine: 'scan' | 'export';
  /** Why this engine (auto explains its choice). */
  engineReason: string;
  /** Set when PITR is off and the export would have been chosen: how to turn it on, and its cost. */
  engineAdvice?: string;
  kind: 'full' | 'incremental';
  /** The backup an incremental one applies on top of. */
  parentBackupId?: string;
  exportArn?: string;
  table: string;
  account: string;
  region: string;
  bucket: string;
  manifestKey: string;
  /** s3:// URI of the backup's folder. */
  uri: string;
  itemCount: number;
  uncompressedBytes: number;
  bytes: number;
  files: number;
  segments: number;
  /** Set when fewer segments were scanned than asked for: why. */
  segmentsNote?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  throttledRequests: number;
  consumedReadUnits: number;
}

const DEFAULT_READ_FRACTION = 0.5;
const DEFAULT_ROLLOVER = 256 * 1024 * 1024;

/**
 * Backs up a table: segmented parallel scan → DynamoDB JSON lines → gzip → S3, then the
 * manifest, last. Without its manifest a backup does not exist: on failure or cancel the
 * multipart uploads are aborted, finished data files removed, and the error says what
 * (if anything) was left behind.
 */
export async function backupTable(
  clients: AwsClients,
  input: BackupTableInput,
  { signal, onProgress }: JobOptions<BackupProgress> = {},
): Promise<BackupReport> {
  const now = input.now ?? (() => new Date());
  const started = now();
  throwIfAborted(signal);
  if (!input.bucket) {
    throw new ColdkeepError('InvalidInput', 'No bucket was given for the backup.', {
      hint: 'Give the bucket ({setting:bucket}).',
    });
  }

  const progress: BackupProgress = {
    phase: 'describe',
    table: input.table,
    items: 0,
    estimatedItems: 0,
    uncompressedBytes: 0,
    totalSegments: 0,
    segments: [],
    throttledRequests: 0,
    consumedReadUnits: 0,
  };
  onProgress?.({ ...progress });

  if (input.objectLock && !(input.objectLock.retainUntil.getTime() > started.getTime())) {
    throw new ColdkeepError(
      'InvalidInput',
      `Object Lock retain-until ${input.objectLock.retainUntil.toISOString()} is not in the future.`,
      { hint: 'Give a later date in {setting:lockUntil}, or {setting:lockDays=N}.' },
    );
  }
  const [schema] = await Promise.all([
    describeTable(clients.dynamodb, input.table, signal),
    checkBucket(clients.s3, input.bucket, signal),
  ]);
  const { decision, pitr } = await decideEngine(clients, input, schema, signal);
  if (input.at && decision.engine !== 'export') {
    throw new ColdkeepError(
      'InvalidInput',
      '--at picks a point in time for the export engine; a scan reads the table as it is now.',
      {
        hint: 'Use {setting:engine=export} (needs point-in-time recovery), or leave out {setting:at}.',
      },
    );
  }
  const location: BackupLocation = {
    bucket: input.bucket,
    prefix: normalizePrefix(input.prefix),
    account: accountFromArn(schema.tableArn) ?? 'unknown-account',
    region: clients.region,
    table: input.table,
    backupId: newBackupId(started),
  };
  const engineFacts = {
    engine: decision.engine,
    engineReason: decision.reason,
    ...(decision.advice ? { engineAdvice: decision.advice } : {}),
  };
  if (decision.engine === 'export') {
    Object.assign(progress, {
      phase: 'export',
      engine: 'export',
      backupId: location.backupId,
      estimatedItems: schema.approximateItemCount,
    });
    onProgress?.(snapshot(progress));
    const { manifest, exportArn } = await exportBackup(
      clients,
      schema,
      location,
      { ...input, prefix: location.prefix },
      pitr ?? { enabled: true },
      started,
      now,
      {
        signal,
        onProgress: (p) => {
          Object.assign(progress, p);
          onProgress?.(snapshot(progress));
        },
      },
    );
    progress.phase = 'manifest';
    progress.items = manifest.itemCount;
    onProgress?.(snapshot(progress));
    try {
      await writeManifest(clients.s3, location, manifest, input, signal);
    } catch (err) {
      throw withAftermath(err, {
        job: `Backup of ${location.table}`,
        summary: `No manifest was written, so this is not a backup; the export's files stay under ${s3Uri(location.bucket, backupDir(location))}.`,
        details: { backupId: location.backupId, manifestWritten: false, exportArn },
        fallbackCode: 'BackupIncomplete',
        fallbackHint: 'Run the backup again.',
      });
    }
    return {
      ...reportFrom(location, manifest, now().getTime() - started.getTime()),
      ...engineFacts,
      exportArn,
      throttledRequests: 0,
      consumedReadUnits: 0,
    };
  }

  if (
    input.segments !== undefined &&
    (!Number.isInteger(input.segments) || input.segments < 1 || input.segments > 1_000_000)
  ) {
    throw new ColdkeepError(
      'InvalidInput',
      `Segments must be a whole number from 1 to 1000000, got ${input.segments}.`,
      {
        hint: 'Leave {setting:segments} out to let Coldkeep choose from the table size.',
      },
    );
  }
  const { totalSegments, note: segmentsNote } = planSegments(input.segments, schema.approximateSizeBytes);
  const budget = readBudget({
    provisionedReadUnits: schema.provisionedThroughput?.readCapacityUnits,
    fraction: input.readFraction ?? DEFAULT_READ_FRACTION,
    unitsPerSecond: input.readUnitsPerSecond,
  });
  const limiter = budget ? new CapacityLimiter(budget) : undefined;

  Object.assign(progress, {
    phase: 'scan',
    engine: 'scan',
    backupId: location.backupId,
    estimatedItems: schema.approximateItemCount,
    totalSegments,
    segments: range(totalSegments).map((segment) => ({ segment, items: 0, done: false })),
  });
  onProgress?.(snapshot(progress));

  const writers = range(totalSegments).map(
    (segment) =>
      new SegmentWriter({
        s3: clients.s3,
        bucket: input.bucket,
        segment,
        keyFor: (part) => dataFileKey(location, segment, part),
        storage: input,
        rolloverBytes: input.rolloverBytes ?? DEFAULT_ROLLOVER,
        partSize: input.partSize,
      }),
  );

  try {
    await runPool(
      range(totalSegments),
      input.concurrency ?? Math.min(totalSegments, 8),
      async (segment, poolSignal) => {
        const writer = writers[segment]!;
        const segmentProgress = progress.segments[segment]!;
        const pages = scanSegmentJson(clients.dynamodb, {
          table: input.table,
          segment,
          totalSegments,
          consistentRead: input.consistentRead,
          pageLimit: input.pageLimit ?? choosePageLimit(schema.approximateItemCount, schema.approximateSizeBytes),
          limiter,
          signal: poolSignal,
          onThrottle: () => progress.throttledRequests++,
        });
        await writePages(pages, writer, poolSignal, (items, consumedUnits, bytes) => {
          progress.uncompressedBytes += bytes;
          segmentProgress.items += items;
          progress.items += items;
          progress.consumedReadUnits += consumedUnits;
          onProgress?.(snapshot(progress));
        });
        await writer.finish();
        segmentProgress.done = true;
        onProgress?.(snapshot(progress));
      },
      signal,
    );
    throwIfAborted(signal);

    progress.phase = 'manifest';
    onProgress?.(snapshot(progress));
    const files = writers.flatMap((w) => w.files);
    const finished = now();
    const manifest = buildManifest(location, schema, input, files, totalSegments, started, finished);
    await writeManifest(clients.s3, location, manifest, input, signal);
    return {
      ...reportFrom(location, manifest, finished.getTime() - started.getTime()),
      ...engineFacts,
      ...(segmentsNote ? { segmentsNote } : {}),
      throttledRequests: progress.throttledRequests,
      consumedReadUnits: progress.consumedReadUnits,
    };
  } catch (err) {
    throw await cleanUpFailedBackup(clients.s3, location, writers, err);
  }
}

type ReportCore = Omit<
  BackupReport,
  'engine' | 'engineReason' | 'engineAdvice' | 'throttledRequests' | 'consumedReadUnits'
>;

function reportFrom(location: BackupLocation, manifest: BackupManifest, durationMs: number): ReportCore {
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

/**
 * The engine, and the PITR state when it was needed to decide. PITR is read only when the
 * export is asked for or could be chosen, so a small table's backup makes no extra call; a
 * denied read under auto falls back to the scan (the scan-only policy stays enough).
 */
async function decideEngine(
  clients: AwsClients,
  input: BackupTableInput,
  schema: TableSchema,
  signal: AbortSignal | undefined,
): Promise<{ decision: EngineDecision; pitr?: PitrState }> {
  const choice = input.engine ?? 'auto';
  const threshold = input.autoThresholdBytes ?? DEFAULT_AUTO_THRESHOLD_BYTES;
  const options = { thresholdBytes: threshold, incremental: input.incremental ?? false };
  const needsPitr =
    choice === 'export' || input.incremental || (choice === 'auto' && schema.approximateSizeBytes > threshold);
  if (!needsPitr) return { decision: chooseEngine(choice, schema, { enabled: false }, options) };
  try {
    const pitr = await describePitr(clients.dynamodb, input.table, signal);
    return { decision: chooseEngine(choice, schema, pitr, options), pitr };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (choice !== 'auto' || input.incremental || (code !== 'AccessDenied' && code !== 'PitrDisabled')) throw err;
    if (code === 'PitrDisabled') {
      return {
        decision: {
          engine: 'scan',
          reason: `the table is above the auto threshold, but ${(err as Error).message.replace(/^This/, 'this')} So it is scanned`,
        },
      };
    }
    return {
      decision: {
        engine: 'scan',
        reason:
          'the table is above the auto threshold, but its point-in-time recovery setting could not be read (AccessDenied), so it is scanned',
        advice:
          'Grant dynamodb:DescribeContinuousBackups ("coldkeep policy generate --operations backup-table-export") to let auto choose the export.',
      },
    };
  }
}

function snapshot(progress: BackupProgress): BackupProgress {
  return { ...progress, segments: progress.segments.map((s) => ({ ...s })) };
}

function buildManifest(
  location: BackupLocation,
  schema: TableSchema,
  input: BackupTableInput,
  files: DataFileResult[],
  totalSegments: number,
  started: Date,
  finished: Date,
): BackupManifest {
  const dir = backupDir(location);
  return {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    backupId: location.backupId,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    engine: 'scan',
    kind: 'full',
    source: { account: location.account, region: location.region, table: location.table },
    schema,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    itemCount: files.reduce((n, f) => n + f.items, 0),
    uncompressedBytes: files.reduce((n, f) => n + f.uncompressedBytes, 0),
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    segments: { total: totalSegments, consistentRead: input.consistentRead ?? false },
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
async function writeManifest(
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

/**
 * Aborts open uploads and removes finished data files of a backup that will never get its
 * manifest. Returns the error to throw, with what was removed and what was left behind.
 */
async function cleanUpFailedBackup(
  s3: S3Client,
  location: BackupLocation,
  writers: SegmentWriter[],
  cause: unknown,
): Promise<ColdkeepError> {
  const abortedUploads = writers.map((w) => w.openKey).filter((k): k is string => k !== undefined);
  await Promise.all(writers.map((w) => w.abort()));
  const finishedKeys = writers.flatMap((w) => w.files.map((f) => f.key));
  const leftBehind: string[] = [];
  for (let i = 0; i < finishedKeys.length; i += 1000) {
    const batch = finishedKeys.slice(i, i + 1000);
    try {
      const result = await s3.send(
        new DeleteObjectsCommand({
          Bucket: location.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      leftBehind.push(...(result.Errors ?? []).map((e) => e.Key ?? '?'));
    } catch {
      // Locked objects, missing permission or a dead connection: say so rather than hide it.
      leftBehind.push(...batch);
    }
  }
  const details = {
    backupId: location.backupId,
    manifestWritten: false,
    abortedUploads,
    removedFiles: finishedKeys.filter((k) => !leftBehind.includes(k)),
    leftBehind,
  };
  const aftermath =
    `No manifest was written, so this is not a backup. ${abortedUploads.length} upload(s) aborted, ` +
    `${details.removedFiles.length} finished data file(s) removed` +
    (leftBehind.length
      ? `; ${leftBehind.length} could not be removed and remain under ${s3Uri(location.bucket, backupDir(location))}`
      : '') +
    '.';
  return withAftermath(cause, {
    job: `Backup of ${location.table}`,
    summary: aftermath,
    details,
    fallbackCode: 'BackupIncomplete',
    fallbackHint: 'Run the backup again; if it keeps failing, the cause above says what to fix.',
  });
}

/**
 * Writes a segment's pages. While one page's lines wait for the upload the next page is already
 * being read, and nothing here keeps the written page: with `writePage` turning items into lines
 * at once and `scanSegment` dropping each page when asked for the next, pages die young instead
 * of piling up in V8's old generation (a 1M-item backup's heap was mostly such pages).
 */
async function writePages(
  pages: AsyncGenerator<ScanPage<Buffer>>,
  writer: SegmentWriter,
  signal: AbortSignal | undefined,
  onPage: (items: number, consumedUnits: number, bytes: number) => void,
): Promise<void> {
  let pending = pages.next();
  for (;;) {
    // A page read before a cancel is not written after it.
    throwIfAborted(signal);
    const step = await takePage(pending, pages, writer, signal);
    if (!step) return;
    pending = step.next;
    onPage(step.items, step.consumedUnits, await step.written);
  }
}

/** Starts writing the page `pending` brings and asks for the next; keeps no reference to the page. */
async function takePage(
  pending: Promise<IteratorResult<ScanPage<Buffer>>>,
  pages: AsyncGenerator<ScanPage<Buffer>>,
  writer: SegmentWriter,
  signal: AbortSignal | undefined,
): Promise<
  | { written: Promise<number>; next: Promise<IteratorResult<ScanPage<Buffer>>>; items: number; consumedUnits: number }
  | undefined
> {
  const result = await pending;
  if (result.done) return undefined;
  throwIfAborted(signal);
  const { items, consumedUnits } = result.value;
  const written = writer.writePage(items);
  const next = pages.next();
  // Observed when awaited; until then a failed read must not count as unhandled.
  next.catch(() => undefined);
  return { written, next, items: items.length, consumedUnits };
}
