import { normalizePrefix } from '../../storage/bucketKeys';
import { tablesRoot } from '../../tables/repository/layout';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import {
  type ActionGrant,
  ACTION_TABLE,
  CORE_OPERATIONS,
  type CoreOperation,
  declarationOf,
  type Feature,
  type ResourceScope,
} from './actionTable';
import type { PolicyDocument, PolicyStatement } from './policyDocument';

export interface GenerateOptions {
  operations: CoreOperation[];
  bucket?: string;
  /** Key prefix of the backups ("coldkeep" by default, "" for the bucket root). */
  prefix?: string;
  /** Tables backed up or restored into; every table ("*") when absent. */
  tables?: string[];
  /** The KMS key of SSE-KMS (ARN, key id or alias/name): adds the KMS grants. */
  kmsKey?: string;
  /** The KMS key that wraps encrypted folder sources' keys: adds kms:GenerateDataKey/Decrypt on it, called directly. */
  wrapKmsKey?: string;
  /** Backups are written with Object Lock retention. */
  objectLock?: boolean;
  /** The bucket keeps versions (restores read the backed-up versions: s3:GetObjectVersion). */
  versionedBucket?: boolean;
  /** Account and region of the tables and key; "*" when absent. */
  account?: string;
  region?: string;
  partition?: string;
  /** SES identity (email address or domain) mail is sent from, for notify. */
  emailIdentity?: string;
  /** Name prefix of Coldkeep's stacks, for stacks ("coldkeep-"). */
  stackPrefix?: string;
}

export interface GeneratedGrant {
  operation: CoreOperation;
  planned: boolean;
  action: string;
  resources: string[];
  why: string;
}

export interface GeneratedPolicy {
  policy: PolicyDocument;
  features: Feature[];
  grants: GeneratedGrant[];
  /** Things the reader should know (wildcards left in, planned capabilities). */
  notes: string[];
}

const SIDS: Record<ResourceScope, string> = {
  any: 'ActionsWithoutResourceScope',
  table: 'Tables',
  'all-tables': 'AllTablesInRegion',
  bucket: 'BackupBucket',
  'table-backups': 'TableBackups',
  'all-table-backups': 'AllTableBackups',
  'file-snapshots': 'FileSnapshots',
  'kms-key': 'BackupKey',
  'wrap-kms-key': 'FolderKeyWraps',
  'email-identity': 'EmailIdentity',
  stacks: 'ColdkeepStacks',
  'lambda-bundles': 'LambdaBundles',
  'table-exports': 'TableExports',
  'table-imports': 'TableImports',
  'import-log-groups': 'ImportLogGroups',
  'scratch-tables': 'DrillScratchTables',
  'scratch-imports': 'DrillScratchImports',
};

/** SDK calls S3 authorizes as s3:ListBucket without a prefix: they only check that the bucket (or a key) exists. */
const BUCKET_CHECK_CALLS = ['s3.HeadBucket', 's3.HeadObject'];

/**
 * The conditions s3:ListBucket is granted with, one statement each, for the SDK calls that need it:
 * listings name a prefix (s3:prefix), so only Coldkeep's is allowed; HeadBucket and HeadObject are
 * authorized as s3:ListBucket too and carry no prefix at all (hence the Null test, sid "BucketCheck").
 */
export function listBucketConditions(
  calls: string[],
  prefix: string,
): { condition: NonNullable<PolicyStatement['Condition']>; sid?: string }[] {
  const out: { condition: NonNullable<PolicyStatement['Condition']>; sid?: string }[] = [];
  if (calls.some((c) => !BUCKET_CHECK_CALLS.includes(c))) {
    out.push({ condition: { StringLike: { 's3:prefix': [`${prefix}/*`] } } });
  }
  if (calls.some((c) => BUCKET_CHECK_CALLS.includes(c))) {
    out.push({ condition: { Null: { 's3:prefix': 'true' } }, sid: 'BucketCheck' });
  }
  return out;
}

export function parseOperations(list: string): CoreOperation[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(CORE_OPERATIONS as readonly string[]).includes(n));
  if (unknown.length || names.length === 0) {
    throw new ColdkeepError('InvalidInput', `Unknown Coldkeep operation(s): ${unknown.join(', ') || '(none given)'}.`, {
      hint: `Choose from ${CORE_OPERATIONS.join(', ')} (comma-separated).`,
    });
  }
  return [...new Set(names)] as CoreOperation[];
}

/**
 * The least-privilege identity policy for the chosen Coldkeep operations, from the action table:
 * exactly the actions they call, on ARNs scoped to the bucket, prefix, tables and key given.
 */
