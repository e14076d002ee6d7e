import {
  type AwsClients,
  type BackupFolderFn,
  ColdkeepError,
  type JobOptions,
  type SnapshotRestoreProgress,
} from '@coldkeep/shared';
import type { ChangePreview, RestorePoint, StackEvent, StackInput, TemplateInfo, TemplateParameter } from '../ipc';

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

/** One-click stacks: the bundled CloudFormation templates, deployed through change sets. */
export interface Stacks {
  available: boolean;
  listTemplates(): Promise<TemplateInfo[]>;
  templateParameters(template: string): Promise<TemplateParameter[]>;
  /** Problems with the values, one line each; empty when they are fine. */
  validateParameters(template: string, parameters: Record<string, string>): Promise<string[]>;
  previewChangeSet(clients: AwsClients, input: StackInput, options: JobOptions<never>): Promise<ChangePreview[]>;
  deployStack(
    clients: AwsClients,
    input: StackInput,
    options: JobOptions<StackEvent>,
  ): Promise<{ outputs: Record<string, string> }>;
}

export function stacksUnavailable(): ColdkeepError {
  return new ColdkeepError('Unavailable', 'Stack deploys are not available in this build of Coldkeep.', {
    hint: 'Deploy the templates in infra-templates/ with the AWS console or CLI for now.',
  });
}

export const unavailableStacks: Stacks = {
  available: false,
  listTemplates: async () => {
    throw stacksUnavailable();
  },
  templateParameters: async () => {
    throw stacksUnavailable();
  },
  validateParameters: async () => {
    throw stacksUnavailable();
  },
  previewChangeSet: async () => {
    throw stacksUnavailable();
  },
  deployStack: async () => {
    throw stacksUnavailable();
  },
};
