import {
  DescribeExportCommand,
  type ExportDescription,
  ExportTableToPointInTimeCommand,
  type ExportTableToPointInTimeCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  ListObjectsV2Command,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AwsClients } from '../../base/aws/clients';
import { getManifest, listBackups } from '../repository/listBackups';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withAftermath } from '../../base/errors/withAftermath';
import { type JobOptions, sleep, throwIfAborted } from '../../base/jobs/job';
import { runPool } from '../../base/jobs/pool';
import type { TableSchema } from '../source/tableSchema';
import { TOOL_NAME, TOOL_VERSION } from '../../base/version';
import type { PitrState } from './chooseEngine';
import { s3Uri } from '../../storage/bucketKeys';
import { type BackupLocation, backupDir } from '../repository/layout';
import {
  type BackupManifest,
  backupPointInTime,
  MANIFEST_FORMAT,
  MANIFEST_FORMAT_VERSION,
} from '../repository/manifest';
import { readNativeExport } from './nativeExport';
import { DEFAULT_LIFECYCLE_TAG, lifecycleTags, type StorageOptions } from '../../storage/storageOptions';

/**
 * Incremental exports carry old images too: the restore of a chain then knows, record by
 * record, whether the item existed before, and so the exact count the table must end with.
 * The price is larger change files; restore itself only needs the new image and the keys.
 */
export const INCREMENTAL_VIEW = 'NEW_AND_OLD_IMAGES' as const;
/** DynamoDB's limits on one incremental export's window. */
export const MIN_INCREMENTAL_WINDOW_MS = 15 * 60_000;
export const MAX_INCREMENTAL_WINDOW_MS = 24 * 3_600_000;
const DEFAULT_POLL_MS = 10_000;

export interface ExportEngineOptions extends StorageOptions {
  bucket: string;
  prefix: string;
  /** Point in the PITR window to export (full) or export up to (incremental); latest by default. */
  at?: Date;
  incremental?: boolean;
  /** DescribeExport polling interval (default 10 s). */
  pollIntervalMs?: number;
}

export interface ExportEngineProgress {
  exportArn?: string;
  exportStatus?: string;
}

export interface ExportOutcome {
  manifest: BackupManifest;
  exportArn: string;
}

/** The previous backup of the table (same account and region) an incremental one follows. */
async function findParent(
  s3: S3Client,
  location: BackupLocation,
  signal: AbortSignal | undefined,
): Promise<{ manifest: BackupManifest; pointInTime: Date }> {
  const { backups } = await listBackups(
    s3,
    { bucket: location.bucket, prefix: location.prefix, table: location.table },
    signal,
  );
  const previous = backups.find((b) => b.account === location.account && b.region === location.region);
  if (!previous) {
    throw new ColdkeepError('BackupNotFound', `Table "${location.table}" has no backup to be incremental to.`, {
      hint: 'Make a full backup first (without {setting:incremental}); later incremental backups follow it.',
    });
  }
  const manifest = await getManifest(s3, previous, signal);
  return { manifest, pointInTime: new Date(backupPointInTime(manifest)) };
}

/** Checks an incremental window against DynamoDB's limits and the PITR window, before any export starts. */
export function checkIncrementalWindow(from: Date, to: Date, pitr: PitrState, parentId: string): void {
  const span = to.getTime() - from.getTime();
  const minutes = Math.round(span / 60_000);
  // The PITR window first: past it, no incremental export can ever cover the gap.
  if (pitr.earliest && from.getTime() < pitr.earliest.getTime()) {
    throw new ColdkeepError(
      'InvalidInput',
      `The previous backup ${parentId} (${from.toISOString()}) is older than the table's point-in-time recovery window (from ${pitr.earliest.toISOString()}).`,
      { hint: 'Make a full backup now (without {setting:incremental}).' },
    );
  }
  if (span < MIN_INCREMENTAL_WINDOW_MS) {
    throw new ColdkeepError(
      'InvalidInput',
      `The previous backup ${parentId} is from ${from.toISOString()}, only ${minutes} minute(s) before ${to.toISOString()}; an incremental export covers at least 15 minutes.`,
      { hint: 'Wait until 15 minutes have passed since the previous backup, or make a full backup.' },
    );
  }
  if (span > MAX_INCREMENTAL_WINDOW_MS) {
    throw new ColdkeepError(
      'InvalidInput',
      `The previous backup ${parentId} is from ${from.toISOString()}, more than 24 hours before ${to.toISOString()}; an incremental export covers at most 24 hours.`,
      {
        hint: 'Make a full backup now (without {setting:incremental}); schedule incremental backups at most a day apart.',
      },
    );
  }
}

