import { type LeftOut } from '../../base/jobs/jobOutcome';
import { type StorageOptions } from '../../storage/storageOptions';

export interface FolderBackupInput extends StorageOptions {
  /** The folder to back up. */
  dir: string;
  bucket: string;
  /** Key prefix in the bucket; "coldkeep" by default. */
  prefix?: string;
  /** Source name; by default the folder's name and a hash of host and path (defaultSourceName). */
  source?: string;
  /** Extra excludes in gitignore syntax, relative to `dir`. */
  excludes?: string[];
  /** Leave out the default excludes (OS litter: .DS_Store, Thumbs.db, …). */
  defaultExcludes?: boolean;
  /** Skip files larger than this many bytes (with a note in the report). */
  maxFileSize?: number;
  /** The snapshot to compare with; the source's latest by default, "none" to read every file. */
  parent?: string;
  /** Files hashed and uploaded at once (default 8). */
  concurrency?: number;
  /** Files up to this size are read into memory and sent in one request; bigger ones stream multipart (default 8 MiB). */
  multipartThreshold?: number;
  /** Multipart part size (default 8 MiB). */
  partSize?: number;
  /**
   * Files up to this size go into packs of about `packSize` bytes instead of an object each
   * (default 1 MiB; 0 stores every file as an object of its own).
   */
  packFilesUpTo?: number;
  /** Target size of a pack (default 8 MiB). */
  packSize?: number;
  /** A lock not refreshed for this long is stale (default 30 minutes). */
  lockStaleMs?: number;
  /** For tests: the clock. */
  now?: () => Date;
}

export interface FolderBackupProgress {
  phase: 'prepare' | 'scan' | 'manifest';
  source: string;
  snapshotId?: string;
  files: number;
  bytes: number;
  /** Files whose size and mtime matched the parent, not read. */
  unchangedFiles: number;
  /** Files read and hashed. */
  hashedFiles: number;
  hashedBytes: number;
  uploadedBlobs: number;
  uploadedBytes: number;
  skipped: number;
}

/** A path left out of a snapshot: why, and what to do (see LeftOut's kinds). */
export type SkippedPath = LeftOut;

export interface FolderBackupReport {
  snapshotId: string;
  source: string;
  bucket: string;
  /** s3:// URI of the source's folder. */
  uri: string;
  snapshotKey: string;
  dir: string;
  parent?: string;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  unchangedFiles: number;
  hashedFiles: number;
  hashedBytes: number;
  uploadedBlobs: number;
  uploadedBytes: number;
  /** Pack objects uploaded (small files' blobs go into packs). */
  uploadedPacks: number;
  /**
   * Folder trees stored by this run (format 3), and their bytes: only the folders whose content
   * changed since the parent (and those above them); 0 when nothing changed.
   */
  uploadedTrees: number;
  uploadedTreeBytes: number;
  /**
   * `partial` when something asked for is not in the snapshot (a path that could not be read);
   * decided by jobOutcome from `skipped`, the same for every front end.
   */
  status: 'succeeded' | 'partial';
  /** What is not in the snapshot, why, and what to do; only `unreadable` ones make it partial. */
  skipped: SkippedPath[];
  /**
   * Files that kept changing while they were read: stored as last read (a warning, not a skip),
   * their entries marked `changedWhileRead`.
   */
  changedWhileReading: string[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}
