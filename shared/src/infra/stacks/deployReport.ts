import type { JobOptions } from '../../base/jobs/job';
import type { UploadedBundle } from './lambdaBundle';
import type { StackEvent } from './stackEvents';
import type { StackOutput } from './stackStatus';
import type { TemplateSource } from './templateCatalog';

export interface DeployInput {
  /** Template name in the catalogue (e.g. "backup-bucket"). */
  template: string;
  /** Default: coldkeep-<template>. */
  stackName?: string;
  /** Parameter values; on an update, parameters left out keep their previous values. */
  params: Record<string, string>;
}

/** One resource change of a change set. */
export interface StackChange {
  action: string;
  logicalId: string;
  resourceType: string;
  physicalId?: string;
  /** "True", "False" or "Conditional": whether the resource is replaced (updates only). */
  replacement?: string;
}

export type StackProgress =
  | { phase: 'upload'; stackName: string; bucket: string; key: string; bytes: number; uploaded: boolean }
  | { phase: 'change-set'; stackName: string; changeSetType: 'CREATE' | 'UPDATE' }
  | { phase: 'changes'; stackName: string; changes: StackChange[] }
  | { phase: 'execute'; stackName: string }
  | { phase: 'event'; stackName: string; event: StackEvent }
  | { phase: 'done'; stackName: string; status: string };

export interface DeployOptions extends JobOptions<StackProgress>, TemplateSource {
  /** Seen the changes: return false to discard the change set without executing it. */
  approve?: (changes: StackChange[]) => boolean | Promise<boolean>;
  /** The Lambda bundle zip (default: $COLDKEEP_LAMBDA_BUNDLE, else beside the templates). */
  lambdaBundlePath?: string;
  /** Between two polls of CloudFormation (default 5 s). */
  pollIntervalMs?: number;
  /** For tests: the clock. */
  now?: () => Date;
}

export interface DeployReport {
  stackName: string;
  stackId?: string;
  template: string;
  changeSetType: 'CREATE' | 'UPDATE';
  changeSetName?: string;
  changes: StackChange[];
  /** An update that would change nothing: nothing was executed. */
  noChanges: boolean;
  /** The change set was executed (false for no changes, or when `approve` said no). */
  executed: boolean;
  /** The stack's status at the end (absent when a first deploy was not executed). */
  status?: string;
  outputs: StackOutput[];
  lambdaBundle?: UploadedBundle;
  events: StackEvent[];
  durationMs: number;
}
