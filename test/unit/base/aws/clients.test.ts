// The SDK clients Coldkeep builds from its settings: endpoints, path-style S3, checksums.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AwsClients, commonClientConfig } from '@coldkeep/shared';

describe('client config', () => {
  test('client config: endpoint per service, path-style S3 only with a custom endpoint', async () => {
    const settings = {
      region: 'eu-west-1',
      endpoint: 'http://localhost:4566',
      endpoints: { s3: 'http://localhost:9000' },
    };
    assert.equal(commonClientConfig(settings, 's3').endpoint, 'http://localhost:9000');
    assert.equal(commonClientConfig(settings, 'dynamodb').endpoint, 'http://localhost:4566');
    assert.equal(commonClientConfig({}, 's3').region, 'us-east-1');
    assert.equal('endpoint' in commonClientConfig({}, 's3'), false);
    const local = new AwsClients(settings);
    const aws = new AwsClients({ region: 'eu-west-1' });
    try {
      assert.equal(local.s3.config.forcePathStyle, true);
      assert.equal(aws.s3.config.forcePathStyle, false);
      assert.equal(await aws.s3.config.requestChecksumCalculation(), 'WHEN_REQUIRED');
      assert.equal(await aws.s3.config.region(), 'eu-west-1');
      assert.equal(aws.region, 'eu-west-1');
    } finally {
      local.destroy();
      aws.destroy();
    }
  });
});
