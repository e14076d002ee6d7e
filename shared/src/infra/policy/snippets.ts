import { ACTION_TABLE, type CoreOperation, declarationOf, type ResourceScope } from './actionTable';
import { generatePolicy, listBucketConditions } from './generatePolicy';
import { stringify as toYaml } from 'yaml';
import type { PolicyDocument, PolicyStatement } from './policyDocument';
import { PLACEHOLDERS } from './placeholders';

/**
 * The policy snippets, as data shared by the CLI (`coldkeep policy snippets`) and the editor
 * extension. Values to fill in are written `{{Name}}` in the documents; `snippetBody` turns them
 * into editor tab-stops, `fillSnippet` into real values (or `<Name>`, which the linter flags).
 * Coldkeep's own grants come from the action table, so the snippets cannot drift from the code.
 */

export { PLACEHOLDERS };

export type PlaceholderName = keyof typeof PLACEHOLDERS;
export type SnippetKind = 'bucket-policy' | 'identity-policy' | 'key-policy';

export interface PolicySnippet {
  name: string;
  kind: SnippetKind;
  /** One line. */
  description: string;
  /** The policy with `{{Name}}` where a value goes. */
  document: PolicyDocument;
}

const BUCKET = 'arn:aws:s3:::{{Bucket}}';
const TABLE_BACKUPS = 'arn:aws:s3:::{{Bucket}}/{{Prefix}}/tables/*';
const KEY_ARN = 'arn:aws:kms:{{Region}}:{{Account}}:key/{{KmsKeyId}}';
const S3_VIA = { 'kms:ViaService': 's3.{{Region}}.amazonaws.com' };

/** The S3 actions an operation needs on the bucket, and on objects, without optional features. */
function s3Actions(operation: CoreOperation, on: 'bucket' | 'objects'): string[] {
  const objectScopes: ResourceScope[] = ['table-backups', 'all-table-backups'];
  return declarationOf(operation)
    .grants.filter((g) => !g.feature && g.action.startsWith('s3:'))
    .filter((g) => (on === 'bucket' ? g.on === 'bucket' : objectScopes.includes(g.on)))
    .map((g) => g.action)
    .sort();
}

/**
 * The bucket-level statements of an operation for these principals: s3:ListBucket limited to the
 * prefix (and the prefix-less bucket check) as generated policies have it, other bucket actions plain.
 */
function bucketStatements(
  sid: string,
  principal: PolicyStatement['Principal'],
  operation: CoreOperation,
  extra: string[] = [],
): PolicyStatement[] {
  const grants = declarationOf(operation).grants.filter((g) => !g.feature && g.on === 'bucket');
  const out: PolicyStatement[] = [];
  const plain = [...extra, ...grants.filter((g) => g.action !== 's3:ListBucket').map((g) => g.action)].sort();
  if (plain.length) out.push({ Sid: sid, Effect: 'Allow', Principal: principal, Action: plain, Resource: BUCKET });
  const list = grants.filter((g) => g.action === 's3:ListBucket').flatMap((g) => g.calls);
  for (const { condition, sid: check } of list.length ? listBucketConditions(list, '{{Prefix}}') : []) {
    out.push({
      Sid: `${sid}${check ? 'Check' : 'List'}`,
      Effect: 'Allow',
      Principal: principal,
      Action: ['s3:ListBucket'],
      Resource: BUCKET,
      Condition: condition,
    });
  }
  return out;
}

function operatorPolicy(operations: CoreOperation[]): PolicyDocument {
  return generatePolicy({
    operations,
    bucket: '{{Bucket}}',
    prefix: '{{Prefix}}',
    tables: ['{{Table}}'],
    account: '{{Account}}',
    region: '{{Region}}',
    kmsKey: KEY_ARN,
  }).policy;
}

function principals(name: PlaceholderName): { AWS: string[] } {
  return { AWS: [`{{${name}}}`] };
}

const statement = (s: PolicyStatement): PolicyStatement => s;

