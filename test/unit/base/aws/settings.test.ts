// AWS settings from the environment and from layered sources (flags over files over env).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { endpointFor, mergeSettings, settingsFromEnv } from '@coldkeep/shared';

describe('settings', () => {
  test('settingsFromEnv: one endpoint for all, per-service endpoints, region and profile', () => {
    const settings = settingsFromEnv({
      COLDKEEP_ENDPOINT_URL: 'http://localhost:4566',
      COLDKEEP_ENDPOINT_URL_S3: 'http://localhost:9000',
      AWS_REGION: 'eu-central-1',
      AWS_PROFILE: 'prod',
    });
    assert.deepEqual(settings, {
      region: 'eu-central-1',
      profile: 'prod',
      endpoint: 'http://localhost:4566',
      endpoints: { s3: 'http://localhost:9000' },
    });
    assert.equal(endpointFor(settings, 's3'), 'http://localhost:9000');
    assert.equal(endpointFor(settings, 'dynamodb'), 'http://localhost:4566');
    assert.equal(endpointFor(settings, 'sts'), 'http://localhost:4566');
  });

  test('settingsFromEnv: COLDKEEP_ variables win over AWS_ ones; an empty environment gives {}', () => {
    assert.deepEqual(
      settingsFromEnv({
        COLDKEEP_REGION: 'ap-south-1',
        AWS_REGION: 'us-west-2',
        AWS_DEFAULT_REGION: 'us-east-2',
        COLDKEEP_PROFILE: 'ck',
        AWS_PROFILE: 'aws',
      }),
      { region: 'ap-south-1', profile: 'ck' },
    );
    assert.deepEqual(settingsFromEnv({ AWS_DEFAULT_REGION: 'us-east-2' }), { region: 'us-east-2' });
    assert.deepEqual(settingsFromEnv({}), {});
    assert.deepEqual(settingsFromEnv({ COLDKEEP_ENDPOINT_URL_DYNAMODB: 'http://d' }), {
      endpoints: { dynamodb: 'http://d' },
    });
  });

  test('mergeSettings: later layers win, undefined does not erase, endpoints merge per service', () => {
    const merged = mergeSettings(
      {
        region: 'us-east-1',
        profile: 'a',
        endpoint: 'http://all',
        endpoints: { s3: 'http://s3-env', dynamodb: 'http://ddb-env' },
      },
      undefined,
      { region: 'eu-west-1', profile: undefined, endpoints: { s3: 'http://s3-flag' } },
    );
    assert.deepEqual(merged, {
      region: 'eu-west-1',
      profile: 'a',
      endpoint: 'http://all',
      endpoints: { s3: 'http://s3-flag', dynamodb: 'http://ddb-env' },
    });
    assert.deepEqual(mergeSettings(), {});
  });
});