export function generatePolicy(options: GenerateOptions): GeneratedPolicy {
  const p = options.partition ?? 'aws';
  const region = options.region || '*';
  const account = options.account || '*';
  const tables = options.tables?.length ? options.tables : ['*'];
  const prefix = normalizePrefix(options.prefix);
  const root = tablesRoot(prefix);
  const features: Feature[] = [];
  if (options.kmsKey) features.push('sse-kms');
  if (options.objectLock) features.push('object-lock');
  if (options.versionedBucket) features.push('versioned-bucket');
  if (options.wrapKmsKey) features.push('key-wrap-kms');
  const declarations = options.operations.map(declarationOf);
  // A stack deploy reaches S3 only to upload a Lambda bundle: without a bucket those grants are
  // left out (and a note says so) rather than the whole policy refused.
  const bundleGrantsLeftOut = !options.bucket && declarations.some((d) => d.name === 'stacks');
  const grants = declarations.flatMap((d) =>
    d.grants
      .filter((g) => !g.feature || features.includes(g.feature))
      .filter((g) => !(bundleGrantsLeftOut && d.name === 'stacks' && g.action.startsWith('s3:')))
      .map((g) => ({ d, g })),
  );
  const needsBucket = grants.some(({ g }) => /bucket|backups|snapshots|bundles/.test(g.on));
  if (needsBucket && !options.bucket) {
    throw new ColdkeepError('InvalidInput', 'These operations use a bucket, and none was given.', {
      hint: 'Give the bucket ({setting:bucket}), and the prefix ({setting:prefix}) if the backups are not under "coldkeep/".',
    });
  }
  const bucket = options.bucket ?? '';
  // A drill's scratch tables: coldkeep-drill-<table>-<id> (scratchTable.ts), never the table itself.
  const scratchNames = tables.includes('*') ? ['coldkeep-drill-*'] : tables.map((t) => `coldkeep-drill-${t}-*`);
  const kms = options.kmsKey ? kmsResource(options.kmsKey, p, region, account) : undefined;
  const wrapKms = options.wrapKmsKey ? kmsResource(options.wrapKmsKey, p, region, account) : undefined;

  const resourcesOf = (scope: ResourceScope): string[] => {
    switch (scope) {
      case 'any':
        return ['*'];
      case 'table':
        return tables.map((t) => `arn:${p}:dynamodb:${region}:${account}:table/${t}`);
      case 'all-tables':
        return [`arn:${p}:dynamodb:${region}:${account}:table/*`];
      case 'bucket':
        return [`arn:${p}:s3:::${bucket}`];
      case 'table-backups':
        return tables.includes('*')
          ? [`arn:${p}:s3:::${bucket}/${root}*`]
          : tables.map((t) => `arn:${p}:s3:::${bucket}/${root}${account}/${region}/${t}/*`);
      case 'all-table-backups':
        return [`arn:${p}:s3:::${bucket}/${root}*`];
      case 'file-snapshots':
        return [`arn:${p}:s3:::${bucket}/${prefix ? `${prefix}/` : ''}files/*`];
      case 'lambda-bundles':
        return [`arn:${p}:s3:::${bucket}/${prefix ? `${prefix}/` : ''}lambda/*`];
      case 'kms-key':
        return [kms!.resource];
      case 'wrap-kms-key':
        return [wrapKms!.resource];
      case 'email-identity':
        return [`arn:${p}:ses:${region}:${account}:identity/${options.emailIdentity ?? '*'}`];
      case 'stacks':
        return [`arn:${p}:cloudformation:${region}:${account}:stack/${options.stackPrefix ?? 'coldkeep-'}*/*`];
      case 'table-exports':
        return tables.map((t) => `arn:${p}:dynamodb:${region}:${account}:table/${t}/export/*`);
      case 'table-imports':
        return tables.map((t) => `arn:${p}:dynamodb:${region}:${account}:table/${t}/import/*`);
      case 'import-log-groups':
        return [`arn:${p}:logs:${region}:${account}:log-group:/aws-dynamodb/*`];
      case 'scratch-tables':
        return scratchNames.map((n) => `arn:${p}:dynamodb:${region}:${account}:table/${n}`);
      case 'scratch-imports':
        return scratchNames.map((n) => `arn:${p}:dynamodb:${region}:${account}:table/${n}/import/*`);
    }
  };
  /** The statements' conditions a grant needs (one statement each); [undefined] for none. */
  const conditionsOf = (g: ActionGrant): { condition?: PolicyStatement['Condition']; sid?: string }[] => {
    if (g.on === 'kms-key') {
      // Only through S3, so the key cannot be used directly with these grants.
      return [
        {
          condition: {
            StringLike: { 'kms:ViaService': `s3.${region}.amazonaws.com` },
            ...(kms?.alias ? { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': kms.alias } } : {}),
          },
        },
      ];
    }
    if (g.on === 'wrap-kms-key') {
      // Coldkeep calls KMS itself here (no kms:ViaService): the key alone scopes it.
      return [
        wrapKms?.alias ? { condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': wrapKms.alias } } } : {},
      ];
    }
    if (g.action !== 's3:ListBucket' || !prefix) return [{}];
    return listBucketConditions(g.calls, prefix);
  };

  const statements = new Map<string, PolicyStatement & { Action: string[] }>();
  for (const { g } of grants) {
    const resources = resourcesOf(g.on);
    for (const { condition, sid } of conditionsOf(g)) {
      const key = JSON.stringify([resources, condition ?? null]);
      const statement = statements.get(key) ?? {
        Sid: sid ?? SIDS[g.on],
        Effect: 'Allow' as const,
        Action: [],
        Resource: resources.length === 1 ? resources[0]! : resources,
        ...(condition ? { Condition: condition } : {}),
      };
      if (!statement.Action.includes(g.action)) statement.Action.push(g.action);
      statements.set(key, statement);
    }
  }
  // Statements of one scope with different conditions (a prefixed listing beside an unconditioned
  // bucket call) share a scope name: number the later ones, as IAM wants each Sid once.
  const sidsUsed = new Map<string, number>();
  const policy: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [...statements.values()].map((s) => {
      const seen = sidsUsed.get(s.Sid!) ?? 0;
      sidsUsed.set(s.Sid!, seen + 1);
      return { ...s, ...(seen ? { Sid: `${s.Sid}${seen + 1}` } : {}), Action: [...s.Action].sort() };
    }),
  };

  const notes: string[] = [];
  const planned = declarations.filter((d) => d.status === 'planned').map((d) => d.name);
  if (planned.length) {
    notes.push(
      `${planned.join(', ')}: planned capabilities; their grants are declared ahead of the code and not yet proven by the tests.`,
    );
  }
  const awsOnly = declarations.filter((d) => d.status === 'aws-only').map((d) => d.name);
  if (awsOnly.length) {
    notes.push(
      `${awsOnly.join(', ')}: they call services no emulator serves (DynamoDB export/import, CloudFormation); their calls are checked in unit tests with mocks, the policy is not simulated.`,
    );
  }
  if (bundleGrantsLeftOut) {
    notes.push(
      'No bucket ({setting:bucket}): the upload of a Lambda bundle (template table-backup-schedule) is not granted; give the bucket (and {setting:prefix}) to include it.',
    );
  }
  if (account === '*' || region === '*') {
    notes.push('The account and/or region are "*" in ARNs: give {setting:account} and {setting:region} to pin them.');
  }
  if (tables.includes('*') && grants.some(({ g }) => g.on === 'table')) {
    notes.push('No table given ({setting:table}): the DynamoDB grants cover every table ("table/*").');
  }
  if (
    !options.kmsKey &&
    grants.some(({ d }) =>
      [
        'backup-table',
        'backup-table-export',
        'restore',
        'restore-import',
        'drill',
        'drill-import',
        'drill-folder',
        'list-backups',
        'delete-backup',
        'files',
      ].includes(d.name),
    )
  ) {
    notes.push(
      'No KMS key ({setting:kmsKey}): if the bucket uses SSE-KMS, give the key so that kms:GenerateDataKey/kms:Decrypt are granted.',
    );
  }
  return {
    policy,
    features,
    grants: grants.map(({ d, g }) => ({
      operation: d.name,
      planned: d.status === 'planned',
      action: g.action,
      resources: resourcesOf(g.on),
      why: g.why,
    })),
    notes,
  };
}

function kmsResource(key: string, p: string, region: string, account: string): { resource: string; alias?: string } {
  if (key.startsWith('arn:')) {
    return key.includes(':alias/')
      ? { resource: `arn:${p}:kms:${region}:${account}:key/*`, alias: key.slice(key.indexOf('alias/')) }
      : { resource: key };
  }
  if (key.startsWith('alias/')) return { resource: `arn:${p}:kms:${region}:${account}:key/*`, alias: key };
  return { resource: `arn:${p}:kms:${region}:${account}:key/${key}` };
}

/** Every action the table declares, for listings. */
export function declaredActions(): string[] {
  return [...new Set(ACTION_TABLE.flatMap((d) => d.grants.map((g) => g.action)))].sort();
}
