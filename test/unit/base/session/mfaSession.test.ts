// MFA sessions: profiles from temporary config files, the exact STS parameters of both MFA
// modes (aws-sdk-client-mock), caching across runs, expiry and re-prompt, rejected codes,
// and reuse of the AWS CLI's cache. Never touches the real ~/.aws or config folder.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { AssumeRoleCommand, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import {
  awsCliCacheKey,
  checkMfaCode,
  ColdkeepError,
  coldkeepConfigDir,
  FileSecretStore,
  findAwsProfile,
  loadAwsProfile,
  MemorySecretStore,
  MfaSession,
  type MfaPrompt,
  type MfaPromptRequest,
} from '@coldkeep/shared';

const stsMock = mockClient(STSClient);
const MFA = 'arn:aws:iam::123456789012:mfa/alice';
const ROLE = 'arn:aws:iam::210987654321:role/BackupOperator';
const T0 = new Date('2027-03-01T10:00:00.000Z');

const CONFIG = `
[default]
region = eu-west-1
mfa_serial = ${MFA}
duration_seconds = 7200

[profile ops]
role_arn = ${ROLE}
source_profile = default
mfa_serial = ${MFA}
external_id = coldkeep-ext
region = eu-central-1

[profile plain]
region = us-east-2

[profile chained]
role_arn = ${ROLE}
source_profile = default
mfa_serial = ${MFA}
role_session_name = alice-backups
duration_seconds = 3600
`;
const CREDENTIALS = `
[default]
aws_access_key_id = AKIALONGTERMALICE01
aws_secret_access_key = long-term-secret-of-alice

[plain]
aws_access_key_id = AKIAPLAINPROFILE001
aws_secret_access_key = plain-secret
`;

let dir: string;
let env: NodeJS.ProcessEnv;

function stsCredentials(n: number, expires: Date) {
  return {
    AccessKeyId: `ASIATEMP${n}`,
    SecretAccessKey: `temp-secret-${n}`,
    SessionToken: `temp-token-${n}`,
    Expiration: expires,
  };
}

const hours = (h: number): number => h * 3_600_000;

/** A prompt that answers from a list and records what it was asked. */
function scriptedPrompt(answers: (string | undefined)[]): MfaPrompt & { asked: MfaPromptRequest[] } {
  const asked: MfaPromptRequest[] = [];
  return {
    asked,
    async askCode(request) {
      asked.push(request);
      if (asked.length > answers.length)
        throw new Error(`prompt asked ${asked.length} times, expected ${answers.length}`);
      return answers[asked.length - 1];
    },
  };
}

function session(options: Partial<ConstructorParameters<typeof MfaSession>[0]> & { clock?: { now: Date } } = {}) {
  const clock = options.clock ?? { now: T0 };
  return new MfaSession({
    store: new MemorySecretStore(),
    env,
    awsCliCacheDir: join(dir, 'aws-cli-cache'),
    now: () => clock.now,
    ...options,
  });
}

