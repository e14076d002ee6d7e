import { GetObjectCommand, ListObjectsV2Command, type S3Client, type _Object } from '@aws-sdk/client-s3';
import { backupIdTime } from '../../storage/backupId';
import { normalizePrefix, s3Uri } from '../../storage/bucketKeys';
import { type BackupLocation, backupDir, manifestKey, parseManifestKey, tablesRoot } from './layout';
import { type BackupManifest, parseManifest } from './manifest';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { runPool } from '../../base/jobs/pool';

export interface CatalogQuery {
  bucket: string;
  prefix?: string;
  /** Only backups of this table. */
  table?: string;
}

export interface BackupSummary extends BackupLocation {
  manifestKey: string;
  /** s3:// URI of the backup's folder. */
  uri: string;
  createdAt: string;
  itemCount: number;
  bytes: number;
  files: number;
  /** Storage class of the data files ("STANDARD", "GLACIER", … or "mixed"). */
  storageClass: string;
  /** Who read the table: Coldkeep's scan or DynamoDB's managed export. */
  engine: 'scan' | 'export';
  kind: 'full' | 'incremental';
  parentBackupId?: string;
  /**
   * The backups a restore of this one applies, oldest first: the full backup, then each
   * incremental up to this one. Just [backupId] for a full backup.
   */
  chain: string[];
  /** An ancestor of this incremental backup is missing: it cannot be restored. */
  chainBroken?: boolean;
  /** Object Lock retention the backup was written with (it may have run out: compare with now). */
  objectLock?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; retainUntil: string };
}

/** A backup folder with data but no manifest: a failed or running backup, never listed as a backup. */
export interface IncompleteBackup {
  uri: string;
  table: string;
  backupId: string;
  objects: number;
  bytes: number;
  /** When its newest object was written (ISO 8601): how long ago the run last made progress. */
  lastModified?: string;
}

/**
 * A backup folder whose manifest cannot be read as one (truncated, not JSON, not Coldkeep's):
 * listed apart, never restored, and never taken for "latest".
 */
export interface DamagedBackup {
  uri: string;
  manifestKey: string;
  table: string;
  backupId: string;
  /** What is wrong with the manifest: its error code and message. */
  problem: { code: string; message: string };
}

export interface Catalog {
  backups: BackupSummary[];
  incomplete: IncompleteBackup[];
  /** Backups whose manifest is unreadable; the others are listed all the same. */
  damaged: DamagedBackup[];
}

/** The backup folder (…/tables/<account>/<region>/<table>/<backupId>/) a key lies in, if any. */
export function backupFolderOf(key: string): string | undefined {
  return /^((?:.*\/)?tables\/[^/]+\/[^/]+\/[^/]+\/[^/]+\/)/.exec(key)?.[1];
}

interface Folder {
  location?: BackupLocation;
  dataObjects: _Object[];
}

/**
 * Lists the backups in a bucket, newest first. The manifests are the catalog: a folder
 * without one is reported apart, as incomplete.
 */
export async function listBackups(s3: S3Client, query: CatalogQuery, signal?: AbortSignal): Promise<Catalog> {
  const prefix = normalizePrefix(query.prefix);
  const folders = new Map<string, Folder>();
  let token: string | undefined;
  try {
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: query.bucket, Prefix: tablesRoot(prefix), ContinuationToken: token }),
        { abortSignal: signal },
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        const dir = backupFolderOf(key);
        if (!dir) continue;
        const folder = folders.get(dir) ?? { dataObjects: [] };
        folders.set(dir, folder);
        const location = parseManifestKey(query.bucket, key);
        if (location) folder.location = location;
        else folder.dataObjects.push(object);
      }
      token = page.NextContinuationToken;
    } while (token);
  } catch (err) {
    throw fromAwsError(err, { doing: `list backups in ${query.bucket}`, bucket: query.bucket });
  }

  const wanted = [...folders.entries()].filter(([dir]) => !query.table || dir.split('/').at(-3) === query.table);
  const backups: BackupSummary[] = [];
  const incomplete: IncompleteBackup[] = [];
  const damaged: DamagedBackup[] = [];
  const complete = wanted.filter(([, f]) => f.location) as [string, Required<Folder>][];
  for (const [dir, folder] of wanted) {
    if (folder.location) continue;
    const parts = dir.split('/');
    incomplete.push({
      uri: s3Uri(query.bucket, dir),
      table: parts.at(-3) ?? '?',
      backupId: parts.at(-2) ?? '?',
      objects: folder.dataObjects.length,
      bytes: folder.dataObjects.reduce((n, o) => n + (o.Size ?? 0), 0),
      ...lastModifiedOf(folder.dataObjects),
    });
  }
  await runPool(
    complete,
    8,
    async ([, folder]) => {
      let manifest: BackupManifest;
      try {
        manifest = await getManifest(s3, folder.location, signal);
      } catch (err) {
        // One unreadable manifest must not hide the other backups: it is reported apart.
        // A manifest gone since the listing (deleted meanwhile) is no backup at all.
        if (err instanceof ColdkeepError && err.code === 'BackupNotFound') return;
        if (!(err instanceof ColdkeepError && err.code === 'ManifestInvalid')) throw err;
        damaged.push({
          uri: s3Uri(folder.location.bucket, backupDir(folder.location)),
          manifestKey: manifestKey(folder.location),
          table: folder.location.table,
          backupId: folder.location.backupId,
          problem: { code: err.code, message: err.message },
        });
        return;
      }
      backups.push(summarize(folder.location, manifest, folder.dataObjects));
    },
    signal,
  );
  linkChains(backups);
  backups.sort((a, b) => b.backupId.localeCompare(a.backupId) || a.table.localeCompare(b.table));
  incomplete.sort((a, b) => b.backupId.localeCompare(a.backupId));
  damaged.sort((a, b) => b.backupId.localeCompare(a.backupId) || a.table.localeCompare(b.table));
  return { backups, incomplete, damaged };
}

