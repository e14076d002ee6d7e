import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { RestoreJournal, RestoreJournalData } from './restoreJournal';
import type { RestorePlan } from './restorePlan';
import type { FileReport, RestoreProgress, RestoreTableInput, StepReport } from './restoreReport';
import type { FileToVerify, VerifyFacts } from './verifyFirst';

/**
 * What every table restore (the whole table, an import, chosen items) knows once planned: the
 * plan, the table it writes into, its progress. The plan and thaw phases read it.
 */
export interface RestoreStart<Progress> {
  clients: AwsClients;
  signal?: AbortSignal;
  plan: RestorePlan;
  target: string;
  progress: Progress;
  /** Sends a copy of the progress. */
  emit: () => void;
}

/** A data file of the plan, with its place in the report and its step. */
export type PlanEntry = FileToVerify & { step: number };

/** What one whole-table restore run knows as it goes; each phase reads and updates it. */
export interface TableRestoreRun extends RestoreStart<RestoreProgress> {
  input: RestoreTableInput;
  files: FileReport[];
  steps: StepReport[];
  /** Entry i of the plan's files: its index and step. */
  entries: PlanEntry[];
  /** Records counted per step (verified, or written by an earlier run). */
  stepRecords: number[];
  /** Net change in the item count from incremental steps with old images (exact chain count). */
  countDelta: number;
  itemsVerified: number;
  verify: VerifyFacts;
  warnings: string[];
  createdTable: boolean;
  journal?: RestoreJournal;
  earlier?: RestoreJournalData;
  /** Where the run was when it stopped: before verify ends nothing can have been written. */
  stage: 'verify' | 'write';
}

/** The files this run has to write (all but those an earlier run wrote in full). */
export function filesToWrite(run: TableRestoreRun, step?: number): PlanEntry[] {
  return run.entries.filter(
    (e) => run.files[e.index]!.outcome !== 'written-earlier' && (step === undefined || e.step === step),
  );
}

/** Every step's files must add up to what its manifest says. */
export function assertStepCount(run: TableRestoreRun, stepIndex: number): void {
  const step = run.plan.steps[stepIndex]!;
  const records = run.stepRecords[stepIndex]!;
  if (step.itemCount !== undefined && records !== step.itemCount) {
    throw new ColdkeepError(
      'CountMismatch',
      `The files of ${step.uri} hold ${records} records, its manifest says ${step.itemCount}.`,
      { hint: 'The backup is inconsistent; restore from another one.', details: { files: run.files } },
    );
  }
}
