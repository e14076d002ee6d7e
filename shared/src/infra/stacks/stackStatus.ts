import type { Stack } from '@aws-sdk/client-cloudformation';
import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { describeStack } from './stackEvents';

export interface StackOutput {
  key: string;
  value: string;
  description?: string;
  exportName?: string;
}

/** The stack tag that says which template a stack was deployed from. */
export const TEMPLATE_TAG = 'coldkeep:template';

export interface StackStatusReport {
  stackName: string;
  exists: boolean;
  stackId?: string;
  /** CloudFormation's status, e.g. CREATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE; absent when the stack does not exist. */
  status?: string;
  statusReason?: string;
  /** The Coldkeep template it was deployed from (its tag), when it was deployed by Coldkeep. */
  template?: string;
  createdAt?: string;
  updatedAt?: string;
  outputs: StackOutput[];
  /** Parameter values as CloudFormation keeps them (NoEcho values come back masked). */
  parameters: Record<string, string>;
}

export function outputsOf(stack: Stack | undefined): StackOutput[] {
  return (stack?.Outputs ?? []).map((o) => ({
    key: o.OutputKey ?? '',
    value: o.OutputValue ?? '',
    ...(o.Description ? { description: o.Description } : {}),
    ...(o.ExportName ? { exportName: o.ExportName } : {}),
  }));
}

export function parametersOf(stack: Stack | undefined): Record<string, string> {
  return Object.fromEntries((stack?.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
}

/** A stack's status, outputs and parameters; `exists: false` when there is no such stack. */
export async function stackStatus(
  clients: AwsClients,
  stackName: string,
  options: { signal?: AbortSignal } = {},
): Promise<StackStatusReport> {
  const stack = await describeStack(clients.cloudformation, stackName, options.signal);
  if (!stack) return { stackName, exists: false, outputs: [], parameters: {} };
  const template = stack.Tags?.find((t) => t.Key === TEMPLATE_TAG)?.Value;
  return {
    stackName: stack.StackName ?? stackName,
    exists: true,
    ...(stack.StackId ? { stackId: stack.StackId } : {}),
    ...(stack.StackStatus ? { status: stack.StackStatus } : {}),
    ...(stack.StackStatusReason ? { statusReason: stack.StackStatusReason } : {}),
    ...(template ? { template } : {}),
    ...(stack.CreationTime ? { createdAt: stack.CreationTime.toISOString() } : {}),
    ...(stack.LastUpdatedTime ? { updatedAt: stack.LastUpdatedTime.toISOString() } : {}),
    outputs: outputsOf(stack),
    parameters: parametersOf(stack),
  };
}

/** A stack's outputs; fails with NoSuchStack when it does not exist. */
export async function stackOutputs(
  clients: AwsClients,
  stackName: string,
  options: { signal?: AbortSignal } = {},
): Promise<StackOutput[]> {
  const status = await stackStatus(clients, stackName, options);
  if (!status.exists) {
    throw new ColdkeepError('NoSuchStack', `Stack "${stackName}" does not exist.`, {
      hint: 'Check the name and the region ({setting:region}); "coldkeep stack deploy TEMPLATE" creates it.',
    });
  }
  return status.outputs;
}
