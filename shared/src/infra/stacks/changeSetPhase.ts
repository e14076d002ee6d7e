import {
  type Capability,
  type Change,
  type CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  type Parameter,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { sleep, throwIfAborted } from '../../base/jobs/job';
import { TOOL_VERSION } from '../../base/version';
import type { StackChange } from './deployReport';
import { bestEffort, type DeployRun } from './deployRun';
import { type UploadedBundle, uploadLambdaBundle } from './lambdaBundle';
import { describeStack } from './stackEvents';
import { stackError } from './stackErrors';
import { TEMPLATE_TAG } from './stackStatus';
import type { LoadedTemplate } from './templateCatalog';

/** The parameter values the change set gets, with the Lambda bundle's place when the template runs one. */
export interface DeployValues {
  values: Record<string, string>;
  lambdaBundle?: UploadedBundle;
}

/** The change set this deploy created. */
export interface CreatedChangeSet {
  name: string;
  /** Its id (its name when CloudFormation gave none). */
  id: string;
  /** The stack's id, as CreateChangeSet answered it. */
  stackId?: string;
}

/** The change set once CloudFormation has prepared it: ready to execute, or an update that changes nothing. */
export type ReviewedChangeSet =
  | { noChanges: false; changes: StackChange[]; answer: DescribeChangeSetCommandOutput }
  | { noChanges: true; stack: Stack | undefined };

const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;

/** Phase "upload": the Lambda bundle, when the template runs one; its bucket and key become parameters. */
export async function uploadBundle(run: DeployRun): Promise<DeployValues> {
  const { template, input, previous, options, signal, onProgress, stackName } = run;
  const values: Record<string, string> = { ...input.params };
  if (!template.lambdaBundle) return { values };
  const known = { ...withDefaults(template, previous), ...values };
  const lambdaBundle = await uploadLambdaBundle(run.clients, template, known, {
    ...(options.lambdaBundlePath ? { bundlePath: options.lambdaBundlePath } : {}),
    ...(signal ? { signal } : {}),
  });
  values[template.lambdaBundle.bucketParameter] = lambdaBundle.bucket;
  values[template.lambdaBundle.keyParameter] = lambdaBundle.key;
  const { bucket, key, bytes, uploaded } = lambdaBundle;
  onProgress?.({ phase: 'upload', stackName, bucket, key, bytes, uploaded });
  return { values, lambdaBundle };
}

/** Phase "change-set": a CREATE or UPDATE change set of the template with these values, tagged as Coldkeep's. */
export async function createChangeSet(run: DeployRun, { values }: DeployValues): Promise<CreatedChangeSet> {
  const { cf, stackName, changeSetType, template, previous, signal } = run;
  throwIfAborted(signal);
  run.onProgress?.({ phase: 'change-set', stackName, changeSetType });
  const name = `coldkeep-${run.started.toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 15)}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const created = await cf.send(
      new CreateChangeSetCommand({
        StackName: stackName,
        ChangeSetName: name,
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
    return { name, id: created.Id ?? name, ...(created.StackId ? { stackId: created.StackId } : {}) };
  } catch (err) {
    throw stackError(err, `create a change set for ${stackName}`, stackName);
  }
}

/**
 * Phase "changes": waits until CloudFormation has prepared the change set and reads its changes.
 * One that cannot be prepared is discarded: an update without changes says so, anything else
 * fails saying that nothing was changed.
 */
export async function reviewChangeSet(run: DeployRun, changeSet: CreatedChangeSet): Promise<ReviewedChangeSet> {
  const { cf, stackName, changeSetType, status, signal } = run;
  let described: { changes: StackChange[]; answer: DescribeChangeSetCommandOutput };
  try {
    described = await waitForChangeSet(cf, changeSet.id, stackName, run.pollIntervalMs, signal);
  } catch (err) {
    await discardChangeSet(run, changeSet);
    throw err;
  }
  const { answer } = described;
  if (answer.Status !== 'FAILED') return { noChanges: false, ...described };
  const reason = answer.StatusReason ?? 'no reason given';
  await discardChangeSet(run, changeSet);
  if (changeSetType === 'UPDATE' && NO_CHANGES.test(reason)) {
    return { noChanges: true, stack: await describeStack(cf, stackName, signal) };
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

/** Removes a change set that will not be executed; a first deploy's empty stack (REVIEW_IN_PROGRESS) goes too. */
export async function discardChangeSet(run: DeployRun, changeSet: CreatedChangeSet): Promise<void> {
  const { cf, stackName } = run;
  await bestEffort(() => cf.send(new DeleteChangeSetCommand({ ChangeSetName: changeSet.id, StackName: stackName })));
  if (run.changeSetType === 'CREATE' && !run.existing) {
    await bestEffort(() => cf.send(new DeleteStackCommand({ StackName: changeSet.stackId ?? stackName })));
  }
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
