import type { AwsClients } from '../../base/aws/clients';
import type { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { SourceLocation } from '../repository/layout';
import type { ObjectCodec } from '../repository/objectCodec';
import type { SourceKeyring } from '../repository/sourceKeyring';
import type { FileEntry, SnapshotEntry } from '../repository/snapshotManifest';
import type { SnapshotRestoreInput, SnapshotRestoreProgress } from './restoreReport';
import type { RestoreTarget } from './restoreTarget';

export type DirEntry = Extract<SnapshotEntry, { type: 'dir' }>;
export type LinkEntry = Extract<SnapshotEntry, { type: 'symlink' }>;

/** What a restore knows from its start: the request, where the source is, the progress. */
export interface RestoreStart {
  clients: AwsClients;
  input: SnapshotRestoreInput;
  signal?: AbortSignal;
  loc: SourceLocation;
  /** Opens the source's key if the snapshot is encrypted. */
  keyring: SourceKeyring;
  progress: SnapshotRestoreProgress;
  /** Sends a copy of the progress, with `extra` fields over it. */
  emit: (extra?: Partial<SnapshotRestoreProgress>) => void;
}

/** What the plan phase settles: the snapshot, the entries restored, what must be thawed first. */
export interface SnapshotRestorePlan {
  snapshotId: string;
  /** How the snapshot's objects are stored: sealed (format 3) or plain. */
  codec: ObjectCodec;
  files: FileEntry[];
  dirs: DirEntry[];
  links: LinkEntry[];
  /** Keys of the objects (blobs of their own, packs) the files need that sit in an archive class. */
  archived: string[];
}

/** What one snapshot restore run knows as it writes; each phase reads and updates it. */
export interface SnapshotRestoreRun extends RestoreStart, SnapshotRestorePlan {
  target: RestoreTarget;
  /** Paths that existed in the target and were left alone (no overwrite). */
  skippedExisting: string[];
  /** Files among those left alone (counted as done in the progress). */
  skippedFiles: number;
  /** Files not written because their blob is damaged; reported at the end. */
  damaged: ColdkeepError[];
}
