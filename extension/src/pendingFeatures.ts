import type { AwsClients, JobOptions } from '@coldkeep/shared';

/**
 * Capabilities whose core functions are not in this build of @coldkeep/shared yet: folder
 * snapshots and stack deploys. The commands, inputs and progress handling are here; only
 * the call into the core is missing. To wire them, pass real implementations to
 * `activate` (see `FEATURES` in extension.ts), e.g.
 *
 *   folderBackup: { backupFolder: (clients, input, options) => backupFolder(clients, input, options) }
 *   stacks: { listTemplates, templateParameters, validateParameters, deployStack }
 *
 * While a feature is undefined its command says it is unavailable in this build.
 */

export interface FolderBackupRequest {
  folder: string;
  bucket: string;
  prefix?: string;
}

/** Progress as the command shows it; the real job's events are mapped to this by the wiring. */
export interface FeatureProgress {
  message: string;
  percent?: number;
}

export interface FolderBackupFeature {
  backupFolder(
    clients: AwsClients,
    input: FolderBackupRequest,
    options: JobOptions<FeatureProgress>,
  ): Promise<{ summary: string; uri?: string }>;
}

export interface StackTemplateInfo {
  name: string;
  description: string;
}

export interface StackParameterInfo {
  name: string;
  description?: string;
  default?: string;
  allowedValues?: string[];
}

export interface StacksFeature {
  listTemplates(): Promise<StackTemplateInfo[]> | StackTemplateInfo[];
  templateParameters(template: string): Promise<StackParameterInfo[]> | StackParameterInfo[];
  /** Problems with the values, one message per parameter (empty when all are fine). */
  validateParameters(template: string, params: Record<string, string>): Promise<string[]> | string[];
  deployStack(
    clients: AwsClients,
    input: { template: string; stackName?: string; params: Record<string, string> },
    options: JobOptions<FeatureProgress>,
  ): Promise<{ stackName: string; outputs: Record<string, string> }>;
}

export interface PendingFeatures {
  folderBackup?: FolderBackupFeature;
  stacks?: StacksFeature;
}

export const UNAVAILABLE = {
  folderBackup:
    'Backing up folders is not available in this build of Coldkeep: the folder snapshot engine is not included yet.',
  stacks: 'Deploying stacks is not available in this build of Coldkeep: the stack deployer is not included yet.',
} as const;