function buildSnippets(): PolicySnippet[] {
  const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
  const snippets: PolicySnippet[] = [
    {
      name: 'bucket-backup-writers',
      kind: 'bucket-policy',
      description: 'Bucket policy: one or more roles may write Coldkeep table backups under the prefix.',
      document: doc(
        ...bucketStatements('WritersBucket', principals('WriterRoleArn'), 'backup-table'),
        statement({
          Sid: 'WritersWriteBackups',
          Effect: 'Allow',
          Principal: principals('WriterRoleArn'),
          Action: s3Actions('backup-table', 'objects'),
          Resource: TABLE_BACKUPS,
        }),
      ),
    },
    {
      name: 'bucket-restore-readers',
      kind: 'bucket-policy',
      description: 'Bucket policy: one or more roles may list, read and thaw Coldkeep table backups to restore them.',
      document: doc(
        ...bucketStatements('ReadersBucket', principals('ReaderRoleArn'), 'restore'),
        statement({
          Sid: 'ReadersReadBackups',
          Effect: 'Allow',
          Principal: principals('ReaderRoleArn'),
          Action: s3Actions('restore', 'objects'),
          Resource: TABLE_BACKUPS,
        }),
      ),
    },
    {
      name: 'bucket-cross-account-backup',
      kind: 'bucket-policy',
      description:
        'Bucket policy: another account writes its backups under its own prefix (ListBucket/GetBucketLocation on the bucket, object actions on bucket/prefix/*).',
      document: doc(
        ...bucketStatements('SourceAccountBucket', { AWS: 'arn:aws:iam::{{SourceAccount}}:root' }, 'backup-table', [
          's3:GetBucketLocation',
        ]),
        statement({
          Sid: 'SourceAccountObjects',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::{{SourceAccount}}:root' },
          Action: s3Actions('backup-table', 'objects'),
          Resource: 'arn:aws:s3:::{{Bucket}}/{{Prefix}}/*',
        }),
      ),
    },
    {
      name: 'bucket-deny-insecure-transport',
      kind: 'bucket-policy',
      description: 'Bucket policy: refuse every request that does not use TLS (aws:SecureTransport).',
      document: doc(
        statement({
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [BUCKET, 'arn:aws:s3:::{{Bucket}}/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ),
    },
    {
      name: 'bucket-require-sse-kms',
      kind: 'bucket-policy',
      description:
        'Bucket policy: refuse uploads that ask for another encryption than SSE-KMS with the backup key (set the bucket default encryption to that key too).',
      document: doc(
        statement({
          Sid: 'DenyOtherEncryption',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: 'arn:aws:s3:::{{Bucket}}/*',
          // Only requests that carry the header: UploadPart never does, and the bucket's default encryption covers the rest.
          Condition: {
            StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
            Null: { 's3:x-amz-server-side-encryption': 'false' },
          },
        }),
        statement({
          Sid: 'DenyOtherKmsKey',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: 'arn:aws:s3:::{{Bucket}}/*',
          Condition: {
            StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN },
            Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
          },
        }),
      ),
    },
    {
      name: 'bucket-deny-delete-without-mfa',
      kind: 'bucket-policy',
      description:
        'Bucket policy: refuse object deletes unless the caller signed in with MFA (aws:MultiFactorAuthPresent).',
      document: doc(
        statement({
          Sid: 'DenyDeleteWithoutMfa',
          Effect: 'Deny',
          Principal: '*',
          Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
          Resource: 'arn:aws:s3:::{{Bucket}}/*',
          Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
        }),
      ),
    },
    {
      name: 'bucket-cloudtrail-logs',
      kind: 'bucket-policy',
      description: 'Bucket policy: let one CloudTrail trail write its log files to the bucket.',
      document: doc(
        statement({
          Sid: 'CloudTrailAclCheck',
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 's3:GetBucketAcl',
          Resource: BUCKET,
          Condition: {
            StringEquals: { 'aws:SourceArn': 'arn:aws:cloudtrail:{{Region}}:{{Account}}:trail/{{TrailName}}' },
          },
        }),
        statement({
          Sid: 'CloudTrailWrite',
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: 'arn:aws:s3:::{{Bucket}}/AWSLogs/{{Account}}/*',
          Condition: {
            StringEquals: {
              's3:x-amz-acl': 'bucket-owner-full-control',
              'aws:SourceArn': 'arn:aws:cloudtrail:{{Region}}:{{Account}}:trail/{{TrailName}}',
            },
          },
        }),
      ),
    },
  ];
  for (const d of ACTION_TABLE.filter((o) => o.status === 'available')) {
    snippets.push({
      name: `operator-${d.name}`,
      kind: 'identity-policy',
      description: `Identity policy: the minimum to ${d.summary} ("coldkeep ${d.commands.join('", "coldkeep ')}"), with SSE-KMS.`,
      document: operatorPolicy([d.name]),
    });
  }
  const role = operatorPolicy(['backup-table']);
  snippets.push(
    {
      name: 'scheduled-backup-function-role',
      kind: 'identity-policy',
      description:
        'Identity policy for a scheduled backup function (Lambda): the backup minimum and its own logs, instead of FullAccess managed policies.',
      document: {
        ...role,
        Statement: [
          ...role.Statement,
          statement({
            Sid: 'FunctionLogGroup',
            Effect: 'Allow',
            Action: 'logs:CreateLogGroup',
            Resource: 'arn:aws:logs:{{Region}}:{{Account}}:log-group:/aws/lambda/{{FunctionName}}',
          }),
          statement({
            Sid: 'FunctionLogs',
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: 'arn:aws:logs:{{Region}}:{{Account}}:log-group:/aws/lambda/{{FunctionName}}:*',
          }),
        ],
      },
    },
    {
      name: 'mfa-enforcing-user',
      kind: 'identity-policy',
      description:
        'Identity policy for a user: manage their own MFA device, and nothing else until they sign in with MFA.',
      document: doc(
        statement({
          Sid: 'ViewAccountInfo',
          Effect: 'Allow',
          Action: ['iam:GetAccountPasswordPolicy', 'iam:ListVirtualMFADevices'],
          Resource: '*',
        }),
        statement({
          Sid: 'ManageOwnVirtualMfaDevice',
          Effect: 'Allow',
          Action: ['iam:CreateVirtualMFADevice'],
          Resource: 'arn:aws:iam::*:mfa/*',
        }),
        statement({
          Sid: 'ManageOwnUserMfa',
          Effect: 'Allow',
          Action: [
            'iam:DeactivateMFADevice',
            'iam:EnableMFADevice',
            'iam:GetUser',
            'iam:GetMFADevice',
            'iam:ListMFADevices',
            'iam:ResyncMFADevice',
          ],
          Resource: 'arn:aws:iam::*:user/${aws:username}',
        }),
        statement({
          Sid: 'DenyAllExceptListedIfNoMfa',
          Effect: 'Deny',
          NotAction: [
            'iam:CreateVirtualMFADevice',
            'iam:EnableMFADevice',
            'iam:GetUser',
            'iam:GetMFADevice',
            'iam:ListMFADevices',
            'iam:ListVirtualMFADevices',
            'iam:ResyncMFADevice',
            'sts:GetSessionToken',
          ],
          Resource: '*',
          Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
        }),
      ),
    },
    {
      name: 'kms-backup-key',
      kind: 'key-policy',
      description:
        'KMS key policy for the backup key: the account keeps control, admins manage it, writers and readers use it only through S3.',
      document: doc(
        statement({
          Sid: 'EnableIamPolicies',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::{{Account}}:root' },
          Action: 'kms:*',
          Resource: '*',
        }),
        statement({
          Sid: 'KeyAdministrators',
          Effect: 'Allow',
          Principal: principals('AdminRoleArn'),
          Action: [
            'kms:Create*',
            'kms:Describe*',
            'kms:Enable*',
            'kms:List*',
            // Named, not kms:Put* / kms:Disable*: the actions that can lock the backups out are visible.
            'kms:PutKeyPolicy',
            'kms:Update*',
            'kms:Revoke*',
            'kms:DisableKey',
            'kms:DisableKeyRotation',
            'kms:Get*',
            'kms:Delete*',
            'kms:TagResource',
            'kms:UntagResource',
            'kms:ScheduleKeyDeletion',
            'kms:CancelKeyDeletion',
          ],
          Resource: '*',
        }),
        statement({
          Sid: 'BackupWriters',
          Effect: 'Allow',
          Principal: principals('WriterRoleArn'),
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: '*',
          Condition: { StringEquals: { ...S3_VIA, 'kms:CallerAccount': '{{Account}}' } },
        }),
        statement({
          Sid: 'RestoreReaders',
          Effect: 'Allow',
          Principal: principals('ReaderRoleArn'),
          Action: 'kms:Decrypt',
          Resource: '*',
          Condition: { StringEquals: { ...S3_VIA, 'kms:CallerAccount': '{{Account}}' } },
        }),
      ),
    },
  );
  return snippets;
}

export const POLICY_SNIPPETS: readonly PolicySnippet[] = buildSnippets();

export function findSnippet(name: string): PolicySnippet | undefined {
  return POLICY_SNIPPETS.find((s) => s.name === name);
}

const TOKEN = /\{\{([A-Za-z]+)\}\}/g;

/** The placeholders a snippet uses, in order of first appearance. */
export function snippetPlaceholders(snippet: PolicySnippet): PlaceholderName[] {
  const names: PlaceholderName[] = [];
  for (const m of JSON.stringify(snippet.document).matchAll(TOKEN)) {
    const name = m[1] as PlaceholderName;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

export type PlaceholderValues = Partial<Record<PlaceholderName, string | string[]>>;

/**
 * The snippet with its placeholders filled. A list placeholder standing alone in a list spreads
 * its values; an unfilled placeholder is written `<Name>`, which the linter reports.
 */
export function fillSnippet(
  snippet: PolicySnippet,
  values: PlaceholderValues,
): { document: PolicyDocument; missing: PlaceholderName[] } {
  const missing = snippetPlaceholders(snippet).filter(
    (n) => values[n] === undefined || (Array.isArray(values[n]) && values[n].length === 0),
  );
  const one = (name: string): string => {
    const v = values[name as PlaceholderName];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) return `<${name}>`;
    return Array.isArray(v) ? v.join(',') : v;
  };
  const fillString = (s: string): string =>
    (values.Prefix === '' ? s.replaceAll('{{Prefix}}/', '') : s).replace(TOKEN, (_m, name: string) => one(name));
  const visit = (value: unknown): unknown => {
    if (typeof value === 'string') return fillString(value);
    if (Array.isArray(value)) {
      return value.flatMap((item) => {
        const whole = typeof item === 'string' ? /^\{\{([A-Za-z]+)\}\}$/.exec(item) : null;
        const v = whole ? values[whole[1] as PlaceholderName] : undefined;
        return Array.isArray(v) && v.length ? v : [visit(item)];
      });
    }
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v)]));
    }
    return value;
  };
  return { document: visit(snippet.document) as PolicyDocument, missing };
}

/**
 * The snippet as an editor snippet body: `${1:<Bucket>}` tab-stops, the same number for the
 * same value. JSON by default; YAML (block style, for CloudFormation templates) on request.
 */
export function snippetBody(snippet: PolicySnippet, format: 'json' | 'yaml' = 'json'): string {
  const numbers = new Map<string, number>();
  const source =
    format === 'yaml'
      ? toYaml(snippet.document, { lineWidth: 0, defaultKeyType: 'PLAIN', defaultStringType: 'QUOTE_SINGLE' }).trimEnd()
      : JSON.stringify(snippet.document, null, 2);
  const text = source.replace(/\\/g, '\\\\').replace(/\$/g, '\\$');
  return text.replace(TOKEN, (_m, name: string) => {
    if (!numbers.has(name)) numbers.set(name, numbers.size + 1);
    return `\${${numbers.get(name)}:<${name}>}`;
  });
}
