import type { AwsClients, JobOptions, ParameterProblem, StackChange } from '@coldkeep/shared';
import type { JobProgress } from '../jobs/runJob';

/**
 * What the folder and stack commands need from the core, as small adapters (coreFeatures.ts):
 * the core's progress events become `{message, percent?}` and its reports the shapes the
 * commands show. The commands take them from the app, so unit tests can hand in fakes.
 */

/** Progress as the command shows it (what runJob reports to the notification). */
export type FeatureProgress = JobProgress;

export interface FolderBackupRequest {
  folder: string;
  bucket: string;
  prefix?: string;
}

export interface FolderBackupResult {
  /** The core's outcome (jobOutcome): `partial` is shown as a warning, never as a success. */
  status: 'succeeded' | 'partial';
  summary: string;
  /** What was left out (why, what to do) and the warnings, one line each, for the output channel. */
  details: string[];
  uri: string;
  source: string;
  snapshotId: string;
}

export interface SnapshotInfo {
  source: string;
  snapshotId: string;
  time: string;
  files: number;
  bytes: number;
  dir: string;
  host: string;
}

export interface SnapshotRestoreRequest {
  bucket: string;
  prefix?: string;
  source: string;
  snapshotId: string;
  target: string;
}

export interface FolderFeature {
  backupFolder(
    clients: AwsClients,
    input: FolderBackupRequest,
    options: JobOptions<FeatureProgress>,
  ): Promise<FolderBackupResult>;
  listSnapshots(
    clients: AwsClients,
    query: { bucket: string; prefix?: string },
    options: { signal?: AbortSignal },
  ): Promise<SnapshotInfo[]>;
  restoreSnapshot(
    clients: AwsClients,
    input: SnapshotRestoreRequest,
    options: JobOptions<FeatureProgress>,
  ): Promise<{ summary: string; target: string; files: number }>;
}

export interface StackTemplateInfo {
  name: string;
  description: string;
  defaultStackName: string;
  /** What this installation lacks to deploy it, if anything. */
  missing?: string;
}

export interface StackParameterInfo {
  name: string;
  description: string;
  default?: string;
  required: boolean;
  allowedValues?: string[];
  noEcho?: boolean;
}

export interface StackDeployRequest {
  template: string;
  stackName?: string;
  params: Record<string, string>;
}

export interface StackDeployResult {
  stackName: string;
  /** False when the change set was not executed (declined, or an update without changes). */
  executed: boolean;
  noChanges: boolean;
  status?: string;
  outputs: Record<string, string>;
}

export interface StacksFeature {
  listTemplates(): Promise<StackTemplateInfo[]>;
  /** The parameters a user fills in (those the deploy fills itself are left out). */
  templateParameters(template: string): Promise<StackParameterInfo[]>;
  /** Problems with the values, checked offline against the template; empty when all are fine. */
  validateParameters(template: string, params: Record<string, string>): ParameterProblem[];
  deployStack(
    clients: AwsClients,
    input: StackDeployRequest,
    options: JobOptions<FeatureProgress> & { approve: (changes: StackChange[]) => Promise<boolean> },
  ): Promise<StackDeployResult>;
}

export interface Features {
  folders: FolderFeature;
  stacks: StacksFeature;
}
