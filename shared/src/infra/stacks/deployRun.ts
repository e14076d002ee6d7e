import type { CloudFormationClient, Stack } from '@aws-sdk/client-cloudformation';
import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { DeployInput, DeployOptions, StackProgress } from './deployReport';
import { describeStack } from './stackEvents';
import { parametersOf } from './stackStatus';
import { defaultStackName, type LoadedTemplate, loadTemplate } from './templateCatalog';
import { checkParameters, type ParameterProblem } from './templateParameters';

/** What a deploy settles before any AWS call: the checked input, the template, the clock. */
export interface DeployStart {
  clients: AwsClients;
  cf: CloudFormationClient;
  input: DeployInput;
  options: DeployOptions;
  signal?: AbortSignal;
  onProgress?: (progress: StackProgress) => void;
  now: () => Date;
  started: Date;
  pollIntervalMs: number;
  template: LoadedTemplate;
  stackName: string;
}

/** What the stack as it stands decides, read once; the later phases only read it. */
export interface DeployRun extends DeployStart {
  /** The stack before this deploy (undefined: there is none). */
  existing: Stack | undefined;
  /** Its status before this deploy ('' when there is no stack). */
  status: string;
  changeSetType: 'CREATE' | 'UPDATE';
  /** The stack's parameter values, kept by an update for the parameters not given. */
  previous: Record<string, string>;
}

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** Problems as one error: each on its own line, with what to do. */
export function parameterError(template: string, problems: ParameterProblem[]): ColdkeepError {
  return new ColdkeepError(
    'InvalidInput',
    `The parameters for template "${template}" are not valid:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`,
    {
      hint: `Fix them and deploy again; "coldkeep stack templates ${template}" lists every parameter with its constraints.`,
      details: { problems },
    },
  );
}

/**
 * Phase "check", before any AWS call: the template, the stack name, and the parameters that are
 * wrong whatever the stack holds (unknown names, types, patterns). A missing value is judged once
 * the stack is read: an update keeps the values it has.
 */
export function checkDeploy(clients: AwsClients, input: DeployInput, options: DeployOptions): DeployStart {
  const now = options.now ?? (() => new Date());
  const started = now();
  const template = loadTemplate(input.template, options);
  const stackName = input.stackName ?? defaultStackName(input.template);
  if (!STACK_NAME.test(stackName)) {
    throw new ColdkeepError('InvalidInput', `"${stackName}" is not a valid stack name.`, {
      hint: 'A stack name starts with a letter and holds only letters, digits and hyphens (at most 128).',
    });
  }
  const offline = checkParameters(template.document, template.parameters, input.params, new Set()).filter(
    (p) => p.code !== 'Missing' && p.code !== 'Rule',
  );
  if (offline.length) throw parameterError(input.template, offline);
  return {
    clients,
    cf: clients.cloudformation,
    input,
    options,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    now,
    started,
    pollIntervalMs: options.pollIntervalMs ?? 5000,
    template,
    stackName,
  };
}

/**
 * Phase "read the stack": a busy or failed stack is refused; otherwise it decides CREATE or
 * UPDATE and which values are kept, and the parameters are checked in full against them.
 */
export async function readTarget(start: DeployStart): Promise<DeployRun> {
  const { cf, stackName, template, input, signal } = start;
  const existing = await describeStack(cf, stackName, signal);
  const status = existing?.StackStatus ?? '';
  if (existing && status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS') {
    throw new ColdkeepError('StackBusy', `Stack "${stackName}" is busy (${status}).`, {
      hint: `Wait until it settles ("coldkeep stack status ${stackName}"), then deploy again.`,
    });
  }
  if (status === 'ROLLBACK_COMPLETE' || status === 'ROLLBACK_FAILED' || status === 'DELETE_FAILED') {
    throw new ColdkeepError('StackFailed', `Stack "${stackName}" is ${status} and cannot be updated.`, {
      hint: `Its first deploy failed; delete it ("coldkeep stack delete ${stackName}") and deploy again.`,
      details: { stackName, status },
    });
  }
  const changeSetType: 'CREATE' | 'UPDATE' = existing && status !== 'REVIEW_IN_PROGRESS' ? 'UPDATE' : 'CREATE';
  const previous = changeSetType === 'UPDATE' ? parametersOf(existing) : {};
  const problems = checkParameters(
    template.document,
    template.parameters,
    input.params,
    new Set(Object.keys(previous)),
  );
  if (problems.length) throw parameterError(input.template, problems);
  return { ...start, existing, status, changeSetType, previous };
}

/** Clean-up that must not hide the error or result it follows. */
export async function bestEffort(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch {
    // The change set or empty stack stays; CloudFormation lists it, and the next deploy replaces it.
  }
}