/** --at must name a moment DynamoDB can still export: inside the table's PITR window. */
export function checkInPitrWindow(at: Date, pitr: PitrState): void {
  const early = pitr.earliest && at.getTime() < pitr.earliest.getTime();
  const late = pitr.latest && at.getTime() > pitr.latest.getTime();
  if (early || late) {
    const window = `${pitr.earliest?.toISOString() ?? '?'} … ${pitr.latest?.toISOString() ?? '?'}`;
    throw new ColdkeepError(
      'InvalidInput',
      `--at ${at.toISOString()} is outside the table's point-in-time recovery window (${window}).`,
      { hint: 'Give a time inside that window, or leave {setting:at} out to export the latest restorable time.' },
    );
  }
}

function exportRequest(
  schema: TableSchema,
  location: BackupLocation,
  options: ExportEngineOptions,
  window: { from: Date; to: Date } | undefined,
): ExportTableToPointInTimeCommandInput {
  const sse = options.sse;
  return {
    TableArn: schema.tableArn,
    S3Bucket: location.bucket,
    // The export lands under the backup's own data/ prefix: <backupDir>data/AWSDynamoDB/<exportId>/…
    S3Prefix: `${backupDir(location)}data`,
    ExportFormat: 'DYNAMODB_JSON',
    // The backup id makes a retried request idempotent: one backup, one export.
    ClientToken: location.backupId,
    ...(sse?.type === 'aws:kms'
      ? { S3SseAlgorithm: 'KMS' as const, ...(sse.kmsKeyId ? { S3SseKmsKeyId: sse.kmsKeyId } : {}) }
      : sse?.type === 'AES256'
        ? { S3SseAlgorithm: 'AES256' as const }
        : {}),
    ...(window
      ? {
          ExportType: 'INCREMENTAL_EXPORT' as const,
          IncrementalExportSpecification: {
            ExportFromTime: window.from,
            ExportToTime: window.to,
            ExportViewType: INCREMENTAL_VIEW,
          },
        }
      : { ExportType: 'FULL_EXPORT' as const, ...(options.at ? { ExportTime: options.at } : {}) }),
  };
}

/**
 * A backup made by DynamoDB's managed export: start ExportTableToPointInTime into the
 * backup's data/ prefix, poll DescribeExport, then tag the data files and write Coldkeep's
 * manifest (schema from DescribeTable, files and counts from the export's own manifests).
 * The manifest is written only after a COMPLETED export, so a failed or cancelled one is
 * never a backup.
 */
