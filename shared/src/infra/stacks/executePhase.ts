import {
  CancelUpdateStackCommand,
  type DescribeChangeSetCommandOutput,
  ExecuteChangeSetCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { CancelledError, ColdkeepError, isCancelled } from '../../base/errors/ColdkeepError';
import { throwIfAborted } from '../../base/jobs/job';
import type { CreatedChangeSet } from './changeSetPhase';
import { bestEffort, type DeployRun } from './deployRun';
import { failuresOf, followStack, latestEventIds, type StackEvent, SUCCESS_STATUSES } from './stackEvents';
import { stackError } from './stackErrors';

/** Where an executed change set left the stack. */
export interface ExecutedChangeSet {
  /** The stack's id (or name) the events were followed by. */
  id: string;
  stack: Stack | undefined;
  status: string;
  events: StackEvent[];
}

/**
 * Phase "execute": runs the change set and streams the stack's events until CloudFormation
 * settles. A cancel rolls an update back; a first deploy goes on in CloudFormation and the error
 * says how to follow or remove it. A stack that did not reach a COMPLETE state is an error that
 * names the failed resource.
 */
export async function executeChangeSet(
  run: DeployRun,
  changeSet: CreatedChangeSet,
  answer: DescribeChangeSetCommandOutput,
): Promise<ExecutedChangeSet> {
  const { cf, stackName, changeSetType, signal, onProgress } = run;
  throwIfAborted(signal);
  const id = changeSet.stackId ?? answer.StackId ?? stackName;
  const seen = await latestEventIds(cf, id, signal);
  try {
    await cf.send(new ExecuteChangeSetCommand({ ChangeSetName: changeSet.id, StackName: stackName }), {
      abortSignal: signal,
    });
  } catch (err) {
    throw stackError(err, `execute the change set of ${stackName}`, stackName);
  }
  onProgress?.({ phase: 'execute', stackName });
  let followed: Awaited<ReturnType<typeof followStack>>;
  try {
    followed = await followStack(cf, id, {
      pollIntervalMs: run.pollIntervalMs,
      seen,
      ...(signal ? { signal } : {}),
      onEvent: (event) => onProgress?.({ phase: 'event', stackName, event }),
    });
  } catch (err) {
    if (!isCancelled(err)) throw err;
    throw await cancelled(run, id);
  }
  const status = followed.stack?.StackStatus ?? 'DELETE_COMPLETE';
  onProgress?.({ phase: 'done', stackName, status });
  if (!SUCCESS_STATUSES.has(status)) throw deployFailure(stackName, changeSetType, status, followed.events);
  return { id, stack: followed.stack, status, events: followed.events };
}

/** A cancel while CloudFormation works: an update is rolled back, a creation goes on without us. */
async function cancelled(run: DeployRun, id: string): Promise<CancelledError> {
  const { cf, stackName } = run;
  if (run.changeSetType === 'UPDATE') {
    await bestEffort(() => cf.send(new CancelUpdateStackCommand({ StackName: id })));
    return new CancelledError(`Cancelled: the update of "${stackName}" is being rolled back to its previous state.`, {
      details: { stackName },
    });
  }
  return new CancelledError(`Stopped waiting: CloudFormation goes on creating "${stackName}".`, {
    hint: `"coldkeep stack status ${stackName}" shows where it is; "coldkeep stack delete ${stackName}" removes it.`,
    details: { stackName },
  });
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
