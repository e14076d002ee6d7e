import type { EngineChoice } from './chooseEngine';
import type { StorageOptions } from '../../storage/storageOptions';

// The table backup job's shape: what it is asked, what it tells as it goes, and what it reports.

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