export async function exportBackup(
  clients: AwsClients,
  schema: TableSchema,
  location: BackupLocation,
  options: ExportEngineOptions,
  pitr: PitrState,
  started: Date,
  now: () => Date,
  { signal, onProgress }: JobOptions<ExportEngineProgress> = {},
): Promise<ExportOutcome> {
  if (!schema.tableArn) {
    throw new ColdkeepError('Unexpected', `DescribeTable gave no ARN for "${schema.tableName}".`, {
      hint: 'The export engine needs the table ARN; use {setting:engine=scan}.',
    });
  }
  if (options.at) checkInPitrWindow(options.at, pitr);
  let parent: { manifest: BackupManifest; pointInTime: Date } | undefined;
  let window: { from: Date; to: Date } | undefined;
  if (options.incremental) {
    parent = await findParent(clients.s3, location, signal);
    const to = options.at ?? pitr.latest ?? now();
    window = { from: parent.pointInTime, to };
    checkIncrementalWindow(window.from, window.to, pitr, parent.manifest.backupId);
  }
  throwIfAborted(signal);

  let description: ExportDescription | undefined;
  try {
    const response = await clients.dynamodb.send(
      new ExportTableToPointInTimeCommand(exportRequest(schema, location, options, window)),
      { abortSignal: signal },
    );
    description = response.ExportDescription;
  } catch (err) {
    throw fromAwsError(err, { doing: `start the export of ${location.table}`, table: location.table });
  }
  const exportArn = description?.ExportArn ?? '';
  onProgress?.({ exportArn, exportStatus: description?.ExportStatus ?? 'IN_PROGRESS' });

  try {
    while (description?.ExportStatus !== 'COMPLETED') {
      if (description?.ExportStatus === 'FAILED') {
        throw new ColdkeepError(
          'ExportFailed',
          `DynamoDB's export of ${location.table} failed: ${description.FailureCode ?? 'no code'}: ${description.FailureMessage ?? 'no message'}.`,
          {
            hint: 'Check that DynamoDB may write to the bucket (s3:PutObject on the prefix, kms:GenerateDataKey for SSE-KMS) and that the time is inside the PITR window.',
            details: { exportArn },
          },
        );
      }
      await sleep(options.pollIntervalMs ?? DEFAULT_POLL_MS, signal);
      try {
        description = (
          await clients.dynamodb.send(new DescribeExportCommand({ ExportArn: exportArn }), { abortSignal: signal })
        ).ExportDescription;
      } catch (err) {
        throw fromAwsError(err, { doing: `follow the export ${exportArn}`, table: location.table });
      }
      onProgress?.({ exportArn, exportStatus: description?.ExportStatus ?? '?' });
    }
    throwIfAborted(signal);

    const summaryKey = description.ExportManifest ?? '';
    const native = await readNativeExport(clients.s3, location.bucket, summaryKey, undefined, signal);
    const dir = backupDir(location);
    const outsideBackup = native.files.filter((f) => !f.key.startsWith(dir));
    if (outsideBackup.length) {
      throw new ColdkeepError(
        'ExportFailed',
        `The export wrote ${outsideBackup[0]!.key}, outside the backup's folder.`,
        {
          hint: 'Report this: Coldkeep asked for the prefix of the backup folder.',
        },
      );
    }
    const versions = await protectDataFiles(
      clients.s3,
      location.bucket,
      native.files.map((f) => f.key),
      options,
      signal,
    );
    const sizes = await objectSizes(clients.s3, location.bucket, `${dir}data/`, signal);
    const finished = now();
    const exportTime = description.ExportTime?.toISOString();
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      formatVersion: MANIFEST_FORMAT_VERSION,
      backupId: location.backupId,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      engine: 'export',
      kind: parent ? 'incremental' : 'full',
      ...(parent
        ? { parent: { backupId: parent.manifest.backupId, pointInTime: parent.pointInTime.toISOString() } }
        : {}),
      export: {
        exportArn,
        summaryKey: summaryKey.slice(dir.length),
        ...(window
          ? { fromTime: window.from.toISOString(), toTime: window.to.toISOString(), viewType: INCREMENTAL_VIEW }
          : exportTime
            ? { exportTime }
            : {}),
        ...(description.BilledSizeBytes !== undefined ? { billedSizeBytes: description.BilledSizeBytes } : {}),
      },
      source: { account: location.account, region: location.region, table: location.table },
      schema,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      itemCount: native.summary.itemCount ?? native.files.reduce((n, f) => n + (f.items ?? 0), 0),
      uncompressedBytes: 0,
      bytes: native.files.reduce((n, f) => n + (sizes.get(f.key) ?? 0), 0),
      files: native.files.map((f) => ({
        key: f.key.slice(dir.length),
        items: f.items ?? 0,
        bytes: sizes.get(f.key) ?? 0,
        ...(f.md5 ? { md5: f.md5 } : {}),
        ...(versions.has(f.key) ? { versionId: versions.get(f.key)! } : {}),
      })),
      storage: storageFacts(options),
    };
    return { manifest, exportArn };
  } catch (err) {
    const running = description?.ExportStatus === 'IN_PROGRESS';
    const uri = s3Uri(location.bucket, backupDir(location));
    throw withAftermath(err, {
      job: `Backup of ${location.table}`,
      summary:
        `No manifest was written, so this is not a backup. ` +
        (running
          ? `DynamoDB's export ${exportArn} cannot be stopped and keeps writing under ${uri}; the catalog lists it as incomplete — delete it once it is done.`
          : `What the export wrote stays under ${uri}; the catalog lists it as incomplete.`),
      details: { backupId: location.backupId, manifestWritten: false, exportArn, exportStillRunning: running },
      fallbackCode: 'ExportFailed',
      fallbackHint: 'Run the backup again; if it keeps failing, the cause above says what to fix.',
    });
  }
}

