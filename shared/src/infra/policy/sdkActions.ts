import type { AwsOperationCall } from '../../base/aws/settings';

/**
 * Which IAM actions one SDK call needs, and on which resource ARN — read from the call's own
 * input (bucket, key, table, encryption and lock headers). Independent of the action table, so
 * the two can be checked against each other. Operations it does not know throw: a new kind of
 * call must be mapped (and declared) before the drift proof passes.
 */

export interface RequiredAccess {
  action: string;
  resource: string;
  /** Request context keys this call carries (for conditions). */
  context: Record<string, string>;
  /** The call this access comes from, e.g. "s3.CreateMultipartUpload". */
  call: string;
}

export interface AccessEnvironment {
  region: string;
  account: string;
  partition?: string;
  /** Objects read from the buckets are stored with SSE-KMS under this key (reads need kms:Decrypt). */
  objectsKmsKeyArn?: string;
  /**
   * The code reads Object Lock state from HeadObject answers (files prune: never delete a
   * retained or held blob). S3 puts the retention and legal-hold headers in the answer only for
   * a caller allowed s3:GetObjectRetention and s3:GetObjectLegalHold, so such a HeadObject needs
   * those too: without them prune would see every blob as unlocked.
   */
  headObjectReadsLockState?: boolean;
}

type Input = Readonly<Record<string, unknown>>;

function kmsKeyArn(id: string, env: AccessEnvironment): string {
  if (id.startsWith('arn:')) return id;
  const p = env.partition ?? 'aws';
  return id.startsWith('alias/')
    ? `arn:${p}:kms:${env.region}:${env.account}:${id}`
    : `arn:${p}:kms:${env.region}:${env.account}:key/${id}`;
}

function tableArn(name: string, env: AccessEnvironment): string {
  return name.startsWith('arn:')
    ? name
    : `arn:${env.partition ?? 'aws'}:dynamodb:${env.region}:${env.account}:table/${name}`;
}

/** The access an upload's headers add: tags, Object Lock, SSE-KMS. */
function uploadExtras(call: string, input: Input, objectArn: string, env: AccessEnvironment): RequiredAccess[] {
  const extra: RequiredAccess[] = [];
  if (input.Tagging) extra.push({ action: 's3:PutObjectTagging', resource: objectArn, context: {}, call });
  if (input.ObjectLockMode || input.ObjectLockRetainUntilDate) {
    extra.push({ action: 's3:PutObjectRetention', resource: objectArn, context: {}, call });
  }
  if (input.ObjectLockLegalHoldStatus) {
    extra.push({ action: 's3:PutObjectLegalHold', resource: objectArn, context: {}, call });
  }
  if (input.ServerSideEncryption === 'aws:kms') {
    const key =
      typeof input.SSEKMSKeyId === 'string'
        ? kmsKeyArn(input.SSEKMSKeyId, env)
        : (env.objectsKmsKeyArn ?? kmsKeyArn('alias/aws/s3', env));
    const context = { 'kms:ViaService': `s3.${env.region}.amazonaws.com`, 'kms:CallerAccount': env.account };
    extra.push({ action: 'kms:GenerateDataKey', resource: key, context, call });
    if (call === 's3.CreateMultipartUpload') extra.push({ action: 'kms:Decrypt', resource: key, context, call });
  }
  return extra;
}

function uploadContext(input: Input): Record<string, string> {
  const context: Record<string, string> = {};
  if (typeof input.ServerSideEncryption === 'string') {
    context['s3:x-amz-server-side-encryption'] = input.ServerSideEncryption;
  }
  if (typeof input.SSEKMSKeyId === 'string')
    context['s3:x-amz-server-side-encryption-aws-kms-key-id'] = input.SSEKMSKeyId;
  return context;
}

