import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { JobOptions } from '../../base/jobs/job';
import { versionDrift, versionDriftText } from '../repository/backedUpVersions';
import { regionNote, type RestorePlan } from './restorePlan';
import type { RestoreProgress, RestoreTableInput } from './restoreReport';
import type { TableRestoreRun } from './restoreRun';

// Phase "plan", after restorePlan.ts has read the backup's manifests (its whole chain): the
// table written into, and what the plan warns of. Shared by the three table restores.

/** The table a restore writes into: the one given, else the backed-up one; refused when neither is known. */
export function restoreTarget(plan: RestorePlan, given: string | undefined, hint: string, consequence = ''): string {
  const target = given ?? plan.sourceTable;
  if (!target) {
    throw new ColdkeepError('InvalidInput', `The backup at ${plan.uri} does not name its table.${consequence}`, {
      hint,
    });
  }
  return target;
}

/**
 * What the plan warns of before any file is read: a backup from another region (when `region`
 * is given), and files whose current version is not the one backed up (they are read at the
 * backed-up version).
 */
export async function planWarnings(
  s3: S3Client,
  plan: RestorePlan,
  region: string | undefined,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  const warnings: string[] = [];
  const fromElsewhere = region === undefined ? undefined : regionNote(plan, region);
  if (fromElsewhere) warnings.push(fromElsewhere);
  for (const drift of await versionDrift(s3, plan.bucket, plan.files, signal))
    warnings.push(versionDriftText(plan.bucket, drift));
  return warnings;
}

/** The plan phase of a whole-table restore: its target, its run (every file not written yet), its warnings. */
/** A restore's progress before anything is read: nothing written, every file of the plan to go. */
export function firstProgress(plan: RestorePlan, target: string, phase: RestoreProgress['phase']): RestoreProgress {
  return {
    phase,
    target,
    itemsWritten: 0,
    filesDone: 0,
    filesTotal: plan.files.length,
    ...(plan.itemCount !== undefined ? { itemsExpected: plan.itemCount } : {}),
  };
}

export async function openRestoreRun(
  clients: AwsClients,
  input: RestoreTableInput,
  plan: RestorePlan,
  { signal, onProgress }: JobOptions<RestoreProgress>,
): Promise<TableRestoreRun> {
  const target = restoreTarget(plan, input.target, 'Give the table to restore into ({setting:target}).');
  const progress = firstProgress(plan, target, 'plan');
  const emit = (): void => onProgress?.({ ...progress });
  emit();
  const entries = plan.steps.flatMap((step, i) => step.files.map((file) => ({ file, step: i })));
  return {
    clients,
    signal,
    plan,
    target,
    progress,
    emit,
    input,
    files: entries.map(({ file, step }) => ({ key: file.key, step, outcome: 'not-written', items: 0 })),
    steps: plan.steps.map((step) => ({
      kind: step.kind,
      uri: step.uri,
      ...(step.backupId ? { backupId: step.backupId } : {}),
      puts: 0,
      deletes: 0,
    })),
    entries: entries.map((e, index) => ({ ...e, index })),
    stepRecords: plan.steps.map(() => 0),
    countDelta: 0,
    itemsVerified: 0,
    verify: {
      strategy: input.verify === 'per-file' ? 'per-file' : 'staged',
      files: 0,
      bytes: 0,
      records: 0,
      stagingDir: '',
      bytesDownloaded: 0,
    },
    warnings: await planWarnings(clients.s3, plan, clients.region, signal),
    createdTable: false,
    stage: 'verify',
  };
}