export function storageFacts(options: StorageOptions): BackupManifest['storage'] {
  const lifecycleTag = options.lifecycleTag === undefined ? DEFAULT_LIFECYCLE_TAG : options.lifecycleTag;
  return {
    ...(lifecycleTag ? { lifecycleTag: { key: lifecycleTag.key, value: lifecycleTag.value } } : {}),
    ...(options.sse ? { sse: options.sse } : {}),
    ...(options.objectLock
      ? { objectLock: { mode: options.objectLock.mode, retainUntil: options.objectLock.retainUntil.toISOString() } }
      : {}),
  };
}

/** Sizes of the objects under a prefix (the export's manifests do not give them). */
async function objectSizes(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal: AbortSignal | undefined,
): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  let token: string | undefined;
  try {
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        {
          abortSignal: signal,
        },
      );
      for (const o of page.Contents ?? []) if (o.Key) sizes.set(o.Key, o.Size ?? 0);
      token = page.NextContinuationToken;
    } while (token);
  } catch (err) {
    throw fromAwsError(err, { doing: `list ${s3Uri(bucket, prefix)}`, bucket });
  }
  return sizes;
}

/**
 * DynamoDB writes the export's objects without tags or retention: Coldkeep adds the lifecycle
 * tag (so the bucket's rule archives them like scanned data) and Object Lock retention.
 * Resolves to the version ids the tagging answers name (versioned buckets only): the versions
 * the manifest records, so a restore reads exactly those.
 */
async function protectDataFiles(
  s3: S3Client,
  bucket: string,
  keys: string[],
  options: StorageOptions,
  signal: AbortSignal | undefined,
): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  const tags = lifecycleTags(options);
  if (!tags.length && !options.objectLock) return versions;
  await runPool(
    keys,
    16,
    async (key, poolSignal) => {
      try {
        if (tags.length) {
          const tagged = await s3.send(
            new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: tags } }),
            { abortSignal: poolSignal },
          );
          if (tagged.VersionId && tagged.VersionId !== 'null') versions.set(key, tagged.VersionId);
        }
        if (options.objectLock) {
          await s3.send(
            new PutObjectRetentionCommand({
              Bucket: bucket,
              Key: key,
              Retention: { Mode: options.objectLock.mode, RetainUntilDate: options.objectLock.retainUntil },
            }),
            { abortSignal: poolSignal },
          );
        }
      } catch (err) {
        throw fromAwsError(err, { doing: `tag the exported data file ${key}`, bucket });
      }
    },
    signal,
  );
  return versions;
}