function lastModifiedOf(objects: _Object[]): { lastModified?: string } {
  const times = objects.map((o) => o.LastModified?.getTime() ?? 0).filter((t) => t > 0);
  return times.length ? { lastModified: new Date(Math.max(...times)).toISOString() } : {};
}

function summarize(location: BackupLocation, manifest: BackupManifest, data: _Object[]): BackupSummary {
  const classes = new Set(data.map((o) => o.StorageClass ?? 'STANDARD'));
  return {
    ...location,
    manifestKey: manifestKey(location),
    uri: s3Uri(location.bucket, backupDir(location)),
    createdAt: (backupIdTime(location.backupId) ?? new Date(manifest.startedAt)).toISOString(),
    itemCount: manifest.itemCount,
    bytes: manifest.bytes,
    files: manifest.files.length,
    storageClass: classes.size === 0 ? 'STANDARD' : classes.size === 1 ? [...classes][0]! : 'mixed',
    engine: manifest.engine,
    kind: manifest.kind ?? 'full',
    ...(manifest.parent ? { parentBackupId: manifest.parent.backupId } : {}),
    chain: [location.backupId],
    ...(manifest.storage.objectLock ? { objectLock: manifest.storage.objectLock } : {}),
  };
}

/** Follows each incremental backup's parents back to its full backup (same table folder). */
function linkChains(backups: BackupSummary[]): void {
  const folderOf = (b: BackupSummary): string => b.uri.slice(0, b.uri.length - b.backupId.length - 1);
  const byFolder = new Map(backups.map((b) => [b.uri, b]));
  for (const backup of backups) {
    const chain = [backup.backupId];
    let current = backup;
    while (current.kind === 'incremental') {
      const parent = current.parentBackupId
        ? byFolder.get(`${folderOf(current)}${current.parentBackupId}/`)
        : undefined;
      if (!parent || chain.length > backups.length) {
        backup.chainBroken = true;
        break;
      }
      chain.unshift(parent.backupId);
      current = parent;
    }
    backup.chain = chain;
  }
}

export async function getManifest(
  s3: S3Client,
  location: BackupLocation,
  signal?: AbortSignal,
): Promise<BackupManifest> {
  const key = manifestKey(location);
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }), {
      abortSignal: signal,
    });
    return parseManifest(await response.Body!.transformToString(), s3Uri(location.bucket, key));
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') {
      throw new ColdkeepError('BackupNotFound', `There is no backup manifest at ${s3Uri(location.bucket, key)}.`, {
        hint: 'A folder without manifest.json is an incomplete backup. "coldkeep backups list" shows the complete ones.',
        cause: err,
      });
    }
    throw fromAwsError(err, { doing: 'read a backup manifest', bucket: location.bucket });
  }
}

/** One backup of a table by id, or the newest with "latest". */
export async function findBackup(
  s3: S3Client,
  query: CatalogQuery & { table: string; backupId: string },
  signal?: AbortSignal,
): Promise<BackupSummary> {
  const { backups, damaged } = await listBackups(s3, query, signal);
  const found = query.backupId === 'latest' ? backups[0] : backups.find((b) => b.backupId === query.backupId);
  // "latest" never falls back silently past a newer backup that cannot be read: the user asked
  // for the newest state, and the newest backup is damaged. Refuse and name both.
  const newerDamaged = damaged.find((d) =>
    query.backupId === 'latest' ? !found || d.backupId > found.backupId : d.backupId === query.backupId,
  );
  if (newerDamaged) {
    const readable = backups[0];
    const where = `s3://${query.bucket}/${normalizePrefix(query.prefix)}`;
    throw new ColdkeepError(
      'BackupDamaged',
      `The ${query.backupId === 'latest' ? 'newest ' : ''}backup ${newerDamaged.backupId} of "${query.table}" is damaged: ` +
        `${newerDamaged.manifestKey} cannot be read (${newerDamaged.problem.message})`,
      {
        hint: readable
          ? `The newest readable backup is ${readable.backupId}: restore it by id ("coldkeep restore ${readable.backupId} --table ${query.table} --bucket ${query.bucket}"), or repair or delete the damaged folder ${newerDamaged.uri}.`
          : `Table "${query.table}" has no readable backup in ${where}. Check whether ${newerDamaged.manifestKey} was overwritten (an older version may exist in a versioned bucket).`,
        details: { damaged: newerDamaged, ...(readable ? { newestReadable: readable.backupId } : {}) },
      },
    );
  }
  if (!found) {
    const what = query.backupId === 'latest' ? 'no backups' : `no backup ${query.backupId}`;
    throw new ColdkeepError(
      'BackupNotFound',
      `Table "${query.table}" has ${what} in s3://${query.bucket}/${normalizePrefix(query.prefix)}.`,
      {
        hint: `"coldkeep backups list --bucket ${query.bucket} --table ${query.table}" lists the backups there.`,
      },
    );
  }
  return found;
}
