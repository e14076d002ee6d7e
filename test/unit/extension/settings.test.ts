// The extension's settings: coldkeep.* read into AWS settings, backup inputs and notify settings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { installFakeVscode } from '../../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const settings = require('coldkeep-vscode/out/settings') as typeof import('coldkeep-vscode/out/settings');
/* eslint-enable @typescript-eslint/no-require-imports */

function config(values: Record<string, unknown>): { get<T>(key: string): T | undefined } {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

describe('extension settings', () => {
  test('read with defaults, and merged over the environment', () => {
    const s = settings.readSettings(
      config({ bucket: ' backups ', region: 'eu-west-1', endpoints: { s3: 'http://127.0.0.1:9000' }, segments: 0 }),
    );
    assert.equal(s.bucket, 'backups');
    assert.equal(s.segments, undefined);
    assert.equal(s.readFraction, 0.5);
    assert.deepEqual(s.lifecycleTag, { key: 'coldkeep-lifecycle', value: 'archive' });
    const aws = settings.awsSettingsFrom(s, {
      AWS_REGION: 'us-east-1',
      COLDKEEP_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
    });
    assert.equal(aws.region, 'eu-west-1', 'the VS Code setting wins over AWS_REGION');
    assert.deepEqual(aws.endpoints, { dynamodb: 'http://127.0.0.1:8000', s3: 'http://127.0.0.1:9000' });
    const input = settings.backupInputFrom(
      { ...s, sse: { type: 'aws:kms', kmsKeyId: 'alias/x' }, segments: 8 },
      'T',
      'b',
    );
    assert.deepEqual(input.sse, { type: 'aws:kms', kmsKeyId: 'alias/x' });
    assert.equal(input.segments, 8);
  });

  test('bad values are refused with the setting named and a hint', () => {
    for (const [values, setting] of [
      [{ endpoint: 'localhost:4566' }, 'coldkeep.endpoint'],
      [{ endpoints: { dynamo: 'http://x' } }, 'coldkeep.endpoints'],
      [{ segments: 2.5 }, 'coldkeep.segments'],
      [{ readFraction: 1.5 }, 'coldkeep.readFraction'],
      [{ lifecycleTag: 'no-equals' }, 'coldkeep.lifecycleTag'],
      [{ sse: 'rot13' }, 'coldkeep.sse'],
    ] as const) {
      assert.throws(
        () => settings.readSettings(config(values)),
        (err: Error & { code?: string; hint?: string }) =>
          err.code === 'InvalidInput' && err.message.includes(setting) && !!err.hint,
        setting,
      );
    }
    assert.equal(settings.readSettings(config({ lifecycleTag: '' })).lifecycleTag, null);
    assert.throws(
      () => settings.notifySettingsOf({ ...settings.readSettings(config({})), notifyTo: ['a@example.com'] }),
      /sender/,
    );
  });
});
