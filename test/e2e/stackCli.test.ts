// `coldkeep stack …` as a user runs it, against a small CloudFormation over HTTP
// (test/helpers/fakeCloudFormation.ts): list templates, deploy, deploy again (no changes), update,
// status, a failed deploy with its reason, parameter errors before any call, delete.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FakeCloudFormation, startFakeCloudFormation } from '../helpers/fakeCloudFormation';
import { type CliRun, runCli } from '../helpers/cli';

const ROOT = join(__dirname, '..', '..', '..');

let fake: FakeCloudFormation;

function coldkeep(args: string[]): Promise<CliRun> {
  return runCli(['--endpoint-url', fake.endpoint, '--region', 'us-east-1', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    timeoutMs: 60_000,
  });
}

describe('coldkeep stack', () => {
  before(async () => {
    fake = await startFakeCloudFormation();
  });
  after(async () => {
    await fake?.stop();
  });

  test('templates: the list, and one template with its parameters', async () => {
    const list = await coldkeep(['stack', 'templates']);
    assert.equal(list.code, 0, list.stderr);
    for (const name of [
      'backup-bucket',
      'backup-roles',
      'audit-trail',
      'cross-account-backup',
      'table-backup-schedule',
    ])
      assert.match(list.stdout, new RegExp(`^${name}\\s+coldkeep-${name}`, 'm'));
    const one = await coldkeep(['--json', 'stack', 'templates', 'backup-bucket']);
    assert.equal(one.code, 0, one.stderr);
    const [template] = (JSON.parse(one.stdout) as { templates: { name: string; parameters: { name: string }[] }[] })
      .templates;
    assert.equal(template!.name, 'backup-bucket');
    assert.ok(template!.parameters.some((p) => p.name === 'ArchiveAfterDays'));
  });

  test('bad parameters: exit 2, every problem listed, no call to CloudFormation', async () => {
    const before = fake.calls.length;
    const run = await coldkeep([
      'stack',
      'deploy',
      'backup-bucket',
      '--param',
      'ArchiveAfterDays=soon',
      '--param',
      'Colour=blue',
    ]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /ArchiveAfterDays "soon" is not a number/);
    assert.match(run.stderr, /no parameter Colour/);
    assert.match(run.stderr, /Hint: .*coldkeep stack templates backup-bucket/);
    const malformed = await coldkeep(['stack', 'deploy', 'backup-bucket', '--param', 'justakey']);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /expected KEY=VALUE/);
    assert.equal(fake.calls.length, before);
  });

  test('deploy, deploy again with no changes, update, status', async () => {
    const created = await coldkeep(['stack', 'deploy', 'backup-bucket', '--param', 'BucketName=acme-backups']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /Creating a CREATE change set for coldkeep-backup-bucket/);
    assert.match(created.stderr, /Add\s+BackupBucket\s+AWS::S3::Bucket/);
    assert.match(created.stderr, /CREATE_COMPLETE\s+BackupKey \(AWS::KMS::Key\)/);
    assert.match(created.stdout, /Stack coldkeep-backup-bucket created: CREATE_COMPLETE/);
    assert.match(created.stdout, /BucketName\s+bucketname-value/);

    const again = await coldkeep(['stack', 'deploy', 'backup-bucket']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /coldkeep-backup-bucket is up to date/);

    const updated = await coldkeep(['--json', 'stack', 'deploy', 'backup-bucket', '--param', 'ArchiveAfterDays=30']);
    assert.equal(updated.code, 0, updated.stderr);
    const report = (JSON.parse(updated.stdout) as { deploy: Record<string, unknown> }).deploy;
    assert.equal(report.changeSetType, 'UPDATE');
    assert.equal(report.executed, true);
    assert.equal(report.status, 'UPDATE_COMPLETE');

    const status = await coldkeep(['--json', 'stack', 'status', 'backup-bucket']);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as { status: string; parameters: Record<string, string> };
    assert.equal(s.status, 'UPDATE_COMPLETE');
    assert.equal(s.parameters.ArchiveAfterDays, '30');
    assert.equal(s.parameters.BucketName, 'acme-backups', 'kept from the first deploy');
  });

  test('a failed deploy names the resource, its reason and the state the stack is in', async () => {
    const run = await coldkeep([
      'stack',
      'deploy',
      'backup-bucket',
      '--stack-name',
      'coldkeep-taken',
      '--param',
      'BucketName=taken-bucket',
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /Error \[StackFailed\]: .*BackupBucket \(AWS::S3::Bucket\) failed: taken-bucket already exists\. The stack is now ROLLBACK_COMPLETE/,
    );
    assert.match(run.stderr, /Hint: .*coldkeep stack delete coldkeep-taken/);
  });

  test('delete asks for --yes without a terminal, then keeps the data', async () => {
    const refused = await coldkeep(['stack', 'delete', 'backup-bucket']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--yes/);
    const deleted = await coldkeep(['stack', 'delete', 'backup-bucket', '--yes']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /Stack coldkeep-backup-bucket deleted/);
    assert.match(deleted.stdout, /Kept .*\n(.*\n)*\s+BackupBucket \(AWS::S3::Bucket\)/);
    // A stack that is not there fails (exit 1, coded), for scripts as for people.
    const gone = await coldkeep(['stack', 'status', 'backup-bucket']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Error \[NoSuchStack\]: Stack coldkeep-backup-bucket does not exist in us-east-1/);
    assert.match(gone.stderr, /Hint: Check the name and the region \(--region\)/);
    const goneJson = await coldkeep(['--json', 'stack', 'status', 'no-such-stack']);
    assert.equal(goneJson.code, 1);
    assert.equal((JSON.parse(goneJson.stdout) as { error: { code: string } }).error.code, 'NoSuchStack');
  });

  test('coldkeep policy lint passes every template', async () => {
    const dir = join(ROOT, 'infra-templates');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(dir, f));
    assert.equal(files.length, 5);
    const run = await coldkeep(['policy', 'lint', ...files]);
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /5 files: 0 error\(s\), 0 warning\(s\)/);
  });
});
