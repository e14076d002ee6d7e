import type { KeyMaterial } from '../repository/sourceKeyring';
import type { RetrievalTier } from '../../storage/thawArchived';
import type { StorageOptions } from '../../storage/storageOptions';
import type { DamageRecording } from '../repository/damageRecords';
import type { BlobProblem } from '../verify/verifySnapshot';
import type { StorageKind } from './drillSample';
import type { ThawStatement } from './thawStatement';

/** Files a drill restores when no number is given: enough to meet every storage kind, small enough to run weekly. */
export const DEFAULT_DRILL_FILES = 20;

export interface DrillFolderInput {
  bucket: string;
  /** How an encrypted source is opened (a passphrase); a KMS wrap needs none. */
  keys?: KeyMaterial;
  prefix?: string;
  /** The snapshot source (see "coldkeep files snapshots"). */
  source: string;
  /** A snapshot id (or a unique start of one), or "latest" (default). */
  snapshotId?: string;
  /**
   * Files restored and checked (default DEFAULT_DRILL_FILES), or "all". The sample always holds at
   * least one file of each storage kind the snapshot uses, even when that makes it larger.
   */
  files?: number | 'all';
  /** Read data in Glacier classes too: retrieve it first (RestoreObject, then wait). Default: not read, said. */
  thaw?: boolean;
  tier?: RetrievalTier;
  /** Days a retrieved copy stays readable (default 7). */
  days?: number;
  pollIntervalMs?: number;
  /** Leave the temp folder with the restored sample in place (default: removed on every way out). */
  keep?: boolean;
  /** Where the temp folder is made (default: the system's temp folder). */
  tempDir?: string;
  /** Mismatches named in the report, with their paths (default 10); all are counted. */
  mismatchLimit?: number;
  /** The verify of the snapshot's blobs: listing only (default), or re-hash a sample or all of them too. */
  verifyReadData?: 'none' | 'sample' | 'all';
  /** SSE for the damage records a drill writes when it finds damage. */
  storage?: StorageOptions;
  /** Files downloaded at once (default 8). */
  concurrency?: number;
  /** For tests: the sampling randomness. */
  random?: () => number;
}

export interface DrillFolderProgress {
  phase: 'plan' | 'thaw' | 'restore' | 'check' | 'verify' | 'cleanup';
  source: string;
  snapshotId?: string;
  /** Files in the sample, and restored so far. */
  files: number;
  filesDone: number;
  bytes: number;
  bytesDone: number;
  /** Phase "thaw": what is retrieved from Glacier classes, said before the retrieval starts. */
  thaw?: ThawStatement;
  /** Phase "thaw": objects still being retrieved. */
  waitingFor?: number;
}

/** hash-mismatch: the restore read other bytes than the snapshot names; on-disk: the file written differs; not-written: missing after the restore. */
export type FolderDrillProblem = 'hash-mismatch' | 'on-disk-mismatch' | 'not-written';

export interface FolderDrillMismatch {
  path: string;
  kind: StorageKind;
  problem: FolderDrillProblem;
  /** The object (blob or pack) the file's content sits in. */
  key: string;
  detail?: string;
}

/** Data in Glacier classes the drill did not read (no --thaw): checked in the listing only. */
export interface NotRead {
  /** Files of the snapshot whose content sits in an archived object. */
  files: number;
  objects: number;
  bytes: number;
  storageClasses: string[];
}

export interface DrillFolderReport {
  kind: 'folder';
  source: string;
  snapshotId: string;
  /** s3:// URI of the source. */
  uri: string;
  /**
   * succeeded: every sampled file restored to its hash and the verify found nothing; partial: so,
   * but data in Glacier classes was not read (see `notRead`); failed: a file or a blob is damaged or missing.
   */
  status: 'succeeded' | 'partial' | 'failed';
  filesInSnapshot: number;
  /** The snapshot's files per storage kind. */
  kindsInSnapshot: Partial<Record<StorageKind, number>>;
  /** The number of files asked for ("all", or a number). */
  sampleAsked: number | 'all';
  /** Files sampled, and per storage kind. */
  sampled: number;
  sampledByKind: Partial<Record<StorageKind, number>>;
  /** Sampled files restored and re-hashed on disk. */
  filesChecked: number;
  bytesRestored: number;
  /** Every mismatch counted; the first `mismatchLimit` named in `firstMismatches`. */
  mismatches: number;
  firstMismatches: FolderDrillMismatch[];
  /** The verify of the blobs the snapshot needs (presence, size, damage records; re-hash if asked). */
  verify: {
    ok: boolean;
    blobs: number;
    readBlobs: number;
    archivedNotRead: number;
    problems: number;
    firstProblems: BlobProblem[];
  };
  /** What sits in Glacier classes and was not read (absent when everything was readable or thawed). */
  notRead?: NotRead;
  /** What was retrieved from Glacier classes for the sample (--thaw). */
  thawed?: ThawStatement;
  /** Damage records written for what this drill found (see damageRecords.ts). */
  recording: DamageRecording;
  /** One line per problem (mismatches, the verify's findings). */
  problems: string[];
  /** Milliseconds from the drill's start to the sample restored on disk (thaw included): the measured restore time. */
  restoreMs: number;
  checkMs: number;
  verifyMs: number;
  /** The temp folder the sample was restored into. */
  tempFolder: string;
  /** The temp folder was removed (false: kept on request, or the removal failed; see `warnings`). */
  tempRemoved: boolean;
  warnings: string[];
  startedAt: string;
  durationMs: number;
}
