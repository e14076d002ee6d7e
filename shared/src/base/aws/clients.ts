import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { InitializeMiddleware, Logger, MetadataBearer, MiddlewareStack } from '@aws-sdk/types';
import { TOOL_NAME, TOOL_VERSION } from '../version';
import { serviceErrorMiddleware } from './serviceErrors';
import { type AwsSettings, type ServiceName, endpointFor } from './settings';

/**
 * Reports each call to `settings.onOperation`, if set; the initialize step runs once per call, not per retry.
 * Also adds the coded errors of serviceErrors.ts (bad bucket names, unreachable endpoints, answers that are not the service's).
 */
function withOperationHook<C extends DynamoDBClient | S3Client | SESv2Client | CloudFormationClient | KMSClient>(
  client: C,
  settings: AwsSettings,
  service: ServiceName,
): C {
  (client.middlewareStack as MiddlewareStack<object, MetadataBearer>).add(
    serviceErrorMiddleware(service, endpointFor(settings, service)),
    { step: 'initialize', name: 'coldkeepServiceErrors', priority: 'high' },
  );
  const onOperation = settings.onOperation;
  if (!onOperation) return client;
  const hook: InitializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
    onOperation({ service, operation, input: args.input as Record<string, unknown> });
    return next(args);
  };
  (client.middlewareStack as MiddlewareStack<object, MetadataBearer>).add(hook, {
    step: 'initialize',
    name: 'coldkeepOperationHook',
  });
  return client;
}

const DEFAULT_REGION = 'us-east-1';

const QUIET_LOGGER = { trace() {}, debug() {}, warn() {}, error() {} } as unknown as Logger;

/** The options every SDK client shares: region, profile, endpoint, retries, user agent, sockets. */
export function commonClientConfig(settings: AwsSettings, service: ServiceName) {
  const endpoint = endpointFor(settings, service);
  const maxSockets = settings.maxSockets ?? 64;
  return {
    region: settings.region ?? DEFAULT_REGION,
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    retryMode: 'adaptive',
    maxAttempts: settings.maxAttempts ?? 4,
    customUserAgent: [[TOOL_NAME, TOOL_VERSION]] as [string, string][],
    // The SDK's logger middleware builds a redacted copy of every request and response for
    // `logger.info` before calling it, even when the logger does nothing. For Scan pages and
    // BatchWriteItem batches that copy cost a quarter of the backup's CPU and much of its heap
    // (bench/README.md). A logger without `info` skips it; like the SDK's default,
    // it prints nothing.
    logger: QUIET_LOGGER,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      connectionTimeout: 10_000,
      requestTimeout: 120_000,
      // Without this a stalled request only logs a warning and hangs the job.
      throwOnRequestTimeout: true,
    }),
  };
}

/**
 * An SDK client package, loaded when its first client is made: a folder backup never loads
 * SES or CloudFormation (~20 ms and a few MB each), and a CLI command only what it uses.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a synchronous load on first use, for the getters below */
const sdk = {
  dynamodb: () => require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb'),
  s3: () => require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3'),
  ses: () => require('@aws-sdk/client-sesv2') as typeof import('@aws-sdk/client-sesv2'),
  cloudformation: () => require('@aws-sdk/client-cloudformation') as typeof import('@aws-sdk/client-cloudformation'),
  kms: () => require('@aws-sdk/client-kms') as typeof import('@aws-sdk/client-kms'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * One place that builds SDK clients. Clients are made on first use and shared by the jobs
 * that get this object, so connection pools are reused; `destroy()` closes them.
 */
export class AwsClients {
  readonly settings: AwsSettings;
  private dynamodbClient?: DynamoDBClient;
  private s3Client?: S3Client;
  private sesClient?: SESv2Client;
  private cloudformationClient?: CloudFormationClient;
  private kmsClient?: KMSClient;

  constructor(settings: AwsSettings = {}) {
    this.settings = settings;
  }

  get region(): string {
    return this.settings.region ?? DEFAULT_REGION;
  }

  get dynamodb(): DynamoDBClient {
    this.dynamodbClient ??= withOperationHook(
      new (sdk.dynamodb().DynamoDBClient)(commonClientConfig(this.settings, 'dynamodb')),
      this.settings,
      'dynamodb',
    );
    return this.dynamodbClient;
  }

  get s3(): S3Client {
    this.s3Client ??= withOperationHook(
      new (sdk.s3().S3Client)({
        ...commonClientConfig(this.settings, 's3'),
        // Emulators and most S3-compatible stores serve only path-style addressing.
        forcePathStyle: endpointFor(this.settings, 's3') !== undefined,
        // Checksums only where S3 demands them: streamed uploads with the default
        // (WHEN_SUPPORTED) get aws-chunked framing that S3-compatible stores may keep verbatim.
        // Coldkeep computes its own SHA-256 of every object and checks it on restore.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
      this.settings,
      's3',
    );
    return this.s3Client;
  }

  /** SES v2, for notifications. */
  get ses(): SESv2Client {
    this.sesClient ??= withOperationHook(
      new (sdk.ses().SESv2Client)({
        ...commonClientConfig(this.settings, 'ses'),
        // An email is a side note to a job: never let a silent endpoint hold the job's result
        // back for minutes (some SES emulators never answer calls they do not implement).
        requestHandler: new NodeHttpHandler({
          connectionTimeout: 5_000,
          requestTimeout: 15_000,
          throwOnRequestTimeout: true,
        }),
        maxAttempts: 2,
      }),
      this.settings,
      'ses',
    );
    return this.sesClient;
  }

  /** CloudFormation, for the stacks module (deploys of infra-templates/). */
  get cloudformation(): CloudFormationClient {
    this.cloudformationClient ??= withOperationHook(
      new (sdk.cloudformation().CloudFormationClient)(commonClientConfig(this.settings, 'cloudformation')),
      this.settings,
      'cloudformation',
    );
    return this.cloudformationClient;
  }

  /** KMS, for the key wraps of encrypted folder sources (GenerateDataKey, Decrypt). */
  get kms(): KMSClient {
    this.kmsClient ??= withOperationHook(
      new (sdk.kms().KMSClient)(commonClientConfig(this.settings, 'kms')),
      this.settings,
      'kms',
    );
    return this.kmsClient;
  }

  destroy(): void {
    this.kmsClient?.destroy();
    this.dynamodbClient?.destroy();
    this.s3Client?.destroy();
    this.sesClient?.destroy();
    this.cloudformationClient?.destroy();
  }
}