beforeEach(async () => {
  stsMock.reset();
  dir = await mkdtemp(join(tmpdir(), 'coldkeep-session-'));
  await writeFile(join(dir, 'config'), CONFIG);
  await writeFile(join(dir, 'credentials'), CREDENTIALS);
  env = {
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    XDG_CONFIG_HOME: join(dir, 'xdg'),
  };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('profiles from the shared config and credentials files', () => {
  test('reads mfa_serial, role_arn, source_profile, duration_seconds and region from the files AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name', async () => {
    const def = await loadAwsProfile('default', env);
    assert.deepEqual(def, {
      name: 'default',
      region: 'eu-west-1',
      mfaSerial: MFA,
      durationSeconds: 7200,
      hasStaticKeys: true,
    });
    const ops = await loadAwsProfile('ops', env);
    assert.equal(ops.roleArn, ROLE);
    assert.equal(ops.sourceProfile, 'default');
    assert.equal(ops.externalId, 'coldkeep-ext');
    assert.equal(ops.region, 'eu-central-1');
    assert.equal(ops.hasStaticKeys, false);
  });

  test('AWS_PROFILE picks the profile when none is named', async () => {
    const s = session({ env: { ...env, AWS_PROFILE: 'ops' } });
    assert.equal(s.profile, 'ops');
    assert.equal((await s.mfaProfile()).roleArn, ROLE);
  });

  test('a missing profile is NoSuchProfile naming the files; a profile without mfa_serial is NoMfaSerial', async () => {
    assert.equal(await findAwsProfile('nope', env), undefined);
    await assert.rejects(loadAwsProfile('nope', env), (err: ColdkeepError) => {
      assert.equal(err.code, 'NoSuchProfile');
      assert.match(err.message, new RegExp(join(dir, 'config').replace(/[/\\]/g, '.')));
      return true;
    });
    await assert.rejects(session({ profile: 'plain' }).start({ code: '123456' }), { code: 'NoMfaSerial' });
    assert.equal(stsMock.calls().length, 0);
  });

  test('duration_seconds outside 900..129600 is refused before any call', async () => {
    await writeFile(join(dir, 'config'), `[default]\nmfa_serial = ${MFA}\nduration_seconds = 60\n`);
    await assert.rejects(loadAwsProfile('default', env), { code: 'InvalidInput' });
  });

  test('the config folder is XDG_CONFIG_HOME/coldkeep, ~/.config/coldkeep without it, %APPDATA%\\coldkeep on Windows', () => {
    assert.equal(coldkeepConfigDir({ XDG_CONFIG_HOME: '/x/cfg' }, 'linux'), join('/x/cfg', 'coldkeep'));
    assert.match(coldkeepConfigDir({}, 'darwin'), /[/\\]\.config[/\\]coldkeep$/);
    assert.equal(
      coldkeepConfigDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32'),
      join('C:\\Users\\a\\AppData\\Roaming', 'coldkeep'),
    );
  });
});

describe('the MFA code', () => {
  test('must be 6 digits, checked before any call to AWS', async () => {
    assert.equal(checkMfaCode(' 123456 '), '123456');
    for (const bad of ['12345', '1234567', '12a456', '', '12 456']) {
      assert.throws(() => checkMfaCode(bad), { code: 'InvalidInput' }, bad);
      await assert.rejects(session().start({ code: bad }), { code: 'InvalidInput' });
    }
    assert.equal(stsMock.calls().length, 0);
  });
});

describe('GetSessionToken (MFA, no role)', () => {
  test("sends exactly SerialNumber, TokenCode and the profile's DurationSeconds, signed with the profile's long-term keys", async () => {
    stsMock.on(GetSessionTokenCommand).resolves({ Credentials: stsCredentials(1, new Date(T0.getTime() + hours(2))) });
    const s = session();
    const status = await s.start({ code: '123456' });
    const calls = stsMock.commandCalls(GetSessionTokenCommand);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.args[0].input, { SerialNumber: MFA, TokenCode: '123456', DurationSeconds: 7200 });
    const client = calls[0]!.thisValue as STSClient;
    const signer = await client.config.credentials();
    assert.equal(signer.accessKeyId, 'AKIALONGTERMALICE01');
    assert.equal(await client.config.region(), 'eu-west-1');
    assert.equal(status.mode, 'session-token');
    assert.equal(status.identity, 'IAM user alice in account 123456789012');
    assert.equal(status.expiresAt, new Date(T0.getTime() + hours(2)).toISOString());
    assert.deepEqual(await s.credentials(), {
      accessKeyId: 'ASIATEMP1',
      secretAccessKey: 'temp-secret-1',
      sessionToken: 'temp-token-1',
      expiration: new Date(T0.getTime() + hours(2)),
    });
  });
});

describe('AssumeRole with MFA', () => {
  test('sends RoleArn, a coldkeep session name, SerialNumber, TokenCode and ExternalId, signed by source_profile', async () => {
    stsMock.on(AssumeRoleCommand).resolves({
      Credentials: stsCredentials(2, new Date(T0.getTime() + hours(1))),
      AssumedRoleUser: {
        Arn: 'arn:aws:sts::210987654321:assumed-role/BackupOperator/coldkeep-1803895200',
        AssumedRoleId: 'AROA:x',
      },
    });
    const s = session({ profile: 'ops' });
    const status = await s.start({ code: '654321' });
    const calls = stsMock.commandCalls(AssumeRoleCommand);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.args[0].input, {
      RoleArn: ROLE,
      RoleSessionName: `coldkeep-${T0.getTime() / 1000}`,
      SerialNumber: MFA,
      TokenCode: '654321',
      ExternalId: 'coldkeep-ext',
    });
    assert.equal(stsMock.commandCalls(GetSessionTokenCommand).length, 0);
    const signer = await (calls[0]!.thisValue as STSClient).config.credentials();
    assert.equal(signer.accessKeyId, 'AKIALONGTERMALICE01');
    assert.equal(status.mode, 'assume-role');
    assert.equal(status.identity, 'arn:aws:sts::210987654321:assumed-role/BackupOperator/coldkeep-1803895200');
  });

  test('role_session_name and duration_seconds from the profile are passed through', async () => {
    stsMock.on(AssumeRoleCommand).resolves({ Credentials: stsCredentials(3, new Date(T0.getTime() + hours(1))) });
    await session({ profile: 'chained' }).start({ code: '111111' });
    assert.deepEqual(stsMock.commandCalls(AssumeRoleCommand)[0]!.args[0].input, {
      RoleArn: ROLE,
      RoleSessionName: 'alice-backups',
      SerialNumber: MFA,
      TokenCode: '111111',
      DurationSeconds: 3600,
    });
  });
});

