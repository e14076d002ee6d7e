import { existsSync } from 'node:fs';
import {
  backupFolder,
  type DeployReport,
  deployStack,
  type FolderBackupProgress,
  type FolderBackupReport,
  listSnapshots,
  lambdaBundlePath,
  listTemplates,
  loadTemplate,
  restoreSnapshot,
  type SnapshotRestoreProgress,
  type StackChange,
  type StackProgress,
  templateParameters,
  type TemplateSource,
  validateParameters,
  jobOutcome,
  outcomeLines,
} from '@coldkeep/shared';
import { bytesText, countText } from '../format';
import type { FeatureProgress, Features, StackDeployResult } from './features';

export function folderBackupProgressText(p: FolderBackupProgress): FeatureProgress {
  if (p.phase === 'prepare') return { message: 'Reading the previous snapshot…' };
  if (p.phase === 'manifest') return { message: 'Writing the snapshot…', percent: 100 };
  const uploaded = p.uploadedBytes ? ` · ${bytesText(p.uploadedBytes)} uploaded` : '';
  return { message: `${countText(p.files)} files · ${bytesText(p.bytes)}${uploaded}` };
}

export function folderBackupSummary(r: FolderBackupReport): string {
  const outcome = jobOutcome(r);
  const figures = `${countText(r.files)} files, ${bytesText(r.bytes)}; ${bytesText(r.uploadedBytes)} new in snapshot ${r.snapshotId}`;
  const more = [
    ...(outcome.notes.length ? [`${outcome.notes.length} left out on purpose or deleted meanwhile`] : []),
    ...(outcome.warnings.length ? [`${outcome.warnings.length} changed while read`] : []),
  ];
  const seeOutput = more.length ? ` (${more.join(', ')}: see the Coldkeep output)` : '';
  if (outcome.status === 'partial')
    return `Backup of ${r.dir} INCOMPLETE: ${outcome.headline} (see the Coldkeep output). ${figures}.`;
  return `Backed up ${r.dir}: ${figures}${seeOutput}.`;
}

export function snapshotRestoreProgressText(p: SnapshotRestoreProgress): FeatureProgress {
  if (p.phase === 'plan') return { message: 'Reading the snapshot…' };
  if (p.phase === 'thaw') return { message: `Waiting for ${p.waitingFor ?? 0} archived file(s)…` };
  if (p.phase === 'finish') return { message: 'Setting modes and times…', percent: 100 };
  const percent = p.bytes > 0 ? Math.min(99, (p.bytesDone / p.bytes) * 100) : undefined;
  return {
    message: `${countText(p.filesDone)} of ${countText(p.files)} files`,
    ...(percent !== undefined ? { percent } : {}),
  };
}

/** Change-set lines for the preview: "Add BackupBucket (AWS::S3::Bucket)", replacements called out. */
export function changeLines(changes: StackChange[]): string[] {
  return changes.map(
    (c) =>
      `${c.action} ${c.logicalId} (${c.resourceType})${c.replacement === 'True' ? ' — replaced' : c.replacement === 'Conditional' ? ' — may be replaced' : ''}`,
  );
}

/**
 * Stack progress as text; the percentage counts resources settled against the change set.
 * One tracker per deploy (it remembers which resources are done).
 */
export function stackProgressTracker(): (p: StackProgress) => FeatureProgress {
  let planned = 0;
  const settled = new Set<string>();
  return (p) => {
    switch (p.phase) {
      case 'upload':
        return {
          message: p.uploaded ? `Uploaded the Lambda bundle (${bytesText(p.bytes)})` : 'Lambda bundle in place',
        };
      case 'change-set':
        return { message: `Preparing the ${p.changeSetType.toLowerCase()} of ${p.stackName}…` };
      case 'changes':
        planned = p.changes.length;
        return { message: `${p.changes.length} change(s) to review` };
      case 'execute':
        return { message: `Executing the change set of ${p.stackName}…` };
      case 'event': {
        const { logicalId, status, resourceType } = p.event;
        if (resourceType !== 'AWS::CloudFormation::Stack' && /_COMPLETE$|_FAILED$/.test(status)) settled.add(logicalId);
        const percent = planned ? Math.min(99, (settled.size / planned) * 100) : undefined;
        return { message: `${logicalId}: ${status}`, ...(percent !== undefined ? { percent } : {}) };
      }
      case 'done':
        return { message: p.status, percent: 100 };
    }
  };
}

