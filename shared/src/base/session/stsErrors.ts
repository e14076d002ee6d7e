import { ColdkeepError } from '../errors/ColdkeepError';
import { fromAwsError } from '../errors/fromAwsError';

interface StsLikeError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

export interface StsErrorContext {
  profile: string;
  mfaSerial: string;
  roleArn?: string;
}

/** Turns what STS says about an MFA call into an error with a plain message and a hint. */
export function fromStsError(err: unknown, ctx: StsErrorContext): unknown {
  if (err instanceof ColdkeepError) return err;
  const e = (err ?? {}) as StsLikeError;
  const name = e.name ?? '';
  const message = e.message ?? '';
  if (/MultiFactorAuthentication/i.test(message) || /invalid MFA|MFA code/i.test(message)) {
    return new ColdkeepError('MfaCodeRejected', `AWS rejected the MFA code for ${ctx.mfaSerial}.`, {
      hint:
        'Type the code shown now, and wait for a new one if you already used this one (a code works once). ' +
        "If codes keep failing, the device's clock may be off, or mfa_serial may name another device.",
      cause: err,
    });
  }
  if (
    ['RequestTimeTooSkewed', 'RequestExpired', 'InvalidSignatureException'].includes(name) ||
    (name === 'SignatureDoesNotMatch' && /expired|skew|earlier than|later than/i.test(message))
  ) {
    return new ColdkeepError('ClockSkew', "AWS refused the request because this computer's clock is off.", {
      hint: 'Set the clock right (turn on automatic time / NTP), then try again.',
      cause: err,
    });
  }
  if (/session credentials/i.test(message) && /GetSessionToken/i.test(message)) {
    return new ColdkeepError(
      'InvalidInput',
      `Profile "${ctx.profile}" already uses temporary credentials, and GetSessionToken needs long-term ones.`,
      {
        hint: "Use a profile with the IAM user's access keys (aws_access_key_id) and mfa_serial, or add role_arn to assume a role.",
        cause: err,
      },
    );
  }
  if (['AccessDenied', 'AccessDeniedException'].includes(name) && ctx.roleArn) {
    return new ColdkeepError('AccessDenied', `AWS refused to let profile "${ctx.profile}" assume ${ctx.roleArn}.`, {
      hint: `The role's trust policy must allow sts:AssumeRole by the source identity, with MFA (aws:MultiFactorAuthPresent). AWS said: ${message}`,
      cause: err,
    });
  }
  if (['InvalidClientTokenId', 'UnrecognizedClientException'].includes(name)) {
    return new ColdkeepError('MissingCredentials', `AWS does not know the access key of profile "${ctx.profile}".`, {
      hint: 'The long-term access key in the credentials file was deleted or mistyped; create a new one in IAM and run "aws configure".',
      cause: err,
    });
  }
  return fromAwsError(err, { doing: ctx.roleArn ? `assume role ${ctx.roleArn}` : 'start an MFA session' });
}
