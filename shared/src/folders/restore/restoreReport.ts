import type { KeyMaterial } from '../repository/sourceKeyring';
import type { RetrievalTier } from '../../storage/thawArchived';

export interface SnapshotRestoreInput {
  bucket: string;
  prefix?: string;
  source: string;
  /** The key of an encrypted source (asked for only when the snapshot is encrypted). */
  keys?: KeyMaterial;
  /** A snapshot id (or a unique start of one), or "latest". */
  snapshotId: string;
  /** The folder to restore into; created when missing. */
  target: string;
  /** Sub-paths or globs (gitignore syntax) to restore; everything by default. */
  paths?: string[];
  /** Replace files that exist in the target (default: leave them and report them). */
  overwrite?: boolean;
  /** Wait (polling) for archived blobs to be retrieved, instead of failing with ArchivedObjects. */
  wait?: boolean;
  tier?: RetrievalTier;
  /** Days a retrieved copy stays readable (default 7). */
  days?: number;
  pollIntervalMs?: number;
  /** Files downloaded at once (default 8). */
  concurrency?: number;
}

export interface SnapshotRestoreProgress {
  phase: 'plan' | 'thaw' | 'restore' | 'finish';
  source: string;
  snapshotId?: string;
  files: number;
  filesDone: number;
  bytes: number;
  bytesDone: number;
  /** Archived blobs being retrieved, while waiting. */
  waitingFor?: number;
}

export interface SnapshotRestoreReport {
  source: string;
  snapshotId: string;
  target: string;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  /** Paths that existed in the target and were left alone (no overwrite). */
  skippedExisting: string[];
  /** Objects (blobs of their own, or packs) whose retrieval from an archive class was needed. */
  thawedBlobs: number;
  durationMs: number;
}