describe('caching and reuse', () => {
  test('a second run reuses the session from the 0600 file store without a prompt or a call', async () => {
    stsMock.on(GetSessionTokenCommand).resolves({ Credentials: stsCredentials(1, new Date(T0.getTime() + hours(2))) });
    const storePath = join(coldkeepConfigDir(env, 'linux'), 'secrets.json');
    await session({ store: new FileSecretStore(storePath) }).start({ code: '123456' });
    assert.equal((await stat(storePath)).mode & 0o777, 0o600);
    assert.equal((await stat(coldkeepConfigDir(env, 'linux'))).mode & 0o777, 0o700);

    const never = scriptedPrompt([]);
    const clock = { now: new Date(T0.getTime() + hours(1)) };
    const second = session({ store: new FileSecretStore(storePath), prompt: never, clock });
    const creds = await second.credentials();
    assert.equal(creds.sessionToken, 'temp-token-1');
    assert.equal(stsMock.calls().length, 1, 'no second STS call');
    assert.equal(never.asked.length, 0);
    const status = await second.status();
    assert.equal(status?.remainingMs, hours(1));
    assert.deepEqual(await second.start(), status);
  });

  test('start reuses a valid session unless asked to renew, or given a code', async () => {
    stsMock.on(GetSessionTokenCommand).resolves({ Credentials: stsCredentials(1, new Date(T0.getTime() + hours(2))) });
    const s = session();
    await s.start({ code: '123456' });
    await s.start();
    assert.equal(stsMock.calls().length, 1);
    // A code is a wish for a new session: never silently ignored for the cached one.
    await s.start({ code: '222222' });
    assert.equal(stsMock.calls().length, 2);
    await s.start({ renew: true, code: '333333' });
    assert.equal(stsMock.calls().length, 3);
  });

  test('clear forgets the session; the next use asks again', async () => {
    stsMock.on(GetSessionTokenCommand).resolves({ Credentials: stsCredentials(1, new Date(T0.getTime() + hours(2))) });
    const store = new MemorySecretStore();
    await session({ store }).start({ code: '123456' });
    assert.equal(await session({ store }).clear(), true);
    assert.equal(await session({ store }).status(), undefined);
    await assert.rejects(session({ store }).credentials(), { code: 'SessionExpired' });
  });

  test('concurrent callers share one prompt and one STS call', async () => {
    stsMock.on(GetSessionTokenCommand).resolves({ Credentials: stsCredentials(1, new Date(T0.getTime() + hours(2))) });
    const prompt = scriptedPrompt(['123456']);
    const s = session({ prompt });
    const [a, b, c] = await Promise.all([s.credentials(), s.credentials(), s.credentials()]);
    assert.equal(a.sessionToken, 'temp-token-1');
    assert.equal(b.sessionToken, a.sessionToken);
    assert.equal(c.sessionToken, a.sessionToken);
    assert.equal(prompt.asked.length, 1);
    assert.equal(stsMock.calls().length, 1);
  });

  test("a valid AWS CLI cache entry for the same role is reused (botocore's cache key); an expired one is not", async () => {
    const cacheDir = join(dir, 'aws-cli-cache');
    await mkdir(cacheDir, { recursive: true });
    // What botocore hashes: json.dumps of the AssumeRole arguments, sorted, Python separators.
    const pythonJson = `{"ExternalId": "coldkeep-ext", "RoleArn": "${ROLE}", "SerialNumber": "${MFA}"}`;
    const key = createHash('sha1').update(pythonJson).digest('hex');
    assert.equal(awsCliCacheKey(await loadAwsProfile('ops', env)), key);
    const entry = (expires: Date) =>
      JSON.stringify({
        Credentials: {
          AccessKeyId: 'ASIAFROMAWSCLI',
          SecretAccessKey: 'cli-secret',
          SessionToken: 'cli-token',
          Expiration: expires.toISOString().replace('.000Z', '+00:00'),
        },
        AssumedRoleUser: { Arn: 'arn:aws:sts::210987654321:assumed-role/BackupOperator/botocore-session-1' },
      });
    await writeFile(join(cacheDir, `${key}.json`), entry(new Date(T0.getTime() + hours(1))));
    const s = session({ profile: 'ops', prompt: scriptedPrompt([]) });
    assert.equal((await s.credentials()).sessionToken, 'cli-token');
    assert.equal((await s.status())?.source, 'aws-cli-cache');
    assert.equal(stsMock.calls().length, 0);

    await writeFile(join(cacheDir, `${key}.json`), entry(new Date(T0.getTime() + 60_000)));
    stsMock.on(AssumeRoleCommand).resolves({ Credentials: stsCredentials(4, new Date(T0.getTime() + hours(1))) });
    const prompt = scriptedPrompt(['444444']);
    assert.equal((await session({ profile: 'ops', prompt }).credentials()).sessionToken, 'temp-token-4');
    assert.equal(prompt.asked.length, 1);
  });
});

