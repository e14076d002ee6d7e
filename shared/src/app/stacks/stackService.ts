import { existsSync } from 'node:fs';
import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { JobOptions } from '../../base/jobs/job';
import { lambdaBundlePath } from '../../infra/stacks/lambdaBundle';
import type { DeployOptions, DeployReport, StackChange, StackProgress } from '../../infra/stacks/deployReport';
import { deployStack } from '../../infra/stacks/deployStack';
import type { StackOutput } from '../../infra/stacks/stackStatus';
import {
  listTemplates,
  loadTemplate,
  templateParameters,
  type TemplateSource,
  type TemplateSummary,
  validateParameters,
} from '../../infra/stacks/templateCatalog';
import type { ParameterProblem, TemplateParameter } from '../../infra/stacks/templateParameters';

/** A stack to preview or deploy, as a front end's form gives it. */
export interface StackRequest {
  template: string;
  /** Default: coldkeep-<template>. */
  stackName?: string;
  parameters: Record<string, string>;
}

/** A template as a picker shows it. */
export interface TemplateChoice extends Pick<
  TemplateSummary,
  'name' | 'description' | 'defaultStackName' | 'needsLambdaBundle'
> {
  /** What this installation lacks to deploy it (the Lambda bundle), if anything. */
  missing?: string;
}

/** What a deploy ended with (the core's DeployReport, as much as a front end shows). */
export interface StackDeployResult {
  stackName: string;
  /** False when the change set was not executed (declined, or an update without changes). */
  executed: boolean;
  noChanges: boolean;
  status?: string;
  changes: StackChange[];
  outputs: StackOutput[];
}

export interface StackServiceOptions extends TemplateSource {
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
 * One-click stacks as a front end uses them: the templates (with what this installation lacks),
 * the parameters a form asks for, their offline checks, a preview and a deploy.
 *
 * Preview and Deploy are two change sets (a front end's contract is one request per step, and a
 * change set left waiting for a click that never comes would linger in the account). So that
 * Deploy executes what the user saw, each preview's changes are remembered, keyed by the exact
 * input, and a deploy of the same input whose change set differs (the stack changed in between)
 * is discarded unexecuted with `StackChanged`. A deploy without a preview runs as
 * `coldkeep stack deploy` does; `approve` (a front end's own review of the changes) replaces the
 * check against the preview.
 */
export class StackService {
  private readonly source: TemplateSource;
  private readonly previews: PreviewMemory;

  constructor(private readonly options: StackServiceOptions = {}) {
    this.source = options.templatesDir ? { templatesDir: options.templatesDir } : {};
    this.previews = new PreviewMemory(options.previewTtlMs ?? 60 * 60 * 1000, options.now ?? Date.now);
  }

  async listTemplates(): Promise<TemplateChoice[]> {
    return (await listTemplates(this.source)).map(({ name, description, defaultStackName, needsLambdaBundle }) => ({
      name,
      description,
      defaultStackName,
      needsLambdaBundle,
      ...(needsLambdaBundle && !this.lambdaBundleFound(name)
        ? { missing: 'needs the Lambda bundle: set COLDKEEP_LAMBDA_BUNDLE to its zip ("npm run build:lambda")' }
        : {}),
    }));
  }

  /** Every parameter of the template (`filledByDeploy` marks those a form leaves out). */
  templateParameters(template: string): Promise<TemplateParameter[]> {
    return templateParameters(template, this.source);
  }

  /** The parameters a user fills in: those the deploy fills itself are left out. */
  async formParameters(template: string): Promise<TemplateParameter[]> {
    return (await this.templateParameters(template)).filter((p) => !p.filledByDeploy);
  }

  /** Problems with the values (offline checks, incl. the template's Rules); empty when they are fine. */
  validateParameters(template: string, parameters: Record<string, string>): ParameterProblem[] {
    return validateParameters(template, parameters, this.source);
  }

  /**
   * The changes a deploy would make: the core's dry run (the change set is made, described, and
   * discarded, with the empty stack a first deploy leaves in REVIEW_IN_PROGRESS).
   */
  async previewChangeSet(
    clients: AwsClients,
    input: StackRequest,
    job: JobOptions<StackProgress>,
  ): Promise<StackChange[]> {
    const report = await deployStack(clients, deployInput(input), { ...this.deployOptions(job), approve: () => false });
    this.previews.remember(input, report.changes);
    return report.changes;
  }

  async deployStack(
    clients: AwsClients,
    input: StackRequest,
    job: JobOptions<StackProgress> & { approve?: DeployOptions['approve'] },
  ): Promise<StackDeployResult> {
    const previewed = job.approve ? undefined : this.previews.get(input);
    let differing: StackChange[] | undefined;
    const approve =
      job.approve ??
      (previewed
        ? (changes: StackChange[]) => {
            if (sameChanges(changes, previewed)) return true;
            differing = changes;
            return false;
          }
        : undefined);
    const report = await deployStack(clients, deployInput(input), {
      ...this.deployOptions(job),
      ...(approve ? { approve } : {}),
    });
    if (differing) throw changedSincePreview(report.stackName, previewed ?? [], differing);
    return deployResult(report);
  }

  private deployOptions(job: JobOptions<StackProgress>): DeployOptions {
    return {
      ...this.source,
      ...(this.options.lambdaBundlePath ? { lambdaBundlePath: this.options.lambdaBundlePath } : {}),
      ...(this.options.pollIntervalMs !== undefined ? { pollIntervalMs: this.options.pollIntervalMs } : {}),
      ...(job.signal ? { signal: job.signal } : {}),
      ...(job.onProgress ? { onProgress: job.onProgress } : {}),
    };
  }

  /** The template's Lambda zip is where a deploy will look for it (a packaged front end ships it; a checkout once `npm run build:lambda` ran). */
  private lambdaBundleFound(name: string): boolean {
    const path = lambdaBundlePath(loadTemplate(name, this.source), this.options.lambdaBundlePath);
    return path !== undefined && existsSync(path);
  }
}

function deployInput(input: StackRequest) {
  return {
    template: input.template,
    ...(input.stackName ? { stackName: input.stackName } : {}),
    params: input.parameters,
  };
}

function deployResult(report: DeployReport): StackDeployResult {
  return {
    stackName: report.stackName,
    executed: report.executed,
    noChanges: report.noChanges,
    ...(report.status ? { status: report.status } : {}),
    changes: report.changes,
    outputs: report.outputs,
  };
}

/**
 * A form's values the template refuses, as one error before any AWS call (a front end's own
 * per-field checks are a convenience; this is the check that counts).
 */
export function invalidParametersError(problems: ParameterProblem[]): ColdkeepError {
  return new ColdkeepError(
    'InvalidInput',
    `The parameters are not valid: ${problems.map((p) => p.message.replace(/\.$/, '')).join('; ')}.`,
    { hint: 'Correct the values and preview again.', details: { problems } },
  );
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

  remember(input: StackRequest, changes: StackChange[]): void {
    const key = inputKey(input);
    this.entries.delete(key);
    this.entries.set(key, { changes, at: this.now() });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= MAX_PREVIEWS) break;
      this.entries.delete(oldest);
    }
  }

  get(input: StackRequest): StackChange[] | undefined {
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
function inputKey(input: StackRequest): string {
  const parameters = Object.entries(input.parameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([input.template, input.stackName, parameters]);
}