/** The template's Lambda zip is where a deploy will look for it (the VSIX ships it; a development build once `npm run build:lambda` ran). */
function lambdaBundleFound(name: string, templates: TemplateSource): boolean {
  const path = lambdaBundlePath(loadTemplate(name, templates));
  return path !== undefined && existsSync(path);
}

function deployResult(r: DeployReport): StackDeployResult {
  return {
    stackName: r.stackName,
    executed: r.executed,
    noChanges: r.noChanges,
    ...(r.status ? { status: r.status } : {}),
    outputs: Object.fromEntries(r.outputs.map((o) => [o.key, o.value])),
  };
}

/**
 * The real features over @coldkeep/shared. `templates`: the templates folder (the VSIX ships
 * them in dist/infra-templates); without it the stacks module looks itself (COLDKEEP_TEMPLATES_DIR,
 * or walking up to the repository's infra-templates/).
 */
export function coreFeatures(templates: TemplateSource = {}): Features {
  return {
    folders: {
      backupFolder: async (clients, input, { signal, onProgress }) => {
        const report = await backupFolder(
          clients,
          { dir: input.folder, bucket: input.bucket, ...(input.prefix !== undefined ? { prefix: input.prefix } : {}) },
          { ...(signal ? { signal } : {}), onProgress: (p) => onProgress?.(folderBackupProgressText(p)) },
        );
        return {
          status: report.status,
          summary: folderBackupSummary(report),
          details: outcomeLines(jobOutcome(report)),
          uri: report.uri,
          source: report.source,
          snapshotId: report.snapshotId,
        };
      },
      listSnapshots: (clients, query, options) => listSnapshots(clients, query, options),
      restoreSnapshot: async (clients, input, { signal, onProgress }) => {
        const report = await restoreSnapshot(clients, input, {
          ...(signal ? { signal } : {}),
          onProgress: (p) => onProgress?.(snapshotRestoreProgressText(p)),
        });
        const left = report.skippedExisting.length
          ? `; ${report.skippedExisting.length} existing file(s) left as they were`
          : '';
        return {
          summary: `Restored ${countText(report.files)} files (${bytesText(report.bytes)}) of snapshot ${report.snapshotId} into ${report.target}${left}.`,
          target: report.target,
          files: report.files,
        };
      },
    },
    stacks: {
      listTemplates: async () =>
        (await listTemplates(templates)).map((t) => ({
          name: t.name,
          description: t.description,
          defaultStackName: t.defaultStackName,
          ...(t.needsLambdaBundle && !lambdaBundleFound(t.name, templates)
            ? { missing: 'needs the Lambda bundle: set COLDKEEP_LAMBDA_BUNDLE to its zip ("npm run build:lambda")' }
            : {}),
        })),
      templateParameters: async (template) =>
        (await templateParameters(template, templates))
          .filter((p) => !p.filledByDeploy)
          .map((p) => ({
            name: p.name,
            description: p.description,
            required: p.required,
            ...(p.default !== undefined ? { default: p.default } : {}),
            ...(p.allowedValues ? { allowedValues: p.allowedValues } : {}),
            ...(p.noEcho ? { noEcho: true } : {}),
          })),
      validateParameters: (template, params) => validateParameters(template, params, templates),
      deployStack: async (clients, input, { signal, onProgress, approve }) => {
        const progress = stackProgressTracker();
        const report = await deployStack(clients, input, {
          ...templates,
          ...(signal ? { signal } : {}),
          onProgress: (p) => onProgress?.(progress(p)),
          approve,
        });
        return deployResult(report);
      },
    },
  };
}
