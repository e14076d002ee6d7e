import { DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import type { AwsClients } from '../../base/aws/clients';
import { CancelledError, ColdkeepError, isCancelled } from '../../base/errors/ColdkeepError';
import { type JobOptions } from '../../base/jobs/job';
import { describeStack, failuresOf, followStack, latestEventIds, type StackEvent } from './stackEvents';
import { stackError } from './stackErrors';

export type DeleteProgress =
  | { phase: 'delete'; stackName: string }
  | { phase: 'event'; stackName: string; event: StackEvent }
  | { phase: 'done'; stackName: string; status: string };

export interface DeleteOptions extends JobOptions<DeleteProgress> {
  /** Between two polls of CloudFormation (default 5 s). */
  pollIntervalMs?: number;
}

export interface DeleteReport {
  stackName: string;
  /** False when there was no such stack (nothing to do). */
  existed: boolean;
  status: string;
  /** Resources kept on purpose (DeletionPolicy: Retain): buckets and keys holding backups. */
  retained: { logicalId: string; resourceType: string; physicalId?: string }[];
  events: StackEvent[];
}

/**
 * Deletes a stack and streams its events until it is gone. Buckets and keys that hold backups
 * are kept (the templates retain them) and listed in the report; a failure names the resource
 * and its reason.
 */
export async function deleteStack(
  clients: AwsClients,
  input: { stackName: string },
  options: DeleteOptions = {},
): Promise<DeleteReport> {
  const { stackName } = input;
  const { signal, onProgress } = options;
  const cf = clients.cloudformation;
  const stack = await describeStack(cf, stackName, signal);
  if (!stack) return { stackName, existed: false, status: 'DELETE_COMPLETE', retained: [], events: [] };
  const stackId = stack.StackId ?? stackName;
  const seen = await latestEventIds(cf, stackId, signal);
  try {
    await cf.send(new DeleteStackCommand({ StackName: stackId }), { abortSignal: signal });
  } catch (err) {
    throw stackError(err, `delete stack ${stackName}`, stackName);
  }
  onProgress?.({ phase: 'delete', stackName });
  let followed: Awaited<ReturnType<typeof followStack>>;
  try {
    followed = await followStack(cf, stackId, {
      pollIntervalMs: options.pollIntervalMs ?? 5000,
      seen,
      ...(signal ? { signal } : {}),
      onEvent: (event) => onProgress?.({ phase: 'event', stackName, event }),
    });
  } catch (err) {
    if (!isCancelled(err)) throw err;
    throw new CancelledError(`Stopped waiting: CloudFormation goes on deleting "${stackName}".`, {
      hint: `"coldkeep stack status ${stackName}" shows where it is.`,
      details: { stackName },
    });
  }
  const status = followed.stack?.StackStatus ?? 'DELETE_COMPLETE';
  onProgress?.({ phase: 'done', stackName, status });
  if (status !== 'DELETE_COMPLETE') {
    const cause = failuresOf(followed.events)[0];
    throw new ColdkeepError(
      'StackFailed',
      `The deletion of stack "${stackName}" failed${cause ? `: ${cause.logicalId} (${cause.resourceType}) ${cause.reason}` : ''}. The stack is now ${status}.`,
      {
        hint: /not empty/i.test(cause?.reason ?? '')
          ? 'The bucket still holds objects; empty it (or keep it) and delete the stack again.'
          : 'Fix the cause and delete the stack again.',
        details: { stackName, status, failures: failuresOf(followed.events) },
      },
    );
  }
  const retained = followed.events
    .filter((e) => e.status === 'DELETE_SKIPPED')
    .map((e) => ({
      logicalId: e.logicalId,
      resourceType: e.resourceType,
      ...(e.physicalId ? { physicalId: e.physicalId } : {}),
    }));
  return { stackName, existed: true, status, retained, events: followed.events };
}