describe('expiry and re-prompt', () => {
  test('credentials about to expire are renewed through the prompt (reason "expired")', async () => {
    stsMock
      .on(GetSessionTokenCommand)
      .resolvesOnce({ Credentials: stsCredentials(1, new Date(T0.getTime() + hours(1))) })
      .resolvesOnce({ Credentials: stsCredentials(2, new Date(T0.getTime() + hours(3))) });
    const clock = { now: T0 };
    const prompt = scriptedPrompt(['123456', '234567']);
    const s = session({ prompt, clock });
    assert.equal((await s.credentials()).sessionToken, 'temp-token-1');
    assert.equal(prompt.asked[0]!.reason, 'start');
    clock.now = new Date(T0.getTime() + hours(1) - 60_000); // one minute left: inside the 5-minute margin
    assert.equal((await s.credentials()).sessionToken, 'temp-token-2');
    assert.equal(prompt.asked[1]!.reason, 'expired');
    assert.equal(prompt.asked[1]!.mfaSerial, MFA);
    assert.deepEqual(
      stsMock.commandCalls(GetSessionTokenCommand).map((c) => c.args[0].input.TokenCode),
      ['123456', '234567'],
    );
  });

  test('without a prompt an expired session is SessionExpired, with the command to run', async () => {
    stsMock.on(GetSessionTokenCommand).resolves({ Credentials: stsCredentials(1, new Date(T0.getTime() + hours(1))) });
    const store = new MemorySecretStore();
    await session({ store }).start({ code: '123456' });
    const later = { now: new Date(T0.getTime() + hours(2)) };
    await assert.rejects(session({ store, clock: later }).credentials(), (err: ColdkeepError) => {
      assert.equal(err.code, 'SessionExpired');
      assert.match(err.message, /expired at 2027-03-01T11:00:00.000Z/);
      assert.match(err.hint ?? '', /coldkeep session start --profile default --code/);
      return true;
    });
    assert.equal((await session({ store, clock: later }).status())?.expired, true);
  });

  test('a long job asks for a new code first when the session would end before the job (reason "outlive")', async () => {
    stsMock
      .on(GetSessionTokenCommand)
      .resolvesOnce({ Credentials: stsCredentials(1, new Date(T0.getTime() + hours(1))) })
      .resolvesOnce({ Credentials: stsCredentials(2, new Date(T0.getTime() + hours(12))) });
    const prompt = scriptedPrompt(['123456', '234567']);
    const s = session({ prompt });
    await s.credentials();
    const short = await s.ensureValidFor(10 * 60_000);
    assert.deepEqual([short.renewed, short.outlives, prompt.asked.length], [false, true, 1]);
    const long = await s.ensureValidFor(hours(3));
    assert.equal(long.renewed, true);
    assert.equal(long.outlives, true);
    assert.equal(prompt.asked[1]!.reason, 'outlive');
    assert.equal(prompt.asked[1]!.neededMs, hours(3));
    assert.equal((await s.credentials()).sessionToken, 'temp-token-2');
  });

  test('a renewed session that still ends before the job is reported, not refused', async () => {
    stsMock.on(GetSessionTokenCommand).resolves({ Credentials: stsCredentials(1, new Date(T0.getTime() + hours(1))) });
    const check = await session({ prompt: scriptedPrompt(['123456']) }).ensureValidFor(hours(5));
    assert.deepEqual([check.renewed, check.outlives], [true, false]);
  });
});

