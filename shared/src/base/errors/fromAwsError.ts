import { ColdkeepError } from './ColdkeepError';

/** What the caller was doing, so the message can name it. */
export interface AwsErrorContext {
  /** e.g. "scan table", "upload backup" */
  doing: string;
  table?: string;
  bucket?: string;
  region?: string;
}

interface AwsLikeError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
}

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'Throttling',
  'SlowDown',
  'TooManyRequestsException',
]);

export function isThrottling(err: unknown): boolean {
  const e = err as AwsLikeError | undefined;
  return !!e && (THROTTLING.has(e.name ?? '') || e.$metadata?.httpStatusCode === 429);
}

/** The name of the error a response damaged in transit raises (a wrong checksum or count). */
export const CORRUPT_RESPONSE = 'CorruptResponse';

/** Transient faults worth another try: throttling, 5xx, dropped connections, damaged responses. */
export function isRetryable(err: unknown): boolean {
  // The coded form of a raw network failure (serviceErrors.ts) is as worth retrying as the failure.
  if (err instanceof ColdkeepError && (err.code === 'EndpointUnreachable' || err.code === 'UnexpectedResponse'))
    return isRetryable(err.cause);
  if (isThrottling(err)) return true;
  const e = err as AwsLikeError & { code?: string };
  const status = e?.$metadata?.httpStatusCode ?? 0;
  if (status >= 500) return true;
  const name = e?.name ?? '';
  if (
    [
      'InternalError',
      'InternalServerError',
      'ServiceUnavailable',
      'RequestTimeout',
      'TimeoutError',
      CORRUPT_RESPONSE,
    ].includes(name)
  )
    return true;
  const code = e?.code ?? '';
  return ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE'].includes(code);
}

/** The IAM action named in an AccessDenied message, if AWS said which. */
function missingAction(message: string): string | undefined {
  return /perform:\s*([a-z0-9-]+:[A-Za-z0-9]+)/.exec(message)?.[1];
}

/**
 * Turns an SDK error into a ColdkeepError with a hint, for the errors users meet most.
 * Anything it does not recognise is returned unchanged, so nothing is hidden.
 */
export function fromAwsError(err: unknown, ctx: AwsErrorContext): unknown {
  if (err instanceof ColdkeepError) return err;
  const e = err as AwsLikeError;
  if (!e || typeof e !== 'object') return err;
  const name = e.name ?? '';
  const message = e.message ?? '';
  const where = ctx.region ? ` in ${ctx.region}` : '';

  if (name === 'ResourceNotFoundException' && ctx.table) {
    return new ColdkeepError('NoSuchTable', `Table "${ctx.table}" does not exist${where}.`, {
      hint: 'Check the table name and the region ({setting:region}); "coldkeep tables list" shows the tables there.',
      cause: err,
    });
  }
  if (name === 'NoSuchBucket') {
    return new ColdkeepError('NoSuchBucket', `Bucket "${ctx.bucket ?? '?'}" does not exist${where}.`, {
      hint: 'Check the bucket name, or create it (an S3 bucket with versioning and Object Lock is recommended).',
      cause: err,
    });
  }
  if (
    name === 'PermanentRedirect' ||
    name === 'AuthorizationHeaderMalformed' ||
    /region.*(wrong|expect)/i.test(message)
  ) {
    return new ColdkeepError(
      'RegionMismatch',
      `Bucket "${ctx.bucket ?? '?'}" is not in ${ctx.region ?? 'the configured region'}.`,
      {
        hint: "Give the bucket's own region in {setting:region}.",
        cause: err,
      },
    );
  }
  if (['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation'].includes(name)) {
    const action = missingAction(message);
    return new ColdkeepError(
      'AccessDenied',
      `Access denied while trying to ${ctx.doing}${action ? `: missing permission ${action}` : ''}.`,
      {
        hint: action
          ? `Grant ${action} to the identity Coldkeep runs as, on the resource named above.`
          : 'The identity Coldkeep runs as lacks a permission for this step; "aws sts get-caller-identity" shows who that is.',
        details: action ? { action } : undefined,
        cause: err,
      },
    );
  }
  if (['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired'].includes(name)) {
    return new ColdkeepError('ExpiredCredentials', `The AWS credentials have expired (while trying to ${ctx.doing}).`, {
      hint: 'Start a new session ("aws sso login", or refresh your MFA session) and run the command again.',
      cause: err,
    });
  }
  if (name === 'CredentialsProviderError') {
    return new ColdkeepError('MissingCredentials', 'No AWS credentials were found.', {
      hint: 'Configure a profile ("aws configure") and give it in {setting:profile}, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment. To try Coldkeep without AWS, use the local demo ("coldkeep demo" in a terminal).',
      cause: err,
    });
  }
  return err;
}
