import {
  type AwsClients,
  type BackupFolderFn,
  type JobOptions,
  type ParameterProblem,
  type SnapshotRestoreProgress,
  type StackChange,
  type StackDeployResult,
  type StackProgress,
} from '@coldkeep/shared';
import type { RestorePoint, StackInput, TemplateInfo, TemplateParameter } from '../ipc';

/**
 * Folder snapshots, as the desktop app uses them: `coreFolderBackups` (folderBackups.ts) over the
 * core's `files` module; tests may hand ColdkeepApp another.
 */
export interface FolderBackups {
  backupFolder: BackupFolderFn;
  listSnapshots(
    clients: AwsClients,
    query: { bucket: string; prefix?: string; source: string },
  ): Promise<RestorePoint[]>;
  restoreSnapshot(
    clients: AwsClients,
    input: { bucket: string; prefix?: string; source: string; snapshotId: string; target: string; overwrite?: boolean },
    options: JobOptions<SnapshotRestoreProgress>,
  ): Promise<{ summary: string; report: Record<string, unknown> }>;
}

/**
 * One-click stacks: the bundled CloudFormation templates, deployed through change sets. The real
 * one is `stacksFrom(...)` (stacksService.ts): the core's StackService.
 */
export interface Stacks {
  available: boolean;
  listTemplates(): Promise<TemplateInfo[]>;
  templateParameters(template: string): Promise<TemplateParameter[]>;
  /** Problems with the values (offline checks, incl. the template's Rules); empty when they are fine. */
  validateParameters(template: string, parameters: Record<string, string>): Promise<ParameterProblem[]>;
  /** The changes a deploy would make, from a change set that is then discarded. */
  previewChangeSet(clients: AwsClients, input: StackInput, options: JobOptions<StackProgress>): Promise<StackChange[]>;
  deployStack(clients: AwsClients, input: StackInput, options: JobOptions<StackProgress>): Promise<StackDeployResult>;
}
