import { CancelledError, ColdkeepError, isCancelled } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';

/** CloudFormation's answers turned into errors with a hint; anything else goes through fromAwsError. */
export function stackError(err: unknown, doing: string, stackName: string): unknown {
  if (err instanceof ColdkeepError) return err;
  if (isCancelled(err)) return new CancelledError();
  const e = err as { name?: string; message?: string };
  const message = e?.message ?? '';
  if (e?.name === 'ValidationError' && /does not exist/.test(message)) {
    return new ColdkeepError('NoSuchStack', `Stack "${stackName}" does not exist.`, {
      hint: 'Check the name and the region ({setting:region}); "coldkeep stack deploy TEMPLATE" creates it.',
      cause: err,
    });
  }
  if (e?.name === 'InsufficientCapabilitiesException') {
    return new ColdkeepError('TemplateInvalid', `CloudFormation refused to ${doing}: ${message}`, {
      hint: 'The template creates IAM resources; Coldkeep passes CAPABILITY_IAM and CAPABILITY_NAMED_IAM for them.',
      cause: err,
    });
  }
  if (e?.name === 'ValidationError' && /_IN_PROGRESS state/.test(message)) {
    return new ColdkeepError('StackBusy', `Stack "${stackName}" is busy: ${message}`, {
      hint: `Wait until the running operation ends ("coldkeep stack status ${stackName}"), then try again.`,
      cause: err,
    });
  }
  if (e?.name === 'ValidationError') {
    return new ColdkeepError('StackFailed', `CloudFormation refused to ${doing}: ${message}`, {
      hint: 'The message names the template part or parameter CloudFormation objects to.',
      details: { stackName },
      cause: err,
    });
  }
  return fromAwsError(err, { doing });
}
