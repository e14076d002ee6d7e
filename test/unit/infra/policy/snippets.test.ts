// Policy snippets and the generator: every snippet lints clean once filled, placeholders are
// caught when left in, editor bodies are valid tab-stop text, and the generator's output is
// scoped as the action table says (simulated with an IAM policy simulator).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  accessFor,
  ACTION_TABLE,
  CORE_OPERATIONS,
  fillSnippet,
  findSnippet,
  generatePolicy,
  lintPolicy,
  parseOperations,
  type PlaceholderValues,
  POLICY_SNIPPETS,
  snippetBody,
  snippetPlaceholders,
} from '@coldkeep/shared';
import { simulate } from '../../../helpers/policySimulation';

const VALUES: PlaceholderValues = {
  Bucket: 'acme-backups',
  Prefix: 'coldkeep',
  Account: '111122223333',
  Region: 'eu-west-1',
  SourceAccount: '444455556666',
  WriterRoleArn: ['arn:aws:iam::111122223333:role/backup-a', 'arn:aws:iam::111122223333:role/backup-b'],
  ReaderRoleArn: ['arn:aws:iam::111122223333:role/restore'],
  AdminRoleArn: ['arn:aws:iam::111122223333:role/admin'],
  KmsKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
  Table: 'Orders',
  TrailName: 'audit',
  FunctionName: 'nightly',
};

