import type { RestorePlan, RestoreSource } from './restorePlan';
import type { ThawOptions } from '../../storage/thawArchived';
import type { VerifyFacts, VerifyMode, VerifyStrategy } from './verifyFirst';

// The restore job's shape: what it is asked, what it tells as it goes, and what it reports.
// Its own file so that both engines (BatchWriteItem and ImportTable) share it without a cycle.

export interface RestoreTableInput {
  source: RestoreSource;
  /** Table to write into; the backed-up table's name by default. */
  target?: string;
  /** Create the target from the saved schema when it does not exist (default true). */
  createTable?: boolean;
  /** Allow writing into a table that already holds items (items with the same key are replaced). */
  overwrite?: boolean;
  /** Download and verify every file, count its items, write nothing. */
  dryRun?: boolean;
  /** Data files restored at once (default 4). */
  fileConcurrency?: number;
  /** BatchWriteItem requests in flight per file (default 4). */
  writeConcurrency?: number;
  /** Write-unit budget per second; by default 80% of a provisioned target's write capacity, unlimited on demand. */
  writeUnitsPerSecond?: number;
  thaw?: ThawOptions;
  /** Count the target's items afterwards (default: when the target was empty before). */
  verifyCount?: boolean;
  /**
   * write (default): Coldkeep verifies every file and writes it with BatchWriteItem, into a new
   * or existing table, applying incremental chains. import: DynamoDB's ImportTable loads a full
   * backup into a NEW table without using write capacity.
   */
  engine?: RestoreEngine;
  /** import: how often to poll DescribeImport (default 15 s). */
  pollIntervalMs?: number;
  /** first (default): prove every file before writing any item; per-file: prove each just before writing it. */
  verify?: VerifyMode;
  /** Folder the verified files are staged in (default: the system's temp folder, $TMPDIR). */
  stagingDir?: string;
  /** Space to leave free there besides the staged files (default 256 MiB); more, and the files are read twice. */
  stagingReserveBytes?: number;
  /** Continue an interrupted restore of this backup into this target: files written in full are not written again. */
  resume?: boolean;
  /** Where restore journals are kept (default `<config dir>/restore-journals`). */
  journalDir?: string;
}

export type RestoreEngine = 'write' | 'import';

/**
 * written: every item acknowledged; partial: some (`items` of them); not-written: not started;
 * damaged: its checksum failed; verified: a dry run proved it; written-earlier: a resumed restore
 * found it written in full by an earlier run (`items` is what that run wrote) and did not write it again.
 */
export type FileOutcome = 'written' | 'partial' | 'not-written' | 'damaged' | 'verified' | 'written-earlier';

export interface FileReport {
  key: string;
  /** Which step of the plan (0: the full backup; 1…: incrementals, in order). */
  step: number;
  outcome: FileOutcome;
  /** Records written (acknowledged by DynamoDB): items put, and for an incremental backup items deleted too. */
  items: number;
}

export interface StepReport {
  kind: 'full' | 'incremental';
  uri: string;
  backupId?: string;
  /** Items put (new images) and deleted by this step. */
  puts: number;
  deletes: number;
}

export interface RestoreProgress {
  phase: 'plan' | 'thaw' | 'verify' | 'restore' | 'import' | 'count';
  /** import: DynamoDB's status of the import. */
  importStatus?: string;
  target: string;
  itemsWritten: number;
  itemsExpected?: number;
  filesDone: number;
  filesTotal: number;
  /** verify: files proven so far, of `filesToVerify`. */
  filesVerified?: number;
  filesToVerify?: number;
  /** verify: staged, or hash-then-reread (the files did not fit on the local disk). */
  verifyStrategy?: VerifyStrategy;
  /** verify: gzip bytes to download for it. */
  bytesToVerify?: number;
  waitingFor?: number;
}

export interface ResumeFacts {
  /** Files written in full by earlier runs, not written again. */
  files: number;
  /** Records those runs wrote. */
  items: number;
  journal: string;
}

export interface RestoreReport {
  source: string;
  kind: RestorePlan['kind'];
  engine: RestoreEngine;
  backupId?: string;
  target: string;
  dryRun: boolean;
  createdTable: boolean;
  itemsExpected?: number;
  /** Records DynamoDB acknowledged in this run (a resumed run: not counting the earlier runs'). */
  itemsWritten: number;
  /** Of the records written, the deletes (incremental backups only). */
  itemsDeleted: number;
  itemsVerified: number;
  /** Exact count of the target after the load, when it was checked. */
  countedItems?: number;
  /** The count the target had to end with, when it is known (a full backup, or a chain on an exported base). */
  expectedCount?: number;
  /** The full backup and each incremental applied, in order. */
  steps: StepReport[];
  files: FileReport[];
  /** How the files were proven before their items were written (write engine). */
  verify?: VerifyFacts;
  /** A resumed restore: what earlier runs had written. */
  resumed?: ResumeFacts;
  /** import: what DynamoDB's import reported. */
  import?: ImportFacts;
  /** May name settings as `{setting:…}` tokens, as hints do: front ends word them (`renderHint`). */
  warnings: string[];
  durationMs: number;
}

export interface ImportFacts {
  importArn: string;
  status: string;
  processedItems: number;
  importedItems: number;
  errorCount: number;
  /** Where DynamoDB logged the items it could not import. */
  cloudWatchLogGroupArn?: string;
}
