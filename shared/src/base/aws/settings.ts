import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

export const SERVICES = ['dynamodb', 's3', 'ses', 'sts', 'cloudformation', 'kms'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Where and as whom Coldkeep talks to AWS. Every front end builds one of these. */
export interface AwsSettings {
  region?: string;
  profile?: string;
  /** One endpoint for every service (an emulator, LocalStack). */
  endpoint?: string;
  /** Per-service endpoints; they win over `endpoint`. */
  endpoints?: Partial<Record<ServiceName, string>>;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** SDK-level attempts per request (adaptive retry mode). */
  maxAttempts?: number;
  /** Sockets per client; parallel scans and uploads need more than Node's default. */
  maxSockets?: number;
  /**
   * Called once per SDK call, before it is sent (retries are not repeated). Lets tests record
   * every AWS operation Coldkeep performs, to prove its least-privilege policy (see policy/).
   */
  onOperation?: (call: AwsOperationCall) => void;
}

/** One SDK call as the `onOperation` hook sees it. */
export interface AwsOperationCall {
  service: ServiceName;
  /** The API operation, e.g. "PutObject", "BatchWriteItem". */
  operation: string;
  /** The command's input, as given to the SDK (not to be logged: it may hold item data). */
  input: Readonly<Record<string, unknown>>;
}

const ENV_PREFIX = 'COLDKEEP_ENDPOINT_URL';

/**
 * Settings from the environment:
 *   COLDKEEP_ENDPOINT_URL            one endpoint for all services
 *   COLDKEEP_ENDPOINT_URL_<SERVICE>  per service (DYNAMODB, S3, SES, STS, CLOUDFORMATION)
 *   COLDKEEP_PROFILE / AWS_PROFILE, COLDKEEP_REGION / AWS_REGION / AWS_DEFAULT_REGION
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsSettings {
  const endpoints: Partial<Record<ServiceName, string>> = {};
  for (const service of SERVICES) {
    const value = env[`${ENV_PREFIX}_${service.toUpperCase()}`];
    if (value) endpoints[service] = value;
  }
  const settings: AwsSettings = {};
  const region = env.COLDKEEP_REGION ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const profile = env.COLDKEEP_PROFILE ?? env.AWS_PROFILE;
  if (region) settings.region = region;
  if (profile) settings.profile = profile;
  if (env[ENV_PREFIX]) settings.endpoint = env[ENV_PREFIX];
  if (Object.keys(endpoints).length) settings.endpoints = endpoints;
  return settings;
}

/** Later layers win; endpoints merge per service. */
export function mergeSettings(...layers: (AwsSettings | undefined)[]): AwsSettings {
  const merged: AwsSettings = {};
  for (const layer of layers) {
    if (!layer) continue;
    const { endpoints, ...rest } = layer;
    for (const [key, value] of Object.entries(rest)) {
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
    if (endpoints) merged.endpoints = { ...merged.endpoints, ...endpoints };
  }
  return merged;
}

export function endpointFor(settings: AwsSettings, service: ServiceName): string | undefined {
  return settings.endpoints?.[service] ?? settings.endpoint;
}
