import { hostname } from 'node:os';
import { type AwsClients } from '../../base/aws/clients';
import { TOOL_NAME, TOOL_VERSION } from '../../base/version';
import { DEFAULT_LIFECYCLE_TAG } from '../../storage/storageOptions';
import { BlobStore, knownBlobs } from '../repository/blobStore';
import { damageForBackup, type DamagedObjects } from '../repository/damageRecords';
import { type SourceLocation } from '../repository/layout';
import { readSnapshot, resolveSnapshotId } from '../repository/snapshotCatalog';
import {
  type FileEntry,
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMAT_VERSION,
  type SnapshotManifest,
} from '../repository/snapshotManifest';
import { snapshotEntries } from '../repository/snapshotEntries';
import { type SnapshotHead, SnapshotWriter } from '../repository/snapshotWriter';
import { TreeStore } from '../repository/treeStore';
import { type ExcludeRules } from '../source/excludes';
import type { FolderBackupInput, FolderBackupProgress, SkippedPath } from './backupReport';

/** Sizes that decide how a file is read and stored, from the input with its floors applied. */
export interface BackupLimits {
  /** Files up to this size are read whole; bigger ones are streamed. */
  multipartThreshold: number;
  partSize: number;
  /** Files up to this size go into packs (0: none). */
  packFilesUpTo: number;
  packSize: number;
}

/** What is settled before the source is locked: checked input, names, limits, the progress. */
export interface BackupStart {
  clients: AwsClients;
  input: FolderBackupInput;
  signal?: AbortSignal;
  now: () => Date;
  started: Date;
  dir: string;
  loc: SourceLocation;
  snapshotId: string;
  excludes: ExcludeRules;
  limits: BackupLimits;
  progress: FolderBackupProgress;
  onProgress?: (progress: FolderBackupProgress) => void;
}

/** What one folder backup run knows as it goes, once the source is locked; each phase reads and updates it. */
export interface FolderBackupRun extends BackupStart {
  /** The snapshot compared with: unchanged files are taken from it without being read. */
  parent?: SnapshotManifest;
  parentFiles: Map<string, FileEntry>;
  /** Objects a verify or restore found damaged: never reused. */
  damaged: DamagedObjects;
  blobs: BlobStore;
  /** The folder trees: the parent's are reused where a folder's content is unchanged. */
  trees: TreeStore;
  head: SnapshotHead;
  manifest: SnapshotWriter;
  skipped: SkippedPath[];
  changedWhileReading: string[];
  counts: { dirs: number; symlinks: number };
  /** Sends a copy of the progress, with the blob store's upload counters. */
  emit: () => void;
}

const MiB = 1024 * 1024;

export function backupLimits(input: FolderBackupInput): BackupLimits {
  const multipartThreshold = Math.max(input.multipartThreshold ?? 8 * MiB, 5 * MiB);
  return {
    multipartThreshold,
    partSize: Math.max(input.partSize ?? 8 * MiB, 5 * MiB),
    // Only files read whole can be packed: the limit never exceeds the multipart threshold.
    packFilesUpTo: Math.min(Math.max(input.packFilesUpTo ?? MiB, 0), multipartThreshold),
    packSize: Math.max(input.packSize ?? 8 * MiB, 1),
  };
}

/**
 * Phase "prepare", under the lock: the parent tells which files are unchanged and which blobs
 * surely exist. Without one, the listing of stored blobs does (and lets a re-run after a failure
 * reuse its uploads). It is read under the lock: a prune cannot remove its blobs from now on.
 * What a verify or restore found damaged is never reused (damageRecords.ts), read beside the parent.
 */
export async function openRun(start: BackupStart, parentIds: string[]): Promise<FolderBackupRun> {
  const { clients, input, loc, signal, limits } = start;
  const readParent = async (): Promise<SnapshotManifest | undefined> => {
    if (input.parent === 'none') return undefined;
    const ids = input.parent ? [await resolveSnapshotId(clients.s3, loc, input.parent, signal)] : parentIds;
    return ids[0] ? readSnapshot(clients.s3, loc, ids[0], signal) : undefined;
  };
  const [parent, damaged] = await Promise.all([readParent(), damageForBackup(clients.s3, loc, signal)]);
  // Every tree of a format 3 parent is read (and checked against its name): its files tell
  // which are unchanged, and its trees are reused by the folders whose content is the same.
  const { entries: parentEntries, trees: knownTrees } = parent
    ? await snapshotEntries(clients.s3, loc, parent, { signal })
    : { entries: [], trees: new Map() };
  const parentFiles = new Map<string, FileEntry>();
  for (const e of parentEntries) if (e.type === 'file') parentFiles.set(e.path, e);
  const { known, complete } = await knownBlobs(
    clients.s3,
    loc,
    parentFiles.values(),
    parent?.finishedAt,
    signal,
    damaged,
  );
  const blobs = new BlobStore({
    s3: clients.s3,
    location: loc,
    storage: input,
    partSize: limits.partSize,
    packSize: limits.packSize,
    known,
    complete,
    damaged,
    signal,
    now: start.now,
  });
  const trees = new TreeStore({
    s3: clients.s3,
    location: loc,
    storage: input,
    packSize: limits.packSize,
    known: knownTrees,
    signal,
    now: start.now,
  });
  const head = snapshotHead(start, parent);
  const { progress, onProgress } = start;
  return {
    ...start,
    parent,
    parentFiles,
    damaged,
    blobs,
    trees,
    head,
    manifest: new SnapshotWriter(head, trees),
    skipped: [],
    changedWhileReading: [],
    counts: { dirs: 0, symlinks: 0 },
    emit: () => {
      progress.uploadedBlobs = blobs.uploadedBlobs;
      progress.uploadedBytes = blobs.uploadedBytes;
      onProgress?.({ ...progress });
    },
  };
}

/** The manifest's fields known at the start: what, from where, by what, and how it is stored. */
function snapshotHead(start: BackupStart, parent: SnapshotManifest | undefined): SnapshotHead {
  const { input } = start;
  const lifecycleTag = input.lifecycleTag === undefined ? DEFAULT_LIFECYCLE_TAG : input.lifecycleTag;
  return {
    format: SNAPSHOT_FORMAT,
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    snapshotId: start.snapshotId,
    source: start.loc.source,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    host: hostname(),
    dir: start.dir,
    ...(parent ? { parent: parent.snapshotId } : {}),
    startedAt: start.started.toISOString(),
    excludes: start.excludes.patterns,
    storage: {
      ...(lifecycleTag ? { lifecycleTag: { key: lifecycleTag.key, value: lifecycleTag.value } } : {}),
      ...(input.sse ? { sse: input.sse } : {}),
      ...(input.objectLock
        ? { objectLock: { mode: input.objectLock.mode, retainUntil: input.objectLock.retainUntil.toISOString() } }
        : {}),
    },
  };
}