describe('errors', () => {
  const rejected = () =>
    Object.assign(new Error('MultiFactorAuthentication failed with invalid MFA one time pass code. '), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });

  test('a rejected code given with --code is MfaCodeRejected, and nothing is stored', async () => {
    stsMock.on(GetSessionTokenCommand).rejects(rejected());
    const store = new MemorySecretStore();
    await assert.rejects(session({ store }).start({ code: '123456' }), (err: ColdkeepError) => {
      assert.equal(err.code, 'MfaCodeRejected');
      assert.match(err.hint ?? '', /works once/);
      return true;
    });
    assert.equal(stsMock.calls().length, 1);
    assert.equal(await session({ store }).status(), undefined);
  });

  test('a rejected prompted code is asked again (reason "rejected"), up to three times', async () => {
    stsMock
      .on(GetSessionTokenCommand)
      .rejectsOnce(rejected())
      .resolvesOnce({ Credentials: stsCredentials(1, new Date(T0.getTime() + hours(1))) });
    const prompt = scriptedPrompt(['123456', '234567']);
    await session({ prompt }).start();
    assert.deepEqual(
      prompt.asked.map((a) => [a.reason, a.attempt]),
      [
        ['start', 1],
        ['rejected', 2],
      ],
    );
    stsMock.reset();
    stsMock.on(GetSessionTokenCommand).rejects(rejected());
    await assert.rejects(session({ prompt: scriptedPrompt(['111111', '222222', '333333']) }).start(), {
      code: 'MfaCodeRejected',
    });
    assert.equal(stsMock.calls().length, 3);
  });

  test('a prompt the user dismisses cancels instead of failing', async () => {
    await assert.rejects(session({ prompt: scriptedPrompt([undefined]) }).start(), { code: 'Cancelled' });
    assert.equal(stsMock.calls().length, 0);
  });

  test('clock skew: a signature STS calls expired, or credentials that look expired on arrival', async () => {
    stsMock.on(GetSessionTokenCommand).rejectsOnce(
      Object.assign(new Error('Signature expired: 20270301T100000Z is now earlier than 20270301T101500Z'), {
        name: 'SignatureDoesNotMatch',
      }),
    );
    await assert.rejects(session().start({ code: '123456' }), { code: 'ClockSkew' });
    stsMock.on(GetSessionTokenCommand).resolves({ Credentials: stsCredentials(1, new Date(T0.getTime() - 60_000)) });
    await assert.rejects(session().start({ code: '123456' }), { code: 'ClockSkew' });
  });

  test('the stored file holds the secrets, and nothing else the session reports does', async () => {
    stsMock.on(GetSessionTokenCommand).resolves({ Credentials: stsCredentials(1, new Date(T0.getTime() + hours(2))) });
    const storePath = join(dir, 'store', 'secrets.json');
    const status = await session({ store: new FileSecretStore(storePath) }).start({ code: '123456' });
    assert.match(await readFile(storePath, 'utf8'), /temp-token-1/);
    const shown = JSON.stringify(status);
    for (const secret of ['ASIATEMP1', 'temp-secret-1', 'temp-token-1', 'long-term-secret-of-alice']) {
      assert.equal(shown.includes(secret), false, secret);
    }
  });
});
