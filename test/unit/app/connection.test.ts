// Which credentials a Connection gives its clients, the same in every front end (the CLI's, made
// in cli/context.ts, included). Config files are temporary; the real ~/.aws is never read.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AwsSettings, Connection, MemorySecretStore } from '@coldkeep/shared';

describe('Connection credentials', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  // No prompt, as the CLI without a terminal: an expired session is an error, never a question.
  const connection = (settings: AwsSettings, environment: NodeJS.ProcessEnv): Connection =>
    new Connection({ settings, store: new MemorySecretStore(), env: environment });
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coldkeep-connection-'));
    await writeFile(
      join(dir, 'config'),
      '[profile mfa]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\n[profile plain]\nregion = eu-west-1\n',
    );
    await writeFile(
      join(dir, 'credentials'),
      '[plain]\naws_access_key_id = AKIAPLAIN\naws_secret_access_key = plain-secret\n',
    );
    env = {
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      XDG_CONFIG_HOME: join(dir, 'xdg'),
    };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('keys in the environment with no profile named, and keys given outright, are left to the SDK', async () => {
    const fromEnv = connection({}, { ...env, AWS_ACCESS_KEY_ID: 'AKIAENV' });
    assert.equal(fromEnv.settings.credentials, undefined);
    assert.equal(await fromEnv.session(), undefined);
    const keys = { accessKeyId: 'a', secretAccessKey: 'b' };
    assert.equal(connection({ credentials: keys }, env).settings.credentials, keys);
    // A profile named beats the keys in the environment: its credentials, not the SDK's first find.
    assert.equal(
      typeof connection({ profile: 'plain' }, { ...env, AWS_ACCESS_KEY_ID: 'AKIAENV' }).settings.credentials,
      'function',
    );
  });

  test('a profile with mfa_serial runs on its MFA session; another gets the SDK chain', async () => {
    const mfa = connection({ profile: 'mfa' }, env);
    assert.equal((await mfa.session())?.profile, 'mfa');
    const provider = mfa.settings.credentials;
    assert.ok(typeof provider === 'function');
    // No cached session and no prompt: the session says how to start one.
    await assert.rejects(provider({}), { code: 'SessionExpired' });

    const plain = connection({ profile: 'plain' }, env);
    assert.equal(await plain.session(), undefined);
    const previous = { ...process.env };
    Object.assign(process.env, env); // the SDK's ini provider reads the file paths from process.env
    try {
      const chain = plain.settings.credentials;
      assert.ok(typeof chain === 'function');
      assert.equal((await chain({})).accessKeyId, 'AKIAPLAIN');
    } finally {
      for (const key of Object.keys(env)) if (previous[key] === undefined) delete process.env[key];
      Object.assign(process.env, previous);
    }
  });
});
