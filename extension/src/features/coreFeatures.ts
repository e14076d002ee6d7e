import {
  backupFolder,
  folderBackupDetails,
  folderBackupLine,
  folderBackupProgressLine,
  listSnapshots,
  restoreSnapshot,
  snapshotRestoreLine,
  snapshotRestoreProgressLine,
  StackService,
  stackProgressTracker,
  type TemplateSource,
} from '@coldkeep/shared';
import type { Features } from './features';

/**
 * The real features over @coldkeep/shared: the core's jobs, with the application layer's
 * progress lines, summaries and stacks service. `templates`: the templates folder (the VSIX ships
 * them in dist/infra-templates); without it the stacks module looks itself
 * (COLDKEEP_TEMPLATES_DIR, or walking up to the repository's infra-templates/).
 */
export function coreFeatures(templates: TemplateSource = {}): Features {
  const stacks = new StackService(templates);
  return {
    folders: {
      backupFolder: async (clients, input, { signal, onProgress }) => {
        const report = await backupFolder(
          clients,
          { dir: input.folder, bucket: input.bucket, ...(input.prefix !== undefined ? { prefix: input.prefix } : {}) },
          { ...(signal ? { signal } : {}), onProgress: (p) => onProgress?.(folderBackupProgressLine(p)) },
        );
        return {
          status: report.status,
          summary: folderBackupLine(report, 'the Coldkeep output'),
          details: folderBackupDetails(report),
          uri: report.uri,
          source: report.source,
          snapshotId: report.snapshotId,
        };
      },
      listSnapshots: (clients, query, options) => listSnapshots(clients, query, options),
      restoreSnapshot: async (clients, input, { signal, onProgress }) => {
        const report = await restoreSnapshot(clients, input, {
          ...(signal ? { signal } : {}),
          onProgress: (p) => onProgress?.(snapshotRestoreProgressLine(p)),
        });
        return { summary: `${snapshotRestoreLine(report)}.`, target: report.target, files: report.files };
      },
    },
    stacks: {
      listTemplates: async () =>
        (await stacks.listTemplates()).map(({ name, description, defaultStackName, missing }) => ({
          name,
          description,
          defaultStackName,
          ...(missing ? { missing } : {}),
        })),
      templateParameters: async (template) =>
        (await stacks.formParameters(template)).map((p) => ({
          name: p.name,
          description: p.description,
          required: p.required,
          ...(p.default !== undefined ? { default: p.default } : {}),
          ...(p.allowedValues ? { allowedValues: p.allowedValues } : {}),
          ...(p.noEcho ? { noEcho: true } : {}),
        })),
      validateParameters: (template, params) => stacks.validateParameters(template, params),
      deployStack: async (clients, input, { signal, onProgress, approve }) => {
        const progress = stackProgressTracker();
        const result = await stacks.deployStack(
          clients,
          {
            template: input.template,
            ...(input.stackName ? { stackName: input.stackName } : {}),
            parameters: input.params,
          },
          { ...(signal ? { signal } : {}), onProgress: (p) => onProgress?.(progress(p)), approve },
        );
        return {
          stackName: result.stackName,
          executed: result.executed,
          noChanges: result.noChanges,
          ...(result.status ? { status: result.status } : {}),
          outputs: Object.fromEntries(result.outputs.map((o) => [o.key, o.value])),
        };
      },
    },
  };
}
