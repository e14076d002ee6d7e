// The desktop app's credentials come from the core's Connection, as in the CLI and the extension:
// keys in the environment with no profile named are used as they are, even when the default
// profile has mfa_serial (before, the app took the default profile's MFA session, which it had
// no code for).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MemorySecretStore, TOOL_NAME } from '@coldkeep/shared';
import { ColdkeepApp } from 'coldkeep-desktop/dist/main/coldkeepApp';
import { stacksFrom } from 'coldkeep-desktop/dist/main/stacksService';

describe('desktop main: the connection', () => {
  test('keys in the environment with no profile named are used as they are, as in the CLI', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coldkeep-desktop-conn-'));
    await writeFile(join(dir, 'config'), '[default]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n');
    const env = {
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_ACCESS_KEY_ID: 'AKIAFROMENV',
      AWS_SECRET_ACCESS_KEY: 'env-secret',
    };
    const saved = { ...process.env };
    // The SDK's environment provider reads process.env itself.
    Object.assign(process.env, env);
    delete process.env.AWS_PROFILE;
    const app = await ColdkeepApp.open({
      dataDir: dir,
      scheduleDir: join(dir, 'schedule'),
      appInfo: { name: TOOL_NAME, version: '0.0.0-test', electronVersion: 'none', platform: process.platform },
      secrets: { store: new MemorySecretStore(), problem: () => undefined },
      pickFolder: async () => undefined,
      stacks: stacksFrom(),
      env: process.env,
    });
    try {
      const identity = await (await app.clients()).dynamodb.config.credentials();
      assert.equal(identity.accessKeyId, 'AKIAFROMENV');
    } finally {
      await app.close();
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
