import {
  type Capability,
  type Change,
  CancelUpdateStackCommand,
  type CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  ExecuteChangeSetCommand,
  type Parameter,
} from '@aws-sdk/client-cloudformation';
import type { AwsClients } from '../../base/aws/clients';
import { CancelledError, ColdkeepError, isCancelled } from '../../base/errors/ColdkeepError';
import { type JobOptions, sleep, throwIfAborted } from '../../base/jobs/job';
import { TOOL_VERSION } from '../../base/version';
import { type UploadedBundle, uploadLambdaBundle } from './lambdaBundle';
import {
  describeStack,
  failuresOf,
  followStack,
  latestEventIds,
  type StackEvent,
  SUCCESS_STATUSES,
} from './stackEvents';
import { stackError } from './stackErrors';
import { outputsOf, parametersOf, type StackOutput, TEMPLATE_TAG } from './stackStatus';
import { defaultStackName, type LoadedTemplate, loadTemplate, type TemplateSource } from './templateCatalog';
import { checkParameters, type ParameterProblem } from './templateParameters';

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

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;

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
 * Deploys a template from the catalogue as a stack, through a change set: checks the parameters
 * (before any AWS call), uploads the Lambda bundle when the template runs one, creates a CREATE
 * or UPDATE change set, reports its changes, executes it and streams the stack's events until
 * CloudFormation settles. An update without changes says so and executes nothing. A failure
 * names the resource that failed, its reason, and the state the stack was left in.
 */
