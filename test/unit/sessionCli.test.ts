// The CLI's side of sessions: which credentials a command gets, the terminal prompt, and
// link-expiry parsing. Config files are temporary; the real ~/.aws is never read.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { CliCredentials } from '@coldkeep/shared/dist/cli/cliCredentials';
import { TerminalMfaPrompt } from '@coldkeep/shared/dist/cli/commands/sessionPrompt';
import { parseLinkExpiry } from '@coldkeep/shared/dist/cli/notifyOptions';

describe('CLI credentials', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coldkeep-cli-session-'));
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

  test('keys in the environment with no profile named are left to the SDK', () => {
    assert.equal(CliCredentials.for({}, { ...env, AWS_ACCESS_KEY_ID: 'AKIAENV' }), undefined);
    assert.equal(CliCredentials.for({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, env), undefined);
    assert.ok(CliCredentials.for({ profile: 'plain' }, { ...env, AWS_ACCESS_KEY_ID: 'AKIAENV' }));
  });

  test('a profile with mfa_serial gets its MFA session; another gets the SDK chain', async () => {
    const mfa = CliCredentials.for({ profile: 'mfa' }, env)!;
    assert.equal((await mfa.session())?.profile, 'mfa');
    // No cached session and no terminal in a test: the session says how to start one.
    await assert.rejects(mfa.provider({}), { code: 'SessionExpired' });

    const plain = CliCredentials.for({ profile: 'plain' }, env)!;
    assert.equal(await plain.session(), undefined);
    const previous = { ...process.env };
    Object.assign(process.env, env); // the SDK's ini provider reads the file paths from process.env
    try {
      assert.equal((await plain.provider({})).accessKeyId, 'AKIAPLAIN');
    } finally {
      for (const key of Object.keys(env)) if (previous[key] === undefined) delete process.env[key];
      Object.assign(process.env, previous);
    }
  });
});

describe('the terminal prompt', () => {
  const request = { profile: 'p', mfaSerial: 'arn:aws:iam::1:mfa/a', reason: 'expired' as const, attempt: 1 };

  test('asks on the output stream, says why, and returns what was typed', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d: Buffer) => (shown += d.toString()));
    const answer = new TerminalMfaPrompt(input, output).askCode(request);
    input.write('123456\n');
    assert.equal(await answer, '123456');
    assert.match(shown, /Your MFA session has expired\. MFA code for arn:aws:iam::1:mfa\/a \(profile p\): /);
  });

  test('end of input (Ctrl-D) declines', async () => {
    const input = new PassThrough();
    const answer = new TerminalMfaPrompt(input, new PassThrough()).askCode(request);
    input.end();
    assert.equal(await answer, undefined);
  });
});

describe('--link-expires', () => {
  test('takes 90m, 36h, 7d or seconds, from a minute to 7 days', () => {
    assert.equal(parseLinkExpiry('90m'), 5400);
    assert.equal(parseLinkExpiry('36h'), 129600);
    assert.equal(parseLinkExpiry('7d'), 604800);
    assert.equal(parseLinkExpiry('600'), 600);
    assert.throws(() => parseLinkExpiry('8d'), /7 days/);
    assert.throws(() => parseLinkExpiry('30s'), /1 minute/);
    assert.throws(() => parseLinkExpiry('soon'), /duration/);
  });
});
