import {
  type AwsClients,
  ColdkeepError,
  type DeployOptions,
  deployStack,
  type JobOptions,
  listTemplates,
  type StackChange,
  type StackProgress,
  templateParameters,
  type TemplateSource,
  validateParameters,
} from '@coldkeep/shared';
import type { StackInput } from '../ipc';
import type { StackDeployResult, Stacks } from './services';

export interface StacksOptions extends TemplateSource {
  /** The Lambda bundle zip (default: the core's lookup, beside the templates: `infra-templates/dist`). */
  lambdaBundlePath?: string;
  /** Between two polls of CloudFormation (default: the core's 5 s). */
  pollIntervalMs?: number;
  /** How long a preview stays what Deploy is checked against (default 1 hour). */
  previewTtlMs?: number;
  /** For tests: the clock, in ms. */
  now?: () => number;
}

/** At most this many previews are remembered; the oldest go first. */
const MAX_PREVIEWS = 50;

/**
 * The real stacks service over the core's `stacks` module. Templates come from the core's
 * lookup (a packaged app's `<resources>/infra-templates`, else the repository's), unless
 * `templatesDir` says otherwise.
 *
 * Preview and Deploy are two change sets (the window's contract is one request per step, and a
 * change set left waiting for a click that never comes would linger in the account). So that
 * Deploy executes what the user saw, the service remembers each preview's changes, keyed by the
 * exact input, and a deploy of the same input whose change set differs (the stack changed in
 * between) is discarded unexecuted with `StackChanged`. A deploy without a preview runs as
 * `coldkeep stack deploy` does.
 */
export function stacksFrom(options: StacksOptions = {}): Stacks {
  const source: TemplateSource = options.templatesDir ? { templatesDir: options.templatesDir } : {};
  const previews = new PreviewMemory(options.previewTtlMs ?? 60 * 60 * 1000, options.now ?? Date.now);
  const deployOptions = (job: JobOptions<StackProgress>): DeployOptions => ({
    ...source,
    ...(options.lambdaBundlePath ? { lambdaBundlePath: options.lambdaBundlePath } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(job.signal ? { signal: job.signal } : {}),
    ...(job.onProgress ? { onProgress: job.onProgress } : {}),
  });
  const deployInput = (input: StackInput) => ({
    template: input.template,
    stackName: input.stackName,
    params: input.parameters,
  });

  return {
    available: true,
    listTemplates: async () =>
      (await listTemplates(source)).map(({ name, description, defaultStackName, needsLambdaBundle }) => ({
        name,
        description,
        defaultStackName,
        needsLambdaBundle,
      })),
    templateParameters: (template) => templateParameters(template, source),
    validateParameters: async (template, parameters) => validateParameters(template, parameters, source),
    previewChangeSet: async (clients: AwsClients, input, job) => {
      // The core's dry run: the change set is made, described, and discarded (with the empty
      // stack a first deploy leaves in REVIEW_IN_PROGRESS).
      const report = await deployStack(clients, deployInput(input), { ...deployOptions(job), approve: () => false });
      previews.remember(input, report.changes);
      return report.changes;
    },
    deployStack: async (clients: AwsClients, input, job): Promise<StackDeployResult> => {
      const previewed = previews.get(input);
      let differing: StackChange[] | undefined;
      const report = await deployStack(clients, deployInput(input), {
        ...deployOptions(job),
        ...(previewed
          ? {
              approve: (changes: StackChange[]) => {
                if (sameChanges(changes, previewed)) return true;
                differing = changes;
                return false;
              },
            }
          : {}),
      });
      if (differing) throw changedSincePreview(input.stackName, previewed ?? [], differing);
      return {
        ...(report.status ? { status: report.status } : {}),
        noChanges: report.noChanges,
        changes: report.changes,
        outputs: report.outputs,
      };
    },
  };
}

/** Whether two change sets make the same changes (order aside). */
export function sameChanges(a: StackChange[], b: StackChange[]): boolean {
  const keys = (changes: StackChange[]): string[] =>
    changes.map((c) => [c.action, c.logicalId, c.resourceType, c.replacement ?? ''].join('\u0000')).sort();
  const [left, right] = [keys(a), keys(b)];
  return left.length === right.length && left.every((key, i) => key === right[i]);
}

function changedSincePreview(stackName: string, previewed: StackChange[], now: StackChange[]): ColdkeepError {
  const describe = (changes: StackChange[]): string =>
    changes.length ? changes.map((c) => `${c.action} ${c.logicalId}`).join(', ') : 'none';
  return new ColdkeepError(
    'StackChanged',
    `Stack "${stackName}" would now change differently than the preview showed (preview: ${describe(previewed)}; now: ${describe(now)}). Nothing was deployed.`,
    {
      hint: 'The stack changed since the preview. Preview the changes again, then deploy.',
      details: { stackName, previewed, now },
    },
  );
}

/** The changes each input's latest preview showed, for a while. */
class PreviewMemory {
  private readonly entries = new Map<string, { changes: StackChange[]; at: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  remember(input: StackInput, changes: StackChange[]): void {
    const key = inputKey(input);
    this.entries.delete(key);
    this.entries.set(key, { changes, at: this.now() });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= MAX_PREVIEWS) break;
      this.entries.delete(oldest);
    }
  }

  get(input: StackInput): StackChange[] | undefined {
    const key = inputKey(input);
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.at > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry?.changes;
  }
}

/** The same template, stack and values, whatever order the values came in. */
function inputKey(input: StackInput): string {
  const parameters = Object.entries(input.parameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([input.template, input.stackName, parameters]);
}
