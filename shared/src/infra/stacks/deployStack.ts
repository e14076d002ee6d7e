import type { AwsClients } from '../../base/aws/clients';
import {
  type CreatedChangeSet,
  createChangeSet,
  type DeployValues,
  discardChangeSet,
  reviewChangeSet,
  uploadBundle,
} from './changeSetPhase';
import type { DeployInput, DeployOptions, DeployReport } from './deployReport';
import { checkDeploy, type DeployRun, readTarget } from './deployRun';
import { executeChangeSet } from './executePhase';
import { outputsOf } from './stackStatus';

/**
 * Deploys a template from the catalogue as a stack, through a change set, in phases (deployRun.ts
 * holds what they share): check the parameters (before any AWS call) → read the stack (CREATE or
 * UPDATE, the values it keeps) → upload the Lambda bundle when the template runs one → create a
 * change set → review its changes → execute it and stream the stack's events until
 * CloudFormation settles. An update without changes says so and executes nothing. A failure
 * names the resource that failed, its reason, and the state the stack was left in.
 */
export async function deployStack(
  clients: AwsClients,
  input: DeployInput,
  options: DeployOptions = {},
): Promise<DeployReport> {
  const run = await readTarget(checkDeploy(clients, input, options));
  const { stackName, changeSetType, existing, status, onProgress } = run;
  const bundled = await uploadBundle(run);
  const changeSet = await createChangeSet(run, bundled);

  const reviewed = await reviewChangeSet(run, changeSet);
  if (reviewed.noChanges) {
    const { stack } = reviewed;
    onProgress?.({ phase: 'done', stackName, status: stack?.StackStatus ?? status });
    return report(run, changeSet, bundled, {
      ...(stack?.StackId ? { stackId: stack.StackId } : {}),
      changes: [],
      noChanges: true,
      executed: false,
      status: stack?.StackStatus ?? status,
      outputs: outputsOf(stack),
      events: [],
    });
  }
  const { changes, answer } = reviewed;
  onProgress?.({ phase: 'changes', stackName, changes });

  if (options.approve && !(await options.approve(changes))) {
    await discardChangeSet(run, changeSet);
    return report(run, changeSet, bundled, {
      ...(changeSetType === 'UPDATE' && existing?.StackId ? { stackId: existing.StackId } : {}),
      changes,
      noChanges: false,
      executed: false,
      ...(changeSetType === 'UPDATE' ? { status } : {}),
      outputs: outputsOf(existing),
      events: [],
    });
  }

  const executed = await executeChangeSet(run, changeSet, answer);
  return report(run, changeSet, bundled, {
    stackId: executed.stack?.StackId ?? executed.id,
    changes,
    noChanges: false,
    executed: true,
    status: executed.status,
    outputs: outputsOf(executed.stack),
    events: executed.events,
  });
}

/** What every report of a deploy that got as far as a change set says, and how long it took. */
function report(
  run: DeployRun,
  changeSet: CreatedChangeSet,
  { lambdaBundle }: DeployValues,
  outcome: Omit<
    DeployReport,
    'stackName' | 'template' | 'changeSetType' | 'changeSetName' | 'lambdaBundle' | 'durationMs'
  >,
): DeployReport {
  return {
    stackName: run.stackName,
    template: run.template.name,
    changeSetType: run.changeSetType,
    changeSetName: changeSet.name,
    ...(lambdaBundle ? { lambdaBundle } : {}),
    ...outcome,
    durationMs: run.now().getTime() - run.started.getTime(),
  };
}
