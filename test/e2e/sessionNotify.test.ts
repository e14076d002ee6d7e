// The real CLI on an MFA session (a fake STS over HTTP) against the embedded emulators:
// session start/status/clear, backup, export and restore with email notifications, and
// proof that no credential, session token, pre-signed URL or signature reaches the CLI's
// output (stdout and stderr, text and --json, success and failure, debug on).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AwsClients, type RunningEmulators, startEmulators } from '@coldkeep/shared';
import { startFakeSts, type FakeSts } from '../helpers/fakeSts';
import { createBucket, createTable, putItems, uniqueName } from '../helpers/fixture';
import { type CliRun, runCli } from '../helpers/cli';

const MFA = 'arn:aws:iam::123456789012:mfa/alice';

describe('the CLI on an MFA session, with notifications', () => {
  const marker = randomBytes(6).toString('hex');
  const secrets = {
    longTermSecret: `LongTermSecret${marker}`,
    sessionSecret: `SessionSecret${marker}`,
    sessionToken: `SessionToken${marker}`,
  };
  const runs: CliRun[] = [];
  let emulators: RunningEmulators;
  let sts: FakeSts;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let bucket: string;
  let table: string;

  async function coldkeep(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
    const run = await runCli(args, { env: { ...env, ...extraEnv }, timeoutMs: 60_000 });
    runs.push(run);
    return run;
  }

  before(async () => {
    emulators = await startEmulators();
    // s3rver knows one access key id and does not check SigV4 signatures, so the session's
    // key id is S3RVER while its secret and token are unique strings to look for.
    sts = await startFakeSts({
      credentials: {
        accessKeyId: 'S3RVER',
        secretAccessKey: secrets.sessionSecret,
        sessionToken: secrets.sessionToken,
      },
      rejectCode: '000000',
    });
    dir = await mkdtemp(join(tmpdir(), 'coldkeep-e2e-session-'));
    await writeFile(join(dir, 'config'), `[profile mfa]\nregion = us-east-1\nmfa_serial = ${MFA}\n`);
    await writeFile(
      join(dir, 'credentials'),
      `[mfa]\naws_access_key_id = AKIALONGTERM${marker.toUpperCase()}\naws_secret_access_key = ${secrets.longTermSecret}\n`,
    );
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(AWS_|COLDKEEP_)/.test(k)),
    ) as NodeJS.ProcessEnv;
    env = {
      ...clean,
      HOME: join(dir, 'home'),
      XDG_CONFIG_HOME: join(dir, 'xdg'),
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      AWS_PROFILE: 'mfa',
      COLDKEEP_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
      COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
      COLDKEEP_ENDPOINT_URL_SES: emulators.endpoints.ses,
      COLDKEEP_ENDPOINT_URL_STS: sts.endpoint,
      COLDKEEP_NOTIFY_FROM: 'coldkeep@example.com',
    };
    const clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('session'));
    table = uniqueName('students');
    await createTable(clients.dynamodb, { TableName: table });
    await putItems(
      clients.dynamodb,
      table,
      Array.from({ length: 300 }, (_, i) => ({ pk: { S: `s${i}` }, name: { S: `Student ${i}` } })),
    );
    clients.destroy();
  });
  after(async () => {
    await emulators?.stop();
    await sts?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('session start checks the code, starts with GetSessionToken, caches in a 0600 file, and status shows who and until when', async () => {
    const none = await coldkeep(['session', 'status']);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /No MFA session for profile mfa/);

    const short = await coldkeep(['session', 'start', '--code', '12345']);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /\[InvalidInput\]: An MFA code is 6 digits/);
    assert.equal(sts.requests.length, 0, 'a malformed code never reaches STS');

    const rejected = await coldkeep(['session', 'start', '--code', '000000']);
    assert.equal(rejected.code, 1);
    assert.match(rejected.stderr, /\[MfaCodeRejected\]/);
    assert.match(rejected.stderr, /Hint: .*works once/);

    const started = await coldkeep(['session', 'start', '--code', '123456']);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /MFA session for profile mfa: IAM user alice in account 123456789012/);
    const last = sts.requests.at(-1)!;
    assert.equal(last.action, 'GetSessionToken');
    assert.equal(last.params.SerialNumber, MFA);
    assert.equal(last.params.TokenCode, '123456');
    assert.equal(last.signedBy, `AKIALONGTERM${marker.toUpperCase()}`, 'signed with the long-term keys');

    const store = join(dir, 'xdg', 'coldkeep', 'secrets.json');
    assert.equal((await stat(store)).mode & 0o777, 0o600);
    const stored = await readFile(store, 'utf8');
    assert.ok(
      stored.includes(secrets.sessionToken) && stored.includes(secrets.sessionSecret),
      'the store holds the session',
    );

    const status = await coldkeep(['session', 'status', '--json']);
    const parsed = JSON.parse(status.stdout) as { active: boolean; session: { identity: string; expiresAt: string } };
    assert.equal(parsed.active, true);
    assert.match(parsed.session.identity, /alice/);

    const reused = await coldkeep(['session', 'start', '--json']);
    assert.equal(reused.code, 0, reused.stderr);
    assert.equal(sts.requests.length, 2, 'a valid session is reused, not renewed');

    // A code given is a wish for a new session: it is used, not ignored for the cached one.
    const withCode = await coldkeep(['session', 'start', '--code', '654321']);
    assert.equal(withCode.code, 0, withCode.stderr);
    assert.equal(sts.requests.length, 3, 'a code given starts a new session');
    assert.equal(sts.requests.at(-1)!.params.TokenCode, '654321');
  });

  test('backup, export and restore run on the session and email their results; a failure is emailed too', async () => {
    const backup = await coldkeep([
      'backup',
      'table',
      table,
      '--bucket',
      bucket,
      '--segments',
      '2',
      '--notify',
      'ops@example.com',
      '--json',
    ]);
    assert.equal(backup.code, 0, backup.stderr);
    const result = JSON.parse(backup.stdout) as {
      backup: { uri: string; itemCount: number };
      notification: { sent: boolean; link: { expiresAt: string; limitedBy?: string } };
    };
    assert.equal(result.backup.itemCount, 300);
    assert.equal(result.notification.sent, true);
    assert.equal(result.notification.link.limitedBy, 'credentials', 'the link ends with the one-hour session');

    const text = await coldkeep(
      ['backup', 'table', table, '--bucket', bucket, '--notify', 'ops@example.com', '--link-expires', '30m'],
      { COLDKEEP_DEBUG: '1' },
    );
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Emailed ops@example\.com: "Coldkeep: Backup of table .* succeeded/);
    assert.match(text.stdout, /download link works until .* \(30m 0s\)\./);

    const exported = await coldkeep([
      'export',
      'table',
      table,
      '--format',
      'json',
      '--to',
      `s3://${bucket}/exports/${table}.json`,
      '--notify',
      'ops@example.com',
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /Exported .*: 300 items/);

    const restored = await coldkeep([
      'restore',
      result.backup.uri,
      '--target',
      `${table}-restored`,
      '--notify',
      'ops@example.com',
      '--json',
    ]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal((JSON.parse(restored.stdout) as { notification: { sent: boolean } }).notification.sent, true);

    const failed = await coldkeep(['restore', `s3://${bucket}/nothing-here/`, '--notify', 'ops@example.com'], {
      COLDKEEP_DEBUG: '1',
    });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /Emailed ops@example\.com: "Coldkeep: Restore of .* FAILED/);

    const mails = (
      (await (await fetch(`${emulators.endpoints.ses}/store`)).json()) as {
        emails: { subject: string; body: { text?: string } }[];
      }
    ).emails;
    assert.equal(mails.length, 5);
    assert.equal(
      mails.filter((m) => /X-Amz-Signature=/.test(m.body.text ?? '')).length,
      3,
      'backups and the S3 export carry links',
    );
    assert.equal(sts.requests.length, 3, 'the jobs used the cached session (the third call: start with a new code)');
  });

  test('without a session and without a terminal, a job fails with SessionExpired and the command to run', async () => {
    const cleared = await coldkeep(['session', 'clear']);
    assert.match(cleared.stdout, /Forgot the MFA session of profile mfa/);
    const run = await coldkeep(['backup', 'table', table, '--bucket', bucket]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /\[SessionExpired\]: There is no MFA session for profile "mfa"/);
    assert.match(run.stderr, /coldkeep session start --profile mfa --code CODE/);
  });

  test('schedule run refuses a table run its MFA session would not outlive, with SessionTooShort and the command to run, before any backup', async () => {
    // STS hands out 5.5-minute sessions: usable for 30 s before the 5-minute refresh margin, less than a minute's backup.
    const shortSts = await startFakeSts({
      credentials: {
        accessKeyId: 'S3RVER',
        secretAccessKey: secrets.sessionSecret,
        sessionToken: secrets.sessionToken,
      },
      lifetimeSeconds: 330,
    });
    const scheduleDir = await mkdtemp(join(tmpdir(), 'coldkeep-e2e-session-schedule-'));
    const scheduleEnv = { COLDKEEP_ENDPOINT_URL_STS: shortSts.endpoint, COLDKEEP_SCHEDULE_DIR: scheduleDir };
    try {
      const started = await coldkeep(['session', 'start', '--code', '123456'], scheduleEnv);
      assert.equal(started.code, 0, started.stderr);
      const added = await coldkeep(['--json', 'schedule', 'add', '--table', table], scheduleEnv);
      assert.equal(added.code, 0, added.stderr);
      const source = JSON.parse(added.stdout) as { id: string };

      const run = await coldkeep(['--json', 'schedule', 'run', '--source', source.id, '--bucket', bucket], scheduleEnv);
      assert.equal(run.code, 1, run.stdout);
      const { error } = JSON.parse(run.stdout) as {
        error: { code: string; hint: string; details: { runs: { attempts: number; error: { code: string } }[] } };
      };
      assert.equal(error.code, 'SessionTooShort');
      assert.match(error.hint, /coldkeep session start --renew/);
      assert.equal(error.details.runs[0]!.attempts, 1, 'another try would find the same session: not retried');

      const text = await coldkeep(['schedule', 'run', '--source', source.id, '--bucket', bucket], scheduleEnv);
      assert.equal(text.code, 1);
      assert.match(
        text.stdout,
        /FAILED .*SessionTooShort: The MFA session of "mfa" ends at .*, before this job is expected to finish/,
      );
      assert.match(text.stderr, /Hint: .*coldkeep session start --renew/);
      const history = await coldkeep(['--json', 'schedule', 'history', '--source', source.id], scheduleEnv);
      const runs = JSON.parse(history.stdout) as { status: string; error?: { code: string }; result?: unknown }[];
      assert.deepEqual(
        runs.map((r) => [r.status, r.error?.code, r.result]),
        [
          ['failed', 'SessionTooShort', undefined],
          ['failed', 'SessionTooShort', undefined],
        ],
      );
      assert.equal(shortSts.requests.length, 1, 'only the session start: the refused runs asked STS for nothing');
    } finally {
      await shortSts.close();
      await rm(scheduleDir, { recursive: true, force: true });
    }
  });

  test('no credential, session token, pre-signed URL or signature appears in any output', async () => {
    const mails = (
      (await (await fetch(`${emulators.endpoints.ses}/store`)).json()) as {
        emails: { body: { text?: string; html?: string } }[];
      }
    ).emails;
    const links = mails.flatMap((m) => (m.body.text ?? '').match(/http\S+X-Amz-Signature=\S+/g) ?? []);
    assert.ok(links.length >= 3, 'the emails carried signed links to look for');
    const forbidden = [
      ...Object.values(secrets),
      ...links,
      ...links.map((l) => new URL(l).searchParams.get('X-Amz-Signature')!),
      ...links.map((l) => new URL(l).searchParams.get('X-Amz-Security-Token')!),
    ];
    assert.ok(
      links.every((l) => l.includes(`X-Amz-Security-Token=${secrets.sessionToken}`)),
      'links are signed by the session',
    );
    assert.ok(runs.length >= 12, `expected the earlier tests' runs, got ${runs.length}`);
    for (const run of runs) {
      for (const [stream, output] of [
        ['stdout', run.stdout],
        ['stderr', run.stderr],
      ] as const) {
        for (const secret of forbidden) {
          assert.equal(
            output.includes(secret),
            false,
            `coldkeep ${run.args.join(' ')} printed ${secret.slice(0, 12)}… on ${stream}`,
          );
        }
        assert.doesNotMatch(
          output,
          /X-Amz-(Signature|Security-Token|Credential)=/,
          `coldkeep ${run.args.join(' ')} (${stream})`,
        );
      }
    }
  });
});
