import type { HandlerExecutionContext, InitializeMiddleware, MetadataBearer } from '@aws-sdk/types';
import { ColdkeepError, isCancelled } from '../errors/ColdkeepError';
import { checkBucketName } from './bucketName';
import type { ServiceName } from './settings';

const SERVICE_TITLES: Record<ServiceName, string> = {
  dynamodb: 'DynamoDB',
  s3: 'S3',
  ses: 'SES',
  sts: 'STS',
  cloudformation: 'CloudFormation',
  kms: 'KMS',
};

/** Network failures that mean the endpoint was never reached, in words. */
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
};

interface SdkFailure {
  name?: string;
  code?: string;
  message?: string;
  $response?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Where the call went: the endpoint the SDK resolved, else the one configured. */
function endpointOf(context: HandlerExecutionContext, configured: string | undefined): string {
  const url = (context as { endpointV2?: { url?: URL } }).endpointV2?.url;
  return url ? url.origin : (configured ?? 'the default AWS endpoint');
}

/**
 * A failure the SDK cannot name (no answer at all, or an answer that is not the service's XML
 * or JSON) as a coded error naming the service and the endpoint; anything else is unchanged.
 */
export function translateServiceFailure(
  err: unknown,
  service: ServiceName,
  endpoint: string,
  custom: boolean,
): unknown {
  if (err instanceof ColdkeepError || isCancelled(err) || !err || typeof err !== 'object') return err;
  const e = err as SdkFailure;
  const title = SERVICE_TITLES[service];
  const why = UNREACHABLE[e.code ?? ''] ?? (e.name === 'TimeoutError' ? 'timed out' : undefined);
  if (why && e.$response === undefined) {
    return new ColdkeepError('EndpointUnreachable', `Cannot reach ${title} at ${endpoint} (${why}).`, {
      hint: custom
        ? `Check the endpoint ({setting:endpoint}): is the service running there, and is the URL right?`
        : 'Check the network (a proxy needs HTTPS_PROXY) and the region ({setting:region}).',
      details: { service, endpoint, reason: e.code ?? e.name },
      cause: err,
    });
  }
  if (/Deserialization error/.test(e.message ?? '')) {
    const status = e.$metadata?.httpStatusCode;
    return new ColdkeepError(
      'UnexpectedResponse',
      `${title} at ${endpoint} answered${status ? ` (HTTP ${status})` : ''} with something that is not ${title}'s ${service === 'dynamodb' ? 'JSON' : 'XML'}.`,
      {
        hint: custom
          ? 'The endpoint ({setting:endpoint}) may be another service, a proxy or a login page; point it at the service itself.'
          : 'A proxy or captive portal may be answering in its place; check the network.',
        details: { service, endpoint, ...(status ? { httpStatusCode: status } : {}) },
        cause: err,
      },
    );
  }
  return err;
}

/**
 * Middleware for every client: checks an S3 bucket name before the call, and turns failures the
 * SDK leaves raw into coded errors. The initialize step runs once per call, after the SDK's retries.
 */
export function serviceErrorMiddleware(
  service: ServiceName,
  configuredEndpoint: string | undefined,
): InitializeMiddleware<object, MetadataBearer> {
  return (next, context) => async (args) => {
    const bucket = (args.input as { Bucket?: unknown }).Bucket;
    if (service === 's3' && typeof bucket === 'string') checkBucketName(bucket);
    try {
      return await next(args);
    } catch (err) {
      throw translateServiceFailure(
        err,
        service,
        endpointOf(context, configuredEndpoint),
        configuredEndpoint !== undefined,
      );
    }
  };
}