export function accessFor(recorded: AwsOperationCall, env: AccessEnvironment): RequiredAccess[] {
  const { service, operation, input } = recorded;
  const call = `${service}.${operation}`;
  const p = env.partition ?? 'aws';
  if (service === 'dynamodb') {
    if (operation === 'ListTables') return [{ action: 'dynamodb:ListTables', resource: '*', context: {}, call }];
    if (operation === 'BatchWriteItem' || operation === 'BatchGetItem') {
      return Object.keys((input.RequestItems as Record<string, unknown>) ?? {}).map((t) => ({
        action: `dynamodb:${operation}`,
        resource: tableArn(t, env),
        context: {},
        call,
      }));
    }
    // TagResource and the like name the table by its ARN.
    if (typeof input.ResourceArn === 'string')
      return [{ action: `dynamodb:${operation}`, resource: input.ResourceArn, context: {}, call }];
    if (typeof input.TableName !== 'string') throw new Error(`No IAM mapping for ${call}: it names no table.`);
    return [{ action: `dynamodb:${operation}`, resource: tableArn(input.TableName, env), context: {}, call }];
  }
  if (service === 's3') {
    const bucket = String(input.Bucket);
    const bucketArn = `arn:${p}:s3:::${bucket}`;
    const objectArn = `arn:${p}:s3:::${bucket}/${String(input.Key)}`;
    const one = (action: string, resource: string, context: Record<string, string> = {}): RequiredAccess[] => [
      { action, resource, context, call },
    ];
    switch (operation) {
      case 'HeadBucket':
        return one('s3:ListBucket', bucketArn);
      case 'ListObjectsV2':
      case 'ListObjects':
        return one('s3:ListBucket', bucketArn, { 's3:prefix': typeof input.Prefix === 'string' ? input.Prefix : '' });
      case 'ListMultipartUploads':
        return one('s3:ListBucketMultipartUploads', bucketArn);
      case 'ListObjectVersions':
        return one('s3:ListBucketVersions', bucketArn, {
          's3:prefix': typeof input.Prefix === 'string' ? input.Prefix : '',
        });
      case 'GetBucketLocation':
        return one('s3:GetBucketLocation', bucketArn);
      case 'CreateBucket':
        return one('s3:CreateBucket', bucketArn);
      case 'HeadObject':
        return env.headObjectReadsLockState
          ? [
              ...one('s3:GetObject', objectArn),
              ...one('s3:GetObjectRetention', objectArn),
              ...one('s3:GetObjectLegalHold', objectArn),
            ]
          : one('s3:GetObject', objectArn);
      case 'GetObject': {
        // Reading a named version is its own action.
        const access = one(input.VersionId ? 's3:GetObjectVersion' : 's3:GetObject', objectArn);
        if (env.objectsKmsKeyArn) {
          access.push({
            action: 'kms:Decrypt',
            resource: env.objectsKmsKeyArn,
            context: { 'kms:ViaService': `s3.${env.region}.amazonaws.com`, 'kms:CallerAccount': env.account },
            call,
          });
        }
        return access;
      }
      case 'PutObject':
      case 'CreateMultipartUpload':
        return [...one('s3:PutObject', objectArn, uploadContext(input)), ...uploadExtras(call, input, objectArn, env)];
      case 'UploadPart':
      case 'CompleteMultipartUpload':
        return one('s3:PutObject', objectArn);
      case 'AbortMultipartUpload':
        return one('s3:AbortMultipartUpload', objectArn);
      case 'PutObjectTagging':
        return one('s3:PutObjectTagging', objectArn);
      case 'RestoreObject':
        return one('s3:RestoreObject', objectArn);
      case 'DeleteObject':
        return one(input.VersionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject', objectArn);
      case 'DeleteObjects': {
        const objects = ((input.Delete as { Objects?: { Key?: string; VersionId?: string }[] })?.Objects ?? []).map(
          (o) => ({
            action: o.VersionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
            resource: `arn:${p}:s3:::${bucket}/${o.Key}`,
            context: {},
            call,
          }),
        );
        return objects;
      }
      default:
        throw new Error(`No IAM mapping for ${call}: add it to policy/sdkActions.ts and to the action table.`);
    }
  }
  if (service === 'kms' && (operation === 'GenerateDataKey' || operation === 'Decrypt')) {
    // The key as named (an ARN), or the one of the environment when named by id or alias.
    const key = typeof input.KeyId === 'string' && input.KeyId.startsWith('arn:') ? input.KeyId : env.objectsKmsKeyArn;
    if (!key) throw new Error(`No IAM mapping for ${call}: no key ARN.`);
    return [{ action: `kms:${operation}`, resource: key, context: {}, call }];
  }
  if (service === 'ses' && operation === 'SendEmail') {
    // SES v2 authorises sending against the From address's identity.
    const from = String(input.FromEmailAddress);
    return [
      {
        action: 'ses:SendEmail',
        resource: `arn:${p}:ses:${env.region}:${env.account}:identity/${from}`,
        context: {},
        call,
      },
    ];
  }
  throw new Error(`No IAM mapping for ${call}: add it to policy/sdkActions.ts and to the action table.`);
}