export async function deployStack(
  clients: AwsClients,
  input: DeployInput,
  options: DeployOptions = {},
): Promise<DeployReport> {
  const { signal, onProgress } = options;
  const now = options.now ?? (() => new Date());
  const started = now();
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  const template = loadTemplate(input.template, options);
  const stackName = input.stackName ?? defaultStackName(input.template);
  if (!STACK_NAME.test(stackName)) {
    throw new ColdkeepError('InvalidInput', `"${stackName}" is not a valid stack name.`, {
      hint: 'A stack name starts with a letter and holds only letters, digits and hyphens (at most 128).',
    });
  }
  // Unknown names, types, patterns: wrong whatever the stack holds, so said before any AWS call.
  // A missing value is judged once the stack is read: an update keeps the values it has.
  const offline = checkParameters(template.document, template.parameters, input.params, new Set()).filter(
    (p) => p.code !== 'Missing' && p.code !== 'Rule',
  );
  if (offline.length) throw parameterError(input.template, offline);

  const cf = clients.cloudformation;
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

  const values: Record<string, string> = { ...input.params };
  let lambdaBundle: UploadedBundle | undefined;
  if (template.lambdaBundle) {
    const known = { ...withDefaults(template, previous), ...values };
    lambdaBundle = await uploadLambdaBundle(clients, template, known, {
      ...(options.lambdaBundlePath ? { bundlePath: options.lambdaBundlePath } : {}),
      ...(signal ? { signal } : {}),
    });
    values[template.lambdaBundle.bucketParameter] = lambdaBundle.bucket;
    values[template.lambdaBundle.keyParameter] = lambdaBundle.key;
    onProgress?.({ phase: 'upload', stackName, ...pick(lambdaBundle) });
  }

  throwIfAborted(signal);
  onProgress?.({ phase: 'change-set', stackName, changeSetType });
  const changeSetName = `coldkeep-${started.toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 15)}-${Math.random().toString(36).slice(2, 8)}`;
  let changeSetId: string;
  let stackId: string | undefined;
  try {
    const created = await cf.send(
      new CreateChangeSetCommand({
        StackName: stackName,
        ChangeSetName: changeSetName,
        ChangeSetType: changeSetType,
        TemplateBody: template.body,
        Parameters: stackParameters(template, values, previous),
        Capabilities: capabilitiesOf(template),
        Tags: [
          { Key: TEMPLATE_TAG, Value: template.name },
          { Key: 'coldkeep:version', Value: TOOL_VERSION },
        ],
        Description: `Coldkeep ${TOOL_VERSION}: ${template.name}`,
      }),
      { abortSignal: signal },
    );
    changeSetId = created.Id ?? changeSetName;
    stackId = created.StackId;
  } catch (err) {
    throw stackError(err, `create a change set for ${stackName}`, stackName);
  }

  const base = {
    stackName,
    template: template.name,
    changeSetType,
    changeSetName,
    ...(lambdaBundle ? { lambdaBundle } : {}),
  };
  const discard = async (): Promise<void> => {
    // A first deploy that is not executed leaves an empty stack in REVIEW_IN_PROGRESS: remove it too.
    await bestEffort(() => cf.send(new DeleteChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackName })));
    if (changeSetType === 'CREATE' && !existing) {
      await bestEffort(() => cf.send(new DeleteStackCommand({ StackName: stackId ?? stackName })));
    }
  };

  let described: { changes: StackChange[]; answer: DescribeChangeSetCommandOutput };
  try {
    described = await waitForChangeSet(cf, changeSetId, stackName, pollIntervalMs, signal);
  } catch (err) {
    await discard();
    throw err;
  }
  const { changes, answer } = described;
  if (answer.Status === 'FAILED') {
    const reason = answer.StatusReason ?? 'no reason given';
    await discard();
    if (changeSetType === 'UPDATE' && NO_CHANGES.test(reason)) {
      const stack = await describeStack(cf, stackName, signal);
      onProgress?.({ phase: 'done', stackName, status: stack?.StackStatus ?? status });
      return {
        ...base,
        ...(stack?.StackId ? { stackId: stack.StackId } : {}),
        changes: [],
        noChanges: true,
        executed: false,
        status: stack?.StackStatus ?? status,
        outputs: outputsOf(stack),
        events: [],
        durationMs: now().getTime() - started.getTime(),
      };
    }
    throw new ColdkeepError(
      'StackFailed',
      `CloudFormation could not prepare the ${changeSetType.toLowerCase()} of "${stackName}": ${reason}`,
      {
        hint: 'Nothing was changed. The reason names the template part or parameter CloudFormation objects to.',
        details: { stackName, changeSetType, reason, status: changeSetType === 'UPDATE' ? status : 'not created' },
      },
    );
  }
  onProgress?.({ phase: 'changes', stackName, changes });

  if (options.approve && !(await options.approve(changes))) {
    await discard();
    return {
      ...base,
      ...(changeSetType === 'UPDATE' && existing?.StackId ? { stackId: existing.StackId } : {}),
      changes,
      noChanges: false,
      executed: false,
      ...(changeSetType === 'UPDATE' ? { status } : {}),
      outputs: outputsOf(existing),
      events: [],
      durationMs: now().getTime() - started.getTime(),
    };
  }

  throwIfAborted(signal);
  const id = stackId ?? answer.StackId ?? stackName;
  const seen = await latestEventIds(cf, id, signal);
  try {
    await cf.send(new ExecuteChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackName }), {
      abortSignal: signal,
    });
  } catch (err) {
    throw stackError(err, `execute the change set of ${stackName}`, stackName);
  }
  onProgress?.({ phase: 'execute', stackName });
  let followed: Awaited<ReturnType<typeof followStack>>;
  try {
    followed = await followStack(cf, id, {
      pollIntervalMs,
      seen,
      ...(signal ? { signal } : {}),
      onEvent: (event) => onProgress?.({ phase: 'event', stackName, event }),
    });
  } catch (err) {
    if (!isCancelled(err)) throw err;
    if (changeSetType === 'UPDATE') {
      await bestEffort(() => cf.send(new CancelUpdateStackCommand({ StackName: id })));
      throw new CancelledError(`Cancelled: the update of "${stackName}" is being rolled back to its previous state.`, {
        details: { stackName },
      });
    }
    throw new CancelledError(`Stopped waiting: CloudFormation goes on creating "${stackName}".`, {
      hint: `"coldkeep stack status ${stackName}" shows where it is; "coldkeep stack delete ${stackName}" removes it.`,
      details: { stackName },
    });
  }
  const finalStatus = followed.stack?.StackStatus ?? 'DELETE_COMPLETE';
  onProgress?.({ phase: 'done', stackName, status: finalStatus });
  if (!SUCCESS_STATUSES.has(finalStatus)) throw deployFailure(stackName, changeSetType, finalStatus, followed.events);
  return {
    ...base,
    stackId: followed.stack?.StackId ?? id,
    changes,
    noChanges: false,
    executed: true,
    status: finalStatus,
    outputs: outputsOf(followed.stack),
    events: followed.events,
    durationMs: now().getTime() - started.getTime(),
  };
}

