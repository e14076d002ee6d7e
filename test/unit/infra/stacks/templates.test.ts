// The templates in infra-templates/: each checked against AWS's published CloudFormation resource
// specification, against Coldkeep's own rules (least privilege from the action table, encryption,
// public access blocks, the lifecycle tag the core writes), and by Coldkeep's policy linter.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DEFAULT_LIFECYCLE_TAG,
  type CoreOperation,
  type Feature,
  generatePolicy,
  lintPolicy,
  listTemplates,
  loadTemplate,
  resolveTemplateText,
  type LoadedTemplate,
  templateParameters,
  type TemplateDocument,
  validateParameters,
} from '@coldkeep/shared';
import { isIntrinsic, ResourceSpec, walk } from '../../../helpers/cfnSpec';

const NAMES = ['audit-trail', 'backup-bucket', 'backup-roles', 'cross-account-backup', 'table-backup-schedule'];
const PSEUDO = new Set([
  'AWS::AccountId',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

let templates: LoadedTemplate[];
let spec: ResourceSpec;

before(() => {
  templates = NAMES.map((n) => loadTemplate(n));
  spec = new ResourceSpec();
});

const resourcesOf = (t: LoadedTemplate, type: string): [string, Record<string, unknown>][] =>
  Object.entries(t.document.Resources ?? {})
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);

/** Every action string in a policy document, in every branch of an Fn::If. */
function actionsIn(document: unknown): string[] {
  const found: string[] = [];
  walk(document, (node) => {
    const action = (node as Record<string, unknown>).Action;
    if (action === undefined || isIntrinsic(node)) return;
    for (const a of Array.isArray(action) ? action : [action]) if (typeof a === 'string') found.push(a);
  });
  return found;
}

describe('template catalogue', () => {
  test('lists the five templates with descriptions and described parameters', async () => {
    const list = await listTemplates();
    assert.deepEqual(
      list.map((t) => t.name),
      NAMES,
    );
    for (const t of list) {
      assert.ok(t.description.length > 40, `${t.name} has a description`);
      assert.equal(t.defaultStackName, `coldkeep-${t.name}`);
      for (const p of t.parameters) assert.ok(p.description.length > 10, `${t.name}.${p.name} is described`);
    }
    assert.deepEqual(
      list.filter((t) => t.needsLambdaBundle).map((t) => t.name),
      ['table-backup-schedule'],
    );
  });

  test('templateParameters gives what a form needs', async () => {
    const params = await templateParameters('backup-bucket');
    const archive = params.find((p) => p.name === 'ArchiveAfterDays')!;
    assert.deepEqual(
      { type: archive.type, default: archive.default, min: archive.minValue, max: archive.maxValue },
      { type: 'Number', default: '14', min: 1, max: 3650 },
    );
    assert.equal(archive.required, false);
    assert.equal(archive.group, 'Lifecycle');
    const mode = params.find((p) => p.name === 'ObjectLockMode')!;
    assert.deepEqual(mode.allowedValues, ['NONE', 'GOVERNANCE', 'COMPLIANCE']);
    const bucket = params.find((p) => p.name === 'BucketName')!;
    assert.ok(bucket.allowedPattern && bucket.constraintDescription);
    const codeKey = (await templateParameters('table-backup-schedule')).find((p) => p.name === 'CodeKey')!;
    assert.equal(codeKey.filledByDeploy, true);
  });

  test('an override folder wins (a packaged app ships the templates as resources)', async () => {
    const dir = templates[0]!.directory;
    const previous = process.env.COLDKEEP_TEMPLATES_DIR;
    process.env.COLDKEEP_TEMPLATES_DIR = '/nonexistent/coldkeep-templates';
    try {
      await assert.rejects(listTemplates(), { code: 'NoSuchTemplate' });
      assert.equal((await listTemplates({ templatesDir: dir })).length, 5);
    } finally {
      if (previous === undefined) delete process.env.COLDKEEP_TEMPLATES_DIR;
      else process.env.COLDKEEP_TEMPLATES_DIR = previous;
    }
  });

  test('an unknown template name lists the known ones', () => {
    assert.throws(
      () => loadTemplate('backup-buckt'),
      (err: Error & { code?: string; hint?: string }) => {
        assert.equal(err.code, 'NoSuchTemplate');
        assert.match(err.hint ?? '', /backup-bucket/);
        return true;
      },
    );
  });
});

describe('templates against the CloudFormation resource specification', () => {
  for (const name of NAMES) {
    test(`${name}: every resource type and property is in the specification`, () => {
      const t = templates.find((x) => x.name === name)!;
      assert.deepEqual(spec.check(t.document), []);
      assert.ok(Object.keys(t.document.Resources ?? {}).length > 0);
    });
  }

  test('the checker itself catches a wrong property, a wrong type, a missing required property and a bad attribute', () => {
    const bad: TemplateDocument = {
      Resources: {
        B: {
          Type: 'AWS::S3::Bucket',
          Properties: {
            VersioningConfiguration: { State: 'Enabled' },
            ObjectLockEnabled: 'yes',
            PublicAccessBlockConfiguration: { BlockPublicAcls: [true] },
          },
        },
        K: {
          Type: 'AWS::KMS::Alias',
          Properties: { AliasName: 'alias/x', TargetKeyId: { 'Fn::GetAtt': ['B', 'KeyId'] } },
        },
        X: { Type: 'AWS::S3::Buckett' },
      },
    };
    const problems = spec.check(bad);
    assert.ok(
      problems.some((p) => /VersioningConfiguration\.State: unknown property/.test(p)),
      problems.join('\n'),
    );
    assert.ok(problems.some((p) => /VersioningConfiguration: required property Status/.test(p)));
    assert.ok(problems.some((p) => /ObjectLockEnabled: expected a boolean/.test(p)));
    assert.ok(problems.some((p) => /BlockPublicAcls: expected a boolean/.test(p)));
    assert.ok(problems.some((p) => /no attribute KeyId/.test(p)));
    assert.ok(problems.some((p) => /unknown resource type AWS::S3::Buckett/.test(p)));
  });
});

describe("templates follow Coldkeep's rules", () => {
  for (const name of NAMES) {
    test(`${name}: references, tags, outputs, retained data`, () => {
      const t = templates.find((x) => x.name === name)!;
      const doc = t.document;
      const known = new Set([...Object.keys(doc.Parameters ?? {}), ...Object.keys(doc.Resources ?? {}), ...PSEUDO]);
      walk(doc, (node, path) => {
        const ref = (node as Record<string, unknown>).Ref;
        if (typeof ref === 'string' && isIntrinsic(node)) assert.ok(known.has(ref), `${path}: Ref to unknown ${ref}`);
        const sub = (node as Record<string, unknown>)['Fn::Sub'];
        if (sub !== undefined) {
          const [text, vars] = typeof sub === 'string' ? [sub, {}] : (sub as [string, Record<string, unknown>]);
          for (const m of text.matchAll(/\$\{([^!}][^}.]*)(?:\.[^}]*)?\}/g)) {
            assert.ok(known.has(m[1]!) || m[1]! in vars, `${path}: \${${m[1]}} names nothing`);
          }
        }
        const condition = (node as Record<string, unknown>).Condition;
        if (typeof condition === 'string' && path.startsWith('Resources'))
          assert.ok(condition in (doc.Conditions ?? {}), `${path}: unknown condition ${condition}`);
        const ifArgs = (node as Record<string, unknown>)['Fn::If'];
        if (Array.isArray(ifArgs)) assert.ok(String(ifArgs[0]) in (doc.Conditions ?? {}), `${path}: unknown condition`);
      });
      assert.ok(Object.keys(doc.Outputs ?? {}).length >= 2, 'has outputs');
      for (const [key, output] of Object.entries(doc.Outputs ?? {})) assert.ok(output.Description, `${key} described`);
      for (const [id, r] of Object.entries(doc.Resources ?? {})) {
        const tagSpec = spec.resource(r.Type)?.properties.Tags;
        if (tagSpec) assert.ok(r.Properties?.Tags, `${id} (${r.Type}) is tagged`);
        if (r.Type === 'AWS::S3::Bucket' || r.Type === 'AWS::KMS::Key') {
          assert.equal(r.DeletionPolicy, 'Retain', `${id}: deleting the stack keeps data and keys`);
          assert.equal(r.UpdateReplacePolicy, 'Retain', `${id}: a replacement keeps data and keys`);
        }
      }
    });
  }

  test('every bucket is encrypted, blocks all public access, enforces bucket ownership and refuses plain HTTP', () => {
    let buckets = 0;
    for (const t of templates) {
      const policies = resourcesOf(t, 'AWS::S3::BucketPolicy');
      for (const [id, p] of resourcesOf(t, 'AWS::S3::Bucket')) {
        buckets++;
        const sse = (p.BucketEncryption as { ServerSideEncryptionConfiguration: unknown[] })
          ?.ServerSideEncryptionConfiguration?.[0] as { ServerSideEncryptionByDefault: { SSEAlgorithm: string } };
        assert.ok(
          ['aws:kms', 'AES256'].includes(sse?.ServerSideEncryptionByDefault?.SSEAlgorithm),
          `${t.name}.${id} SSE`,
        );
        assert.deepEqual(
          p.PublicAccessBlockConfiguration,
          { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
          `${t.name}.${id} blocks public access`,
        );
        assert.deepEqual(p.OwnershipControls, { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
        const policy = policies.find(([, bp]) => (bp.Bucket as { Ref?: string }).Ref === id);
        assert.ok(policy, `${t.name}.${id} has a bucket policy`);
        const statements = (policy[1].PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
        assert.ok(
          statements.some(
            (s) =>
              s.Effect === 'Deny' &&
              JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
          ),
          `${t.name}.${id} denies plain HTTP`,
        );
      }
    }
    assert.equal(buckets, 4);
  });

  test('backup data buckets use SSE-KMS with a bucket key, versioning, and the backup bucket has Object Lock', () => {
    for (const [name, id] of [
      ['backup-bucket', 'BackupBucket'],
      ['cross-account-backup', 'BackupBucket'],
      ['audit-trail', 'TrailBucket'],
    ] as const) {
      const p = resourcesOf(
        templates.find((t) => t.name === name)!,
        'AWS::S3::Bucket',
      ).find(([i]) => i === id)![1];
      const rule = (p.BucketEncryption as { ServerSideEncryptionConfiguration: Record<string, unknown>[] })
        .ServerSideEncryptionConfiguration[0]!;
      assert.equal((rule.ServerSideEncryptionByDefault as { SSEAlgorithm: string }).SSEAlgorithm, 'aws:kms', name);
      assert.equal(rule.BucketKeyEnabled, true, name);
      assert.deepEqual(p.VersioningConfiguration, { Status: 'Enabled' }, name);
    }
    const backup = resourcesOf(
      templates.find((t) => t.name === 'backup-bucket')!,
      'AWS::S3::Bucket',
    ).find(([i]) => i === 'BackupBucket')![1];
    assert.equal(backup.ObjectLockEnabled, true);
    assert.ok(backup.LoggingConfiguration, 'server access logging');
    for (const t of templates) {
      for (const [id, key] of resourcesOf(t, 'AWS::KMS::Key'))
        assert.equal(key.EnableKeyRotation, true, `${t.name}.${id}`);
    }
  });

  test('the lifecycle rules filter on exactly the tag the core writes on data files', () => {
    for (const name of ['backup-bucket', 'cross-account-backup']) {
      const [, bucket] = resourcesOf(
        templates.find((t) => t.name === name)!,
        'AWS::S3::Bucket',
      ).find(([id]) => id === 'BackupBucket')!;
      const rules = (bucket.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
      const archive = rules.find((r) => r.TagFilters)!;
      assert.deepEqual(archive.TagFilters, [{ Key: DEFAULT_LIFECYCLE_TAG.key, Value: DEFAULT_LIFECYCLE_TAG.value }]);
      assert.deepEqual(archive.Transitions, [
        { StorageClass: 'GLACIER', TransitionInDays: { Ref: 'ArchiveAfterDays' } },
      ]);
      assert.ok(
        rules.some(
          (r) => (r.AbortIncompleteMultipartUpload as { DaysAfterInitiation?: number })?.DaysAfterInitiation === 7,
        ),
      );
      assert.ok(rules.some((r) => r.NoncurrentVersionExpiration));
    }
    const archiveDays = templates
      .find((t) => t.name === 'backup-bucket')!
      .parameters.find((p) => p.name === 'ArchiveAfterDays');
    assert.equal(archiveDays?.default, '14');
  });

  test('role policies have no wildcard actions and grant exactly what the action table declares', () => {
    let roles = 0;
    for (const t of templates) {
      for (const [id, role] of resourcesOf(t, 'AWS::IAM::Role')) {
        roles++;
        const meta = (t.document.Resources![id]!.Metadata?.Coldkeep ?? {}) as {
          Operations?: CoreOperation[];
          Features?: Feature[];
          Extra?: string[];
        };
        assert.ok(meta.Operations, `${t.name}.${id} declares the Coldkeep operations it serves`);
        const granted = (role.Policies as { PolicyDocument: unknown }[]).flatMap((p) => actionsIn(p.PolicyDocument));
        for (const action of granted) assert.doesNotMatch(action, /\*/, `${t.name}.${id}: wildcard action ${action}`);
        const expected = meta.Operations.length
          ? generatePolicy({
              operations: meta.Operations,
              bucket: 'b',
              tables: ['t'],
              ...(meta.Features?.includes('sse-kms') ? { kmsKey: 'arn:aws:kms:eu-west-1:111122223333:key/k' } : {}),
              ...(meta.Features?.includes('object-lock') ? { objectLock: true } : {}),
            }).policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
          : [];
        assert.deepEqual(
          [...new Set(granted)].sort(),
          [...new Set([...expected, ...(meta.Extra ?? [])])].sort(),
          `${t.name}.${id}`,
        );
      }
    }
    assert.equal(roles, 3);
  });

  test('the cross-account bucket lets the source account do what a table backup needs, and nothing more', () => {
    const t = templates.find((x) => x.name === 'cross-account-backup')!;
    const [, policy] = resourcesOf(t, 'AWS::S3::BucketPolicy')[0]!;
    const allowed = (policy.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement.filter(
      (s) => s.Effect === 'Allow',
    );
    const expected = generatePolicy({ operations: ['backup-table'], bucket: 'b' })
      .policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
      .filter((a): a is string => a?.startsWith('s3:') === true);
    assert.deepEqual([...new Set(allowed.flatMap((s) => actionsIn({ s })))].sort(), [...new Set(expected)].sort());
    for (const s of allowed) {
      assert.deepEqual(s.Principal, { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${SourceAccountId}:root' } });
    }
    const objects = allowed.find((s) => String(JSON.stringify(s.Resource)).includes('/*'))!;
    assert.deepEqual(objects.Resource, { 'Fn::Sub': '${BackupBucket.Arn}/${Prefix}/tables/${SourceAccountId}/*' });
  });

  test("the audit trail is multi-region, validates log files and records the backup bucket's data events", () => {
    const t = templates.find((x) => x.name === 'audit-trail')!;
    const [, trail] = resourcesOf(t, 'AWS::CloudTrail::Trail')[0]!;
    assert.equal(trail.IsMultiRegionTrail, true);
    assert.equal(trail.EnableLogFileValidation, true);
    assert.ok(trail.KMSKeyId);
    assert.deepEqual((trail.EventSelectors as { DataResources: unknown }[])[0]!.DataResources, [
      { Type: 'AWS::S3::Object', Values: [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${BackupBucketName}/' }] },
    ]);
  });

  test('the operator role needs MFA', () => {
    const t = templates.find((x) => x.name === 'backup-roles')!;
    const [, role] = resourcesOf(t, 'AWS::IAM::Role').find(([id]) => id === 'OperatorRole')!;
    const trust = (role.AssumeRolePolicyDocument as { Statement: { Condition: unknown }[] }).Statement[0]!;
    assert.deepEqual((trust.Condition as { Bool: unknown }).Bool, { 'aws:MultiFactorAuthPresent': 'true' });
  });

  const SAMPLE: Record<string, string> = {
    BucketName: 'acme-backups',
    BackupBucketName: 'acme-backups',
    KmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    Tables: 'orders,customers',
    SourceAccountId: '444455556666',
    SenderIdentity: 'backups@example.com',
    TrustedPrincipalArn: 'arn:aws:iam::111122223333:role/admin',
    NotifyRecipient: 'ops@example.com',
    NotifySender: 'backups@example.com',
  };
  const PSEUDO_VALUES = { 'AWS::AccountId': '111122223333', 'AWS::Region': 'eu-west-1', 'AWS::Partition': 'aws' };

  for (const name of NAMES) {
    test(`${name}: every intrinsic function resolves, for the defaults and for sample parameters`, () => {
      const t = templates.find((x) => x.name === name)!;
      for (const parameters of [{}, SAMPLE]) {
        const resolved = resolveTemplateText(t.body, { parameters, pseudo: PSEUDO_VALUES });
        const left = JSON.stringify(resolved.Resources).match(/"(Ref|Fn::[A-Za-z]+)"/g);
        assert.equal(left, null, `${name}: ${left?.join(', ')} left unresolved`);
      }
    });
  }

  test('backup-roles resolves to the roles CloudFormation creates: the listed tables, literal ARNs', () => {
    const resolved = resolveTemplateText(templates.find((x) => x.name === 'backup-roles')!.body, {
      parameters: SAMPLE,
      pseudo: PSEUDO_VALUES,
    }) as { Resources: Record<string, { Properties: { Policies: { PolicyDocument: { Statement: unknown[] } }[] } }> };
    const statements = resolved.Resources.BackupRole!.Properties.Policies[0]!.PolicyDocument.Statement as Record<
      string,
      unknown
    >[];
    const sid = (id: string) => statements.find((s) => s.Sid === id)!;
    assert.equal(sid('Tables').Resource, 'arn:aws:dynamodb:eu-west-1:111122223333:table/*');
    assert.deepEqual(sid('OnlyListedTables').NotResource, [
      'arn:*:dynamodb:*:*:table/orders',
      'arn:*:dynamodb:*:*:table/customers',
    ]);
    assert.deepEqual(sid('OnlyListedTableBackups').NotResource, [
      'arn:*:s3:::*/tables/*/*/orders/*',
      'arn:*:s3:::*/tables/*/*/customers/*',
    ]);
    assert.equal(sid('SendReport').Resource, 'arn:aws:ses:eu-west-1:111122223333:identity/backups@example.com');
    assert.deepEqual(sid('BackupBucket').Condition, { StringLike: { 's3:prefix': 'coldkeep/*' } });
    // Without a sender the statement is left out (AWS::NoValue).
    const quiet = resolveTemplateText(templates.find((x) => x.name === 'backup-roles')!.body, {
      parameters: { ...SAMPLE, SenderIdentity: '' },
      pseudo: PSEUDO_VALUES,
    }) as typeof resolved;
    const quietSids = (
      quiet.Resources.BackupRole!.Properties.Policies[0]!.PolicyDocument.Statement as { Sid: string }[]
    ).map((s) => s.Sid);
    assert.ok(!quietSids.includes('SendReport'));
  });

  test('a template CloudFormation refuses does not resolve: a function as the Fn::Join delimiter', () => {
    const body = `Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: dynamodb:Scan
            Resource: !Split [',', !Join [!Sub ',arn:\${AWS::Partition}:dynamodb:::table/', [a, b]]]
`;
    assert.throws(() => resolveTemplateText(body), /Fn::Join requires a literal string delimiter/);
  });

  for (const name of NAMES) {
    test(`${name}: the policy linter finds no errors or warnings`, async () => {
      const t = templates.find((x) => x.name === name)!;
      const result = await lintPolicy(t.body, { fileName: t.path });
      const serious = result.findings.filter((f) => f.severity !== 'info');
      assert.deepEqual(
        serious.map((f) => `${f.range.start.line}: ${f.code} ${f.message}`),
        [],
      );
      assert.ok(result.documents.length > 0, 'the linter found the policies');
    });
  }
});

describe('parameter validation', () => {
  test('good values pass, defaults fill the rest', () => {
    assert.deepEqual(validateParameters('backup-bucket', {}), []);
    assert.deepEqual(
      validateParameters('table-backup-schedule', {
        Tables: 'orders,customers',
        BucketName: 'acme-backups',
        ScheduleExpression: 'rate(12 hours)',
        NotifyRecipient: 'ops@example.com',
        NotifySender: 'coldkeep@example.com',
      }),
      [],
    );
  });

  test('each kind of mistake is named, before any AWS call', () => {
    const problems = validateParameters('table-backup-schedule', {
      BucketName: 'Bad_Bucket',
      Tables: 'orders,,customers',
      MemorySize: 'lots',
      TimeoutSeconds: '901',
      LogRetentionDays: '2',
      ScheduleExpression: 'every night',
      bucketname: 'x',
    });
    const byCode = (code: string): string[] => problems.filter((p) => p.code === code).map((p) => p.parameter);
    assert.deepEqual(byCode('Unknown'), ['bucketname']);
    assert.match(problems.find((p) => p.code === 'Unknown')!.message, /did you mean BucketName/);
    assert.deepEqual(byCode('Pattern').sort(), ['BucketName', 'ScheduleExpression']);
    assert.deepEqual(byCode('Type').sort(), ['MemorySize', 'Tables']);
    assert.deepEqual(byCode('Range'), ['TimeoutSeconds']);
    assert.deepEqual(byCode('AllowedValues'), ['LogRetentionDays']);
    assert.match(problems.find((p) => p.parameter === 'BucketName')!.message, /an S3 bucket name/);
  });

  test('required parameters, lengths and rules', () => {
    assert.deepEqual(
      validateParameters('backup-roles', {}).map((p) => `${p.code} ${p.parameter}`),
      ['Missing BucketName', 'Missing KmsKeyArn', 'Missing Tables'],
    );
    const long = validateParameters('backup-bucket', { Prefix: 'p'.repeat(201) });
    assert.deepEqual(
      long.map((p) => p.code),
      ['Length'],
    );
    const rule = validateParameters('table-backup-schedule', {
      Tables: 't',
      BucketName: 'acme-backups',
      NotifyRecipient: 'ops@example.com',
    });
    assert.deepEqual(
      rule.map((p) => p.code),
      ['Rule'],
    );
    assert.match(rule[0]!.message, /NotifySender/);
  });
});

after(() => {
  // The resource specification is large; let it go before the next file.
  spec = undefined as unknown as ResourceSpec;
});
