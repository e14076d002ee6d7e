import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromAwsError } from '../errors/fromAwsError';
import { commonClientConfig } from './clients';
import { serviceErrorMiddleware } from './serviceErrors';
import { type AwsSettings, endpointFor } from './settings';

/** Who the credentials are (STS GetCallerIdentity), and where: what fills a policy's account and region. */
export interface CallerIdentity {
  account: string;
  arn: string;
  /** From the ARN: aws, aws-cn, aws-us-gov. */
  partition: string;
  region: string;
}

/**
 * Checks the credentials with the one call every identity may make (no permission needed), so a
 * front end can say "no credentials" before asking for anything else.
 */
export async function getCallerIdentity(
  settings: AwsSettings,
  options: { signal?: AbortSignal } = {},
): Promise<CallerIdentity> {
  const config = commonClientConfig(settings, 'sts');
  const sts = new STSClient({ ...config, maxAttempts: 2 });
  // An endpoint that does not answer is EndpointUnreachable, as for every other client.
  sts.middlewareStack.add(serviceErrorMiddleware('sts', endpointFor(settings, 'sts')), {
    step: 'initialize',
    name: 'coldkeepServiceErrors',
  });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}), { abortSignal: options.signal });
    const arn = out.Arn ?? '';
    return { account: out.Account ?? '', arn, partition: arn.split(':')[1] || 'aws', region: config.region };
  } catch (err) {
    throw fromAwsError(err, { doing: 'check the AWS credentials' });
  } finally {
    sts.destroy();
  }
}
