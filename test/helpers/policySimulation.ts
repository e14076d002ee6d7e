/**
 * Runs IAM requests through @cloud-copilot/iam-simulate (AGPL-3.0: a test-only dependency).
 * The KMS key policy only delegates to the account (the usual first statement), so whether a
 * KMS request is allowed is decided by the identity policy under test.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { PolicyDocument, RequiredAccess } from '@coldkeep/shared';

export interface SimulationSetup {
  account: string;
  /** Bucket policy applied to S3 requests (e.g. the deny-insecure-transport snippet). */
  bucketPolicy?: PolicyDocument;
}

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied' | `Error: ${string}`;

export async function simulate(
  identityPolicy: PolicyDocument,
  access: RequiredAccess,
  setup: SimulationSetup,
): Promise<Decision> {
  const service = access.action.split(':')[0];
  const resourcePolicy =
    service === 'kms'
      ? {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${setup.account}:root` },
              Action: 'kms:*',
              Resource: '*',
            },
          ],
        }
      : service === 's3'
        ? setup.bucketPolicy
        : undefined;
  const response = await runSimulation(
    {
      identityPolicies: [{ name: 'coldkeep', policy: identityPolicy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
      request: {
        action: access.action,
        principal: `arn:aws:iam::${setup.account}:role/coldkeep`,
        resource: { accountId: setup.account, resource: access.resource },
        contextVariables: { 'aws:SecureTransport': 'true', ...access.context },
      },
    },
    {},
  );
  if (response.resultType === 'error') return `Error: ${JSON.stringify(response.errors)}`;
  return response.overallResult as Decision;
}
