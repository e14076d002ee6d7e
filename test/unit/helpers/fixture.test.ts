// The switch that points the integration suite at another endpoint (COLDKEEP_TEST_TARGET=aws):
// what it reads from the environment, the names it makes, and what it cleans up. No network:
// the SDK clients are stubbed, class-wide, with aws-sdk-client-mock.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { CreatedResources, startTarget, testTargetConfig } from '../../helpers/fixture';

const AWS_ENV = {
  COLDKEEP_TEST_TARGET: 'aws',
  COLDKEEP_TEST_PROFILE: 'tester',
  AWS_PROFILE: 'someone-else',
  COLDKEEP_TEST_REGION: 'eu-west-2',
  AWS_REGION: 'us-east-1',
  COLDKEEP_TEST_BUCKET: 'acme-coldkeep-ci',
  COLDKEEP_TEST_PREFIX: 'ci/',
  COLDKEEP_ENDPOINT_URL: 'http://127.0.0.1:4566',
};

describe('the integration suite’s target', () => {
  const ddb = mockClient(DynamoDBClient);
  const s3 = mockClient(S3Client);
  afterEach(() => {
    ddb.reset();
    s3.reset();
  });

  test('by default the embedded emulators, each run under a prefix of its own', () => {
    const a = testTargetConfig({});
    const b = testTargetConfig({});
    assert.equal(a.kind, 'embedded');
    assert.match(a.runPrefix, /^coldkeep-test\/\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    assert.notEqual(a.runPrefix, b.runPrefix);
  });

  test('COLDKEEP_TEST_TARGET=aws (or env) takes profile, region, bucket, prefix and endpoints from the environment', () => {
    for (const kind of ['aws', 'env']) {
      const config = testTargetConfig({ ...AWS_ENV, COLDKEEP_TEST_TARGET: kind });
      assert.equal(config.kind, 'aws');
      assert.equal(config.settings.profile, 'tester');
      assert.equal(config.settings.region, 'eu-west-2');
      assert.equal(config.settings.endpoint, 'http://127.0.0.1:4566');
      assert.equal(config.bucket, 'acme-coldkeep-ci');
      assert.match(config.runPrefix, /^ci\/\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    }
    const plain = testTargetConfig({ COLDKEEP_TEST_TARGET: 'aws', AWS_PROFILE: 'p', AWS_REGION: 'ap-south-1' });
    assert.equal(plain.settings.profile, 'p');
    assert.equal(plain.settings.region, 'ap-south-1');
    assert.equal(plain.settings.endpoint, undefined, 'no endpoint: the real services');
    assert.equal(plain.bucket, undefined, 'no bucket: the run makes one');
    assert.throws(() => testTargetConfig({ COLDKEEP_TEST_TARGET: 'localstack' }), /use "aws"/);
  });

  test('every table and object the run creates is on the clean-up list', () => {
    const created = new CreatedResources('acme-coldkeep-ci', 'ci/run');
    created.record({ service: 'dynamodb', operation: 'CreateTable', input: { TableName: 'Orders-1a2b' } });
    created.record({
      service: 'dynamodb',
      operation: 'ImportTable',
      input: { TableCreationParameters: { TableName: 'Imported-3c4d' } },
    });
    created.record({ service: 'dynamodb', operation: 'Scan', input: { TableName: 'Source' } });
    created.record({ service: 's3', operation: 'PutObject', input: { Bucket: 'acme-coldkeep-ci', Key: 'coldkeep/a' } });
    created.record({
      service: 's3',
      operation: 'CreateMultipartUpload',
      input: { Bucket: 'acme-coldkeep-ci', Key: 'b' },
    });
    created.record({ service: 's3', operation: 'PutObject', input: { Bucket: 'somebody-elses', Key: 'c' } });
    created.record({ service: 's3', operation: 'GetObject', input: { Bucket: 'acme-coldkeep-ci', Key: 'd' } });
    assert.deepEqual([...created.tables], ['Orders-1a2b', 'Imported-3c4d']);
    assert.deepEqual([...created.objects], ['coldkeep/a', 'b']);
  });

  test('stopping the target deletes the tables, the objects written and everything under the run prefix', async () => {
    ddb.on(CreateTableCommand).resolves({});
    ddb.on(DeleteTableCommand).resolves({});
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'ci/run-x/snaps/1' }, { Key: 'coldkeep/a' }] });
    s3.on(DeleteObjectsCommand).resolves({});
    const config = { ...testTargetConfig(AWS_ENV), runPrefix: 'ci/run-x' };
    const target = await startTarget(config);
    assert.equal(target.kind, 'aws');
    assert.equal(target.bucket, 'acme-coldkeep-ci');
    // The SDK calls of the tests reach the list through the settings' onOperation hook.
    target.settings.onOperation!({ service: 'dynamodb', operation: 'CreateTable', input: { TableName: 'T-1' } });
    target.settings.onOperation!({
      service: 's3',
      operation: 'PutObject',
      input: { Bucket: target.bucket, Key: 'coldkeep/a' },
    });
    await target.stop();
    assert.deepEqual(
      ddb.commandCalls(DeleteTableCommand).map((c) => c.args[0].input.TableName),
      ['T-1'],
    );
    assert.deepEqual(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input.Prefix, 'ci/run-x/');
    const deleted = s3
      .commandCalls(DeleteObjectsCommand)
      .flatMap((c) => c.args[0].input.Delete!.Objects!.map((o) => o.Key));
    assert.deepEqual(deleted.sort(), ['ci/run-x/snaps/1', 'coldkeep/a']);
  });

  test('a clean-up that cannot delete something says what is left', async () => {
    ddb.on(DeleteTableCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    s3.on(ListObjectsV2Command).resolves({});
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'k', Code: 'AccessDenied' }] });
    const target = await startTarget({ ...testTargetConfig(AWS_ENV), runPrefix: 'ci/run-y' });
    target.settings.onOperation!({ service: 'dynamodb', operation: 'CreateTable', input: { TableName: 'T-2' } });
    target.settings.onOperation!({ service: 's3', operation: 'PutObject', input: { Bucket: target.bucket, Key: 'k' } });
    await assert.rejects(target.stop(), /Clean-up left 2 thing\(s\): table T-2: .*denied.*; object k: AccessDenied/);
  });
});
