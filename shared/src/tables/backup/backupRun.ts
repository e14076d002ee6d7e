import type { AwsClients } from '../../base/aws/clients';
import type { CapacityLimiter } from '../source/capacityLimiter';
import type { TableSchema } from '../source/tableSchema';
import type { BackupLocation } from '../repository/layout';
import type { BackupProgress, BackupReport, BackupTableInput } from './backupReport';
import type { EngineDecision, PitrState } from './chooseEngine';
import type { SegmentWriter } from './segmentWriter';

/** What one table backup run knows once the table is described; each phase reads and updates it. */
export interface TableBackupRun {
  clients: AwsClients;
  input: BackupTableInput;
  signal?: AbortSignal;
  now: () => Date;
  started: Date;
  schema: TableSchema;
  decision: EngineDecision;
  /** The table's PITR state, when it was read to decide the engine. */
  pitr?: PitrState;
  location: BackupLocation;
  progress: BackupProgress;
  /** Sends a copy of the progress (its segments copied too). */
  emit: () => void;
}

/** What the scan engine adds: the segments, the read budget, and a writer per segment. */
export interface ScanBackupRun extends TableBackupRun {
  totalSegments: number;
  /** Set when fewer segments are scanned than asked for: why. */
  segmentsNote?: string;
  limiter?: CapacityLimiter;
  writers: SegmentWriter[];
}

/** The report's account of the engine: which, and why. */
export function engineFacts({
  decision,
}: TableBackupRun): Pick<BackupReport, 'engine' | 'engineReason' | 'engineAdvice'> {
  return {
    engine: decision.engine,
    engineReason: decision.reason,
    ...(decision.advice ? { engineAdvice: decision.advice } : {}),
  };
}

export function progressCopy(progress: BackupProgress): BackupProgress {
  return { ...progress, segments: progress.segments.map((s) => ({ ...s })) };
}
