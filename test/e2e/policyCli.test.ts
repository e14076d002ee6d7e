// `coldkeep policy …` as a user runs it: exit codes, text, --json and --sarif output.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliRun, runCli } from '../helpers/cli';

function coldkeep(args: string[], cwd: string): Promise<CliRun> {
  return runCli(args, {
    cwd,
    env: { ...process.env, COLDKEEP_BUCKET: '', AWS_REGION: '', AWS_DEFAULT_REGION: '', COLDKEEP_REGION: '' },
    timeoutMs: 60_000,
  });
}

const GOOD = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::acme/coldkeep/*' }],
  },
  null,
  2,
);
const BAD = `{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme" }
  ]
}
`;
const TEMPLATE = `Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: { Service: lambda.amazonaws.com }
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess
`;

describe('coldkeep policy', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coldkeep-policy-'));
    await writeFile(join(dir, 'good.json'), GOOD);
    await writeFile(join(dir, 'bad.json'), BAD);
    await writeFile(join(dir, 'stack.yaml'), TEMPLATE);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('lint: a clean policy exits 0', async () => {
    const run = await coldkeep(['policy', 'lint', 'good.json'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /good\.json: 0 error\(s\), 0 warning\(s\)\./);
  });

  test('lint: errors exit 1 with file:line:column, the code and a hint', async () => {
    const run = await coldkeep(['policy', 'lint', 'good.json', 'bad.json', 'stack.yaml'], dir);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^bad\.json:4:64: error ObjectActionOnBucket: s3:PutObject acts on objects/m);
    assert.match(run.stdout, /arn:aws:s3:::acme\/\*/);
    assert.match(run.stdout, /^stack\.yaml:12:11: warning BroadManagedPolicy/m);
    assert.match(run.stdout, /3 files: 1 error\(s\), 1 warning\(s\)\./);
    assert.match(run.stderr, /Error \[PolicyInvalid\]: 1 error\(s\) in 1 file\(s\)\./);
  });

  test('lint: warnings alone exit 0', async () => {
    const run = await coldkeep(['policy', 'lint', 'stack.yaml'], dir);
    assert.equal(run.code, 0, run.stdout + run.stderr);
  });

  test('lint --sarif: a SARIF 2.1.0 log on stdout, exit 1 on errors', async () => {
    const run = await coldkeep(['policy', 'lint', '--sarif', 'bad.json', 'stack.yaml'], dir);
    assert.equal(run.code, 1);
    const sarif = JSON.parse(run.stdout) as {
      version: string;
      runs: {
        tool: { driver: { name: string; rules: { id: string; defaultConfiguration: { level: string } }[] } };
        artifacts: { location: { uri: string } }[];
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          message: { text: string };
          locations: {
            physicalLocation: {
              artifactLocation: { uri: string; index: number };
              region: { startLine: number; startColumn: number; endLine: number; endColumn: number };
            };
          }[];
        }[];
      }[];
    };
    assert.equal(sarif.version, '2.1.0');
    const [runLog] = sarif.runs;
    assert.equal(runLog!.tool.driver.name, 'coldkeep-policy-lint');
    assert.deepEqual(
      runLog!.artifacts.map((a) => a.location.uri),
      ['bad.json', 'stack.yaml'],
    );
    const [first, second] = runLog!.results;
    assert.equal(first!.ruleId, 'ObjectActionOnBucket');
    assert.equal(first!.level, 'error');
    assert.equal(runLog!.tool.driver.rules[first!.ruleIndex]!.id, 'ObjectActionOnBucket');
    assert.deepEqual(first!.locations[0]!.physicalLocation.region, {
      startLine: 4,
      startColumn: 64,
      endLine: 4,
      endColumn: 83,
    });
    assert.equal(second!.ruleId, 'BroadManagedPolicy');
    assert.equal(second!.level, 'warning');
    assert.equal(second!.locations[0]!.physicalLocation.artifactLocation.uri, 'stack.yaml');
    assert.match(run.stderr, /PolicyInvalid/);
  });

  test('lint --format sarif: the policies of a template are checked resolved, with the new checks as rules', async () => {
    const template = `Parameters:
  BucketName: { Type: String, Default: acme }
  Mode: { Type: String, Default: bucket }
Conditions:
  Objects: !Equals [!Ref Mode, objects]
Resources:
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref BucketName
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: { AWS: !Sub 'arn:\${AWS::Partition}:iam::111122223333:role/w' }
            Action: [s3:PutObject*, s3:ListBucket]
            Resource: !If [Objects, !Sub 'arn:aws:s3:::\${BucketName}/*', !Sub 'arn:aws:s3:::\${BucketName}']
`;
    await writeFile(join(dir, 'bucket.yaml'), template);
    const run = await coldkeep(['policy', 'lint', '--format', 'sarif', 'bucket.yaml'], dir);
    assert.equal(run.code, 1, run.stderr);
    const sarif = JSON.parse(run.stdout) as {
      runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; level: string }[] }[];
    };
    const [log] = sarif.runs;
    const results = log!.results.map((r) => `${r.ruleId} ${r.level}`).sort();
    assert.deepEqual(results, [
      'AclOnOwnerEnforced warning',
      'ListBucketWithoutPrefix note',
      'MissingSecureTransport warning',
      // s3:PutObject* acts on objects, and the default Mode resolves the resource to the bucket.
      'ResourceMismatch error',
      'SensitiveWildcard warning',
    ]);
    const rules = log!.tool.driver.rules.map((r) => r.id);
    for (const id of ['SensitiveWildcard', 'AclOnOwnerEnforced', 'ListBucketWithoutPrefix', 'MissingSecureTransport']) {
      assert.ok(rules.includes(id), id);
    }
  });

  test('lint --json: one JSON document, the report in the error details', async () => {
    const bad = await coldkeep(['--json', 'policy', 'lint', 'bad.json'], dir);
    assert.equal(bad.code, 1);
    const out = JSON.parse(bad.stdout) as {
      ok: boolean;
      error: { code: string; details: { files: { findings: { code: string }[] }[] } };
    };
    assert.equal(out.ok, false);
    assert.equal(out.error.code, 'PolicyInvalid');
    assert.equal(out.error.details.files[0]!.findings[0]!.code, 'ObjectActionOnBucket');
    const good = await coldkeep(['--json', 'policy', 'lint', 'good.json'], dir);
    assert.equal(good.code, 0);
    assert.equal((JSON.parse(good.stdout) as { ok: boolean; errors: number }).errors, 0);
  });

  test('lint: a missing file, or --sarif with --json, is a usage error (exit 2)', async () => {
    assert.equal((await coldkeep(['policy', 'lint', 'nope.json'], dir)).code, 2);
    assert.equal((await coldkeep(['--json', 'policy', 'lint', '--sarif', 'good.json'], dir)).code, 2);
  });

  test('generate: prints the policy; unknown operations and a missing bucket exit 2', async () => {
    const run = await coldkeep(
      [
        'policy',
        'generate',
        '--for',
        'backup-table,restore',
        '--bucket',
        'acme',
        '--table',
        'Orders',
        '--account',
        '111122223333',
        '--region',
        'eu-west-1',
      ],
      dir,
    );
    assert.equal(run.code, 0, run.stderr);
    const policy = JSON.parse(run.stdout) as { Statement: { Resource: string }[] };
    assert.ok(policy.Statement.some((s) => s.Resource === 'arn:aws:dynamodb:eu-west-1:111122223333:table/Orders'));
    assert.match(run.stderr, /No KMS key \(--kms-key\)/);
    await writeFile(join(dir, 'generated.json'), run.stdout);
    assert.equal(
      (await coldkeep(['policy', 'lint', 'generated.json'], dir)).code,
      0,
      'the generated policy lints clean',
    );
    assert.equal((await coldkeep(['policy', 'generate', '--for', 'backup'], dir)).code, 2);
    assert.equal((await coldkeep(['policy', 'generate', '--for', 'restore'], dir)).code, 2);
  });

  test('snippets: list, print one filled (several roles in one array), editor body, unknown name', async () => {
    const list = await coldkeep(['policy', 'snippets'], dir);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /bucket-deny-insecure-transport\s+bucket-policy/);
    const one = await coldkeep(
      [
        'policy',
        'snippets',
        'bucket-backup-writers',
        '--bucket',
        'acme',
        '--writer-role',
        'arn:aws:iam::111122223333:role/a',
        '--writer-role',
        'arn:aws:iam::111122223333:role/b',
      ],
      dir,
    );
    assert.equal(one.code, 0);
    const doc = JSON.parse(one.stdout) as { Statement: { Principal: { AWS: string[] } }[] };
    assert.deepEqual(doc.Statement[0]!.Principal.AWS, [
      'arn:aws:iam::111122223333:role/a',
      'arn:aws:iam::111122223333:role/b',
    ]);
    assert.match(one.stderr, /Fill in: <Prefix> \(--prefix/);
    const editor = await coldkeep(['policy', 'snippets', 'kms-backup-key', '--editor'], dir);
    assert.match(editor.stdout, /\$\{1:<Account>\}/);
    assert.equal((await coldkeep(['policy', 'snippets', 'nope'], dir)).code, 2);
  });
});