/** Clean-up that must not hide the error or result it follows. */
async function bestEffort(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch {
    // The change set or empty stack stays; CloudFormation lists it, and the next deploy replaces it.
  }
}

function pick(b: UploadedBundle): { bucket: string; key: string; bytes: number; uploaded: boolean } {
  return { bucket: b.bucket, key: b.key, bytes: b.bytes, uploaded: b.uploaded };
}

/** The values a parameter will have: given, else kept from the stack, else the template's default. */
function withDefaults(template: LoadedTemplate, previous: Record<string, string>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const p of template.parameters) {
    const value = previous[p.name] ?? p.default;
    if (value !== undefined) values[p.name] = value;
  }
  return values;
}

function stackParameters(
  template: LoadedTemplate,
  values: Record<string, string>,
  previous: Record<string, string>,
): Parameter[] {
  const parameters: Parameter[] = [];
  for (const p of template.parameters) {
    if (values[p.name] !== undefined) parameters.push({ ParameterKey: p.name, ParameterValue: values[p.name] });
    else if (p.name in previous) parameters.push({ ParameterKey: p.name, UsePreviousValue: true });
  }
  return parameters;
}

function capabilitiesOf(template: LoadedTemplate): Capability[] {
  const types = Object.values(template.document.Resources ?? {}).map((r) => r.Type);
  return types.some((t) => t.startsWith('AWS::IAM::')) ? ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] : [];
}

function toStackChange(c: Change): StackChange | undefined {
  const r = c.ResourceChange;
  if (!r) return undefined;
  return {
    action: r.Action ?? '',
    logicalId: r.LogicalResourceId ?? '',
    resourceType: r.ResourceType ?? '',
    ...(r.PhysicalResourceId ? { physicalId: r.PhysicalResourceId } : {}),
    ...(r.Replacement ? { replacement: r.Replacement } : {}),
  };
}

async function waitForChangeSet(
  cf: CloudFormationClient,
  changeSetId: string,
  stackName: string,
  pollIntervalMs: number,
  signal: AbortSignal | undefined,
): Promise<{ changes: StackChange[]; answer: DescribeChangeSetCommandOutput }> {
  for (;;) {
    let answer: DescribeChangeSetCommandOutput;
    try {
      answer = await cf.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackName }), {
        abortSignal: signal,
      });
    } catch (err) {
      throw stackError(err, `read the change set of ${stackName}`, stackName);
    }
    if (answer.Status === 'CREATE_COMPLETE' || answer.Status === 'FAILED') {
      const changes = (answer.Changes ?? []).map(toStackChange).filter((c): c is StackChange => c !== undefined);
      let token = answer.NextToken;
      while (token) {
        const page = await cf.send(
          new DescribeChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackName, NextToken: token }),
          { abortSignal: signal },
        );
        changes.push(...(page.Changes ?? []).map(toStackChange).filter((c): c is StackChange => c !== undefined));
        token = page.NextToken;
      }
      return { changes, answer };
    }
    await sleep(pollIntervalMs, signal);
  }
}

/** The error for a stack that did not reach a COMPLETE state: which resource, why, and where the stack is now. */
export function deployFailure(
  stackName: string,
  changeSetType: 'CREATE' | 'UPDATE',
  status: string,
  events: StackEvent[],
): ColdkeepError {
  const failures = failuresOf(events);
  const cause = failures[0];
  const what = cause
    ? `${cause.logicalId} (${cause.resourceType}) failed: ${cause.reason || cause.status}`
    : `it ended in ${status}`;
  const hint =
    status === 'UPDATE_ROLLBACK_COMPLETE'
      ? 'The stack was rolled back to its previous version and works as before. Fix the cause and deploy again.'
      : status === 'ROLLBACK_COMPLETE' || status === 'ROLLBACK_FAILED'
        ? `Nothing of the first deploy is left in use; delete the stack ("coldkeep stack delete ${stackName}"), fix the cause and deploy again.`
        : `Look at the stack's events in the CloudFormation console ("coldkeep stack status ${stackName}" shows its state).`;
  return new ColdkeepError(
    'StackFailed',
    `The ${changeSetType === 'CREATE' ? 'creation' : 'update'} of stack "${stackName}" failed: ${what}. The stack is now ${status}.`,
    { hint, details: { stackName, status, failures } },
  );
}
