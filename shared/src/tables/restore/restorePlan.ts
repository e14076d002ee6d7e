import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { parseS3Uri, s3Uri } from '../../storage/bucketKeys';
import { readNativeExport, readObjectText } from '../backup/nativeExport';
import { MANIFEST_NAME } from '../repository/layout';
import { type BackupManifest, parseManifest } from '../repository/manifest';
import { findBackup } from '../repository/listBackups';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import type { TableSchema } from '../source/tableSchema';

/** Where to restore from: an S3 URI, or a table's backup by id (or "latest"). */
export type RestoreSource = { uri: string } | { bucket: string; prefix?: string; table: string; backupId: string };

export interface PlannedFile {
  /** Full object key. */
  key: string;
  /** Items (or change records) the backup says the file holds, when it says. */
  items?: number;
  bytes?: number;
  /** Hex SHA-256 (Coldkeep's scan). */
  sha256?: string;
  /** Base64 MD5 (DynamoDB exports, native or made by Coldkeep's export engine). */
  md5?: string;
  /** S3 version id the backup recorded (versioned buckets): the version read, whatever is current. */
  versionId?: string;
}

/** One backup to apply: a full one, or the changes of an incremental one. Steps run in order. */
export interface RestoreStep {
  kind: 'full' | 'incremental';
  /** s3:// URI of the backup (or export) folder. */
  uri: string;
  backupId?: string;
  /** Items (full) or change records (incremental) the backup says it holds. */
  itemCount?: number;
  /** The records carry old images (NEW_AND_OLD_IMAGES), so each says whether its item existed before. */
  oldImages: boolean;
  files: PlannedFile[];
}

export interface RestorePlan {
  kind: 'coldkeep' | 'native-export';
  bucket: string;
  /** s3:// URI of what is restored (the newest backup of a chain). */
  uri: string;
  backupId?: string;
  sourceTable?: string;
  /** Account, region and table the backup was made of (Coldkeep backups only). */
  source?: BackupManifest['source'];
  /** How the newest backup's objects are stored: SSE, its KMS key, Object Lock (Coldkeep backups only). */
  storage?: BackupManifest['storage'];
  /** Saved schema (Coldkeep backups only; a native export does not carry one). */
  schema?: TableSchema;
  /** Items a full backup holds; for a chain, the lines of every step. */
  itemCount?: number;
  /** Full backup first, then each incremental in order; one step for a single backup. */
  steps: RestoreStep[];
  /** Every file of every step, in order. */
  files: PlannedFile[];
  /**
   * The base is a point in time (an export) and every incremental carries old images, so
   * the count the target must end with is known exactly; a scanned base is not a snapshot.
   */
  exactChainCount: boolean;
}

function planOf(
  base: Omit<RestorePlan, 'files' | 'itemCount' | 'exactChainCount'>,
  exactChainCount: boolean,
): RestorePlan {
  const counts = base.steps.map((s) => s.itemCount);
  return {
    ...base,
    files: base.steps.flatMap((s) => s.files),
    ...(counts.every((c) => c !== undefined) ? { itemCount: counts.reduce((a, b) => a! + b!, 0) } : {}),
    exactChainCount,
  };
}

function dirOf(manifestKey: string): string {
  return manifestKey.slice(0, manifestKey.length - MANIFEST_NAME.length);
}

function coldkeepStep(bucket: string, dir: string, manifest: BackupManifest): RestoreStep {
  return {
    kind: manifest.kind ?? 'full',
    uri: s3Uri(bucket, dir),
    backupId: manifest.backupId,
    itemCount: manifest.itemCount,
    oldImages: manifest.export?.viewType === 'NEW_AND_OLD_IMAGES',
    files: manifest.files.map((f) => ({
      key: dir + f.key,
      items: f.items,
      ...(f.bytes ? { bytes: f.bytes } : {}),
      ...(f.sha256 ? { sha256: f.sha256 } : {}),
      ...(f.md5 ? { md5: f.md5 } : {}),
      ...(f.versionId ? { versionId: f.versionId } : {}),
    })),
  };
}

const MAX_CHAIN = 10_000;

/** A Coldkeep backup, and for an incremental one its parents back to the full backup. */
async function coldkeepPlan(
  s3: S3Client,
  bucket: string,
  manifestKey: string,
  text: string,
  signal?: AbortSignal,
): Promise<RestorePlan> {
  const newest = parseManifest(text, s3Uri(bucket, manifestKey));
  const steps = [coldkeepStep(bucket, dirOf(manifestKey), newest)];
  let current = newest;
  let dir = dirOf(manifestKey);
  while (current.kind === 'incremental') {
    if (!current.parent || steps.length > MAX_CHAIN) {
      throw new ColdkeepError(
        'ManifestInvalid',
        `The incremental backup ${current.backupId} does not name its parent.`,
        {
          hint: 'Restore from a full backup instead.',
        },
      );
    }
    // Parents live beside their children: <…>/<table>/<parentId>/manifest.json
    const parentDir = dir.replace(/[^/]+\/$/, `${current.parent.backupId}/`);
    const parentKey = parentDir + MANIFEST_NAME;
    const parentText = await readObjectText(s3, bucket, parentKey, signal);
    if (parentText === undefined) {
      throw new ColdkeepError(
        'BackupNotFound',
        `The chain of ${newest.backupId} is broken: its ancestor ${current.parent.backupId} has no manifest at ${s3Uri(bucket, parentKey)}.`,
        {
          hint: 'Restore the newest full backup, or an incremental one whose chain is whole ("coldkeep backups list" shows chains).',
        },
      );
    }
    current = parseManifest(parentText, s3Uri(bucket, parentKey));
    dir = parentDir;
    steps.unshift(coldkeepStep(bucket, dir, current));
  }
  return planOf(
    {
      kind: 'coldkeep',
      bucket,
      uri: steps.at(-1)!.uri,
      backupId: newest.backupId,
      sourceTable: newest.source.table,
      source: newest.source,
      storage: newest.storage,
      schema: newest.schema,
      steps,
    },
    steps.length === 1 || (current.engine === 'export' && steps.slice(1).every((s) => s.oldImages)),
  );
}