describe('policy snippets', () => {
  test('the catalogue covers the bucket, identity and key policies the issue asks for', () => {
    const names = POLICY_SNIPPETS.map((s) => s.name);
    for (const name of [
      'bucket-backup-writers',
      'bucket-restore-readers',
      'bucket-cross-account-backup',
      'bucket-deny-insecure-transport',
      'bucket-require-sse-kms',
      'bucket-deny-delete-without-mfa',
      'bucket-cloudtrail-logs',
      'operator-backup-table',
      'operator-restore',
      'scheduled-backup-function-role',
      'mfa-enforcing-user',
      'kms-backup-key',
    ]) {
      assert.ok(names.includes(name), `snippet ${name}`);
    }
    assert.equal(new Set(names).size, names.length, 'names are unique');
    for (const s of POLICY_SNIPPETS) assert.doesNotMatch(s.description, /\n/, `${s.name}: one-line description`);
  });

  for (const snippet of POLICY_SNIPPETS) {
    test(`${snippet.name}: lints clean once filled, and its placeholders are caught when left in`, async () => {
      const kind = snippet.kind === 'identity-policy' ? 'identity' : 'resource';
      const { document, missing } = fillSnippet(snippet, VALUES);
      assert.deepEqual(missing, []);
      // A bucket snippet is a part of the bucket policy; the whole one denies plain HTTP too.
      const tls = fillSnippet(findSnippet('bucket-deny-insecure-transport')!, VALUES).document;
      const whole =
        snippet.kind === 'bucket-policy' && snippet.name !== 'bucket-deny-insecure-transport'
          ? { ...document, Statement: [...document.Statement, ...tls.Statement] }
          : document;
      const filled = await lintPolicy(JSON.stringify(whole, null, 2), { kind });
      assert.deepEqual(
        filled.findings.map((f) => `${f.code}: ${f.message}`),
        [],
      );
      if (snippetPlaceholders(snippet).length) {
        const empty = await lintPolicy(JSON.stringify(fillSnippet(snippet, {}).document), { kind });
        assert.ok(empty.findings.some((f) => f.code === 'Placeholder'));
      }
    });
  }

  test('a list placeholder spreads into one array: two writer roles are one principal list', () => {
    const { document } = fillSnippet(findSnippet('bucket-backup-writers')!, VALUES);
    assert.deepEqual(document.Statement[0]!.Principal, { AWS: VALUES.WriterRoleArn });
  });

  test('an empty prefix means the bucket root, without a double slash', () => {
    const { document } = fillSnippet(findSnippet('bucket-backup-writers')!, { ...VALUES, Prefix: '' });
    assert.equal(document.Statement[1]!.Resource, 'arn:aws:s3:::acme-backups/tables/*');
  });

  test('editor bodies number the tab-stops, reuse them for the same value, and escape policy variables', () => {
    const body = snippetBody(findSnippet('bucket-backup-writers')!);
    assert.match(body, /\$\{1:<WriterRoleArn>\}/);
    assert.equal(body.match(/\$\{2:<Bucket>\}/g)?.length, 2);
    const mfa = snippetBody(findSnippet('mfa-enforcing-user')!);
    assert.ok(mfa.includes('user/\\${aws:username}'), 'IAM policy variables are not tab-stops');
  });

  test('snippets with Coldkeep grants use exactly the action table s actions', () => {
    const writers = fillSnippet(findSnippet('bucket-backup-writers')!, VALUES).document;
    const declared = ACTION_TABLE.find((d) => d.name === 'backup-table')!
      .grants.filter((g) => !g.feature && g.action.startsWith('s3:'))
      .map((g) => g.action)
      .sort();
    assert.deepEqual(writers.Statement.flatMap((s) => s.Action as string[]).sort(), declared);
  });

  test('bucket-require-sse-kms denies an upload asking for SSE-S3, not one with the key or none (UploadPart)', async () => {
    const bucketPolicy = fillSnippet(findSnippet('bucket-require-sse-kms')!, VALUES).document;
    const identity = generatePolicy({
      operations: ['backup-table'],
      bucket: 'acme-backups',
      account: '111122223333',
      region: 'eu-west-1',
    }).policy;
    const env = { region: 'eu-west-1', account: '111122223333' };
    const key = 'coldkeep/tables/111122223333/eu-west-1/Orders/x/data/0000-0001.json.gz';
    const put = (input: Record<string, unknown>) =>
      accessFor(
        { service: 's3', operation: 'PutObject', input: { Bucket: 'acme-backups', Key: key, ...input } },
        env,
      )[0]!;
    const setup = { account: '111122223333', bucketPolicy };
    assert.equal(await simulate(identity, put({ ServerSideEncryption: 'AES256' }), setup), 'ExplicitlyDenied');
    const keyArn = `arn:aws:kms:eu-west-1:111122223333:key/${VALUES.KmsKeyId as string}`;
    assert.equal(
      await simulate(identity, put({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyArn }), setup),
      'Allowed',
    );
    assert.equal(
      await simulate(
        identity,
        put({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/other' }),
        setup,
      ),
      'ExplicitlyDenied',
    );
    const part = accessFor(
      { service: 's3', operation: 'UploadPart', input: { Bucket: 'acme-backups', Key: key } },
      env,
    )[0]!;
    assert.equal(await simulate(identity, part, setup), 'Allowed');
  });
});

describe('policy generator', () => {
  test('scopes each action to the ARNs of the bucket, prefix, tables and key', () => {
    const { policy, notes } = generatePolicy({
      operations: ['backup-table'],
      bucket: 'acme',
      prefix: 'p',
      tables: ['Orders'],
      kmsKey: '1234',
      account: '111122223333',
      region: 'eu-west-1',
    });
    assert.deepEqual(
      policy.Statement.map((s) => [s.Sid, s.Resource]),
      [
        ['Tables', 'arn:aws:dynamodb:eu-west-1:111122223333:table/Orders'],
        // backup-table only checks the bucket (HeadBucket, no prefix): it lists nothing.
        ['BucketCheck', 'arn:aws:s3:::acme'],
        ['TableBackups', 'arn:aws:s3:::acme/p/tables/111122223333/eu-west-1/Orders/*'],
        ['BackupKey', 'arn:aws:kms:eu-west-1:111122223333:key/1234'],
      ],
    );
    assert.deepEqual(notes, []);
  });

  test('features add their actions only when asked for', () => {
    const actions = (o: Parameters<typeof generatePolicy>[0]) =>
      generatePolicy(o).policy.Statement.flatMap((s) => s.Action as string[]);
    const base = { operations: ['backup-table' as const], bucket: 'b' };
    assert.ok(!actions(base).includes('s3:PutObjectRetention'));
    assert.ok(actions({ ...base, objectLock: true }).includes('s3:PutObjectRetention'));
    assert.ok(!actions(base).some((a) => a.startsWith('kms:')));
  });

  test('the generated policy for every operation lints clean of errors and warnings', async () => {
    const { policy } = generatePolicy({
      operations: [...CORE_OPERATIONS],
      bucket: 'acme',
      tables: ['Orders'],
      kmsKey: 'alias/backups',
      account: '111122223333',
      region: 'eu-west-1',
      emailIdentity: 'ops@example.com',
    });
    const result = await lintPolicy(JSON.stringify(policy), { kind: 'identity' });
    assert.deepEqual(
      result.findings.map((f) => `${f.code}: ${f.message}`),
      [],
    );
  });

  test('simulated: the backup-table policy allows writing a backup of Orders, not of another table or prefix', async () => {
    const { policy } = generatePolicy({
      operations: ['backup-table'],
      bucket: 'acme',
      tables: ['Orders'],
      account: '111122223333',
      region: 'eu-west-1',
    });
    const env = { region: 'eu-west-1', account: '111122223333' };
    const put = (key: string) =>
      accessFor({ service: 's3', operation: 'PutObject', input: { Bucket: 'acme', Key: key } }, env)[0]!;
    const setup = { account: '111122223333' };
    assert.equal(
      await simulate(policy, put('coldkeep/tables/111122223333/eu-west-1/Orders/id/manifest.json'), setup),
      'Allowed',
    );
    assert.equal(
      await simulate(policy, put('coldkeep/tables/111122223333/eu-west-1/Users/id/manifest.json'), setup),
      'ImplicitlyDenied',
    );
    assert.equal(await simulate(policy, put('elsewhere/Orders/manifest.json'), setup), 'ImplicitlyDenied');
    const scan = accessFor({ service: 'dynamodb', operation: 'Scan', input: { TableName: 'Users' } }, env)[0]!;
    assert.equal(await simulate(policy, scan, setup), 'ImplicitlyDenied');
  });

  test('unknown operations and a missing bucket are usage errors with hints', () => {
    assert.throws(() => generatePolicy({ operations: ['restore'] }), /bucket/);
    assert.throws(() => parseOperations('backup,restore'), /Unknown Coldkeep operation\(s\): backup/);
    assert.deepEqual(parseOperations('restore, backup-table,restore'), ['restore', 'backup-table']);
  });

  test('an SDK call without an IAM mapping fails loudly', () => {
    assert.throws(
      () =>
        accessFor(
          { service: 's3', operation: 'PutBucketPolicy', input: { Bucket: 'b' } },
          { region: 'r', account: '1' },
        ),
      /No IAM mapping for s3.PutBucketPolicy/,
    );
  });
});
