// The extension's connection: the demo emulators when asked, else the settings and environment.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { installFakeVscode } from '../../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const settings = require('coldkeep-vscode/out/settings') as typeof import('coldkeep-vscode/out/settings');
const connectionModule = require('coldkeep-vscode/out/connection') as typeof import('coldkeep-vscode/out/connection');
/* eslint-enable @typescript-eslint/no-require-imports */

function config(values: Record<string, unknown>): { get<T>(key: string): T | undefined } {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

describe('the connection', () => {
  test('the connection uses the demo emulators when asked, else the settings and environment', () => {
    const s = settings.readSettings(config({ bucket: 'b', region: 'eu-west-1' }));
    const store = { get: async () => undefined, set: async () => undefined, delete: async () => undefined };
    const prompt = { askCode: async () => undefined };
    const plain = new connectionModule.Connection(s, store, prompt, { AWS_ACCESS_KEY_ID: 'x' });
    assert.equal(plain.isDemo, false);
    assert.equal(plain.label, 'default · eu-west-1');
    assert.equal(plain.bucket(), 'b');
    plain.dispose();
    const demo = new connectionModule.Connection(
      s,
      store,
      prompt,
      {},
      {
        region: 'us-east-1',
        endpoints: { dynamodb: 'http://127.0.0.1:1' },
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      },
    );
    assert.equal(demo.isDemo, true);
    assert.equal(demo.label, 'local demo · us-east-1');
    demo.dispose();
    const none = new connectionModule.Connection(settings.readSettings(config({})), store, prompt, {
      AWS_ACCESS_KEY_ID: 'x',
    });
    assert.throws(() => none.bucket(), /No backup bucket/);
    none.dispose();
  });
});