async function nativePlan(s3: S3Client, bucket: string, summaryKey: string, text: string, signal?: AbortSignal) {
  const native = await readNativeExport(s3, bucket, summaryKey, text, signal);
  const sourceTable = native.summary.tableArn?.split('/').pop();
  const uri = s3Uri(bucket, summaryKey.slice(0, summaryKey.lastIndexOf('/') + 1));
  return planOf(
    {
      kind: 'native-export' as const,
      bucket,
      uri,
      ...(sourceTable ? { sourceTable } : {}),
      steps: [
        {
          kind: native.incremental ? ('incremental' as const) : ('full' as const),
          uri,
          ...(native.summary.itemCount !== undefined ? { itemCount: native.summary.itemCount } : {}),
          oldImages: native.summary.outputView === 'NEW_AND_OLD_IMAGES',
          files: native.files,
        },
      ],
    },
    !native.incremental,
  );
}

/** A warning when a backup is restored into another region than the one it was made in. */
export function regionNote(plan: RestorePlan, region: string): string | undefined {
  const from = plan.source?.region;
  if (!from || from === region) return undefined;
  return `The backup ${plan.backupId ?? plan.uri} was made of ${plan.source!.table} in ${from} (account ${plan.source!.account}); it is restored in ${region}.`;
}

/** Finds what to restore and reads its manifest, without touching any data. */
export async function planRestore(s3: S3Client, source: RestoreSource, signal?: AbortSignal): Promise<RestorePlan> {
  if (!('uri' in source)) {
    const backup = await findBackup(s3, source, signal);
    const text = await readObjectText(s3, backup.bucket, backup.manifestKey, signal);
    return coldkeepPlan(s3, backup.bucket, backup.manifestKey, text!, signal);
  }
  const parsed = parseS3Uri(source.uri);
  if (!parsed) {
    throw new ColdkeepError('InvalidInput', `"${source.uri}" is not an s3:// URI.`, {
      hint: 'Use s3://bucket/path/to/backup/ (the folder holding manifest.json), or a backup id or "latest" with {setting:table}.',
    });
  }
  const { bucket, key } = parsed;
  if (key.endsWith(MANIFEST_NAME)) {
    const text = await readObjectText(s3, bucket, key, signal);
    if (text !== undefined) return coldkeepPlan(s3, bucket, key, text, signal);
  }
  if (key.endsWith('manifest-summary.json')) {
    const text = await readObjectText(s3, bucket, key, signal);
    if (text !== undefined) return nativePlan(s3, bucket, key, text, signal);
  }
  const dir = key === '' || key.endsWith('/') ? key : `${key}/`;
  const manifestText = await readObjectText(s3, bucket, dir + MANIFEST_NAME, signal);
  if (manifestText !== undefined) return coldkeepPlan(s3, bucket, dir + MANIFEST_NAME, manifestText, signal);
  const summaryKey = await findNativeSummary(s3, bucket, dir, signal);
  if (summaryKey)
    return nativePlan(s3, bucket, summaryKey, (await readObjectText(s3, bucket, summaryKey, signal))!, signal);
  throw new ColdkeepError(
    'BackupNotFound',
    `No backup at ${source.uri}: no manifest.json or manifest-summary.json there.`,
    {
      hint: 'A folder without a manifest is an incomplete backup. "coldkeep backups list" shows the complete ones.',
    },
  );
}

/** A native export folder (…/AWSDynamoDB/<exportId>/) somewhere below `dir`, if exactly one. */
async function findNativeSummary(s3: S3Client, bucket: string, dir: string, signal?: AbortSignal) {
  const found: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3
      .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: dir, ContinuationToken: token }), {
        abortSignal: signal,
      })
      .catch((err: unknown) => {
        throw fromAwsError(err, { doing: `list ${s3Uri(bucket, dir)}`, bucket });
      });
    for (const o of page.Contents ?? []) if (o.Key?.endsWith('/manifest-summary.json')) found.push(o.Key);
    token = page.NextContinuationToken;
  } while (token && found.length < 2);
  if (found.length > 1) {
    throw new ColdkeepError('InvalidInput', `${s3Uri(bucket, dir)} holds more than one DynamoDB export.`, {
      hint: `Name one, e.g. ${s3Uri(bucket, found[0]!.replace(/manifest-summary\.json$/, ''))}.`,
    });
  }
  return found[0];
}
