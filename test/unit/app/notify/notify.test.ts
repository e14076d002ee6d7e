// Notification pieces that need no server: settings from flags and env, SES error hints,
// HTML escaping, and the 7-day limit of a pre-signed link.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { folderBackupReport } from '../../../helpers/folderBackupReport';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import {
  composeEmail,
  jobOutcome,
  notifySettingsFrom,
  presignDownload,
  SESSION_LINK_SECONDS,
  sesFailure,
  snapshotSummary,
} from '@coldkeep/shared';

const ctx = { from: 'backup@example.com', to: ['ops@example.com', 'dba@example.com'], region: 'eu-west-1' };
const rejected = (message: string) => Object.assign(new Error(message), { name: 'MessageRejected' });

describe('SES errors get hints', () => {
  test('an unverified sender', () => {
    const e = sesFailure(
      rejected(
        'Email address is not verified. The following identities failed the check in region EU-WEST-1: backup@example.com',
      ),
      ctx,
    );
    assert.equal(e.code, 'NotifyFailed');
    assert.equal(e.sesError, 'MessageRejected');
    assert.match(e.message, /refused the sender backup@example\.com/);
    assert.match(e.hint, /aws sesv2 create-email-identity --email-identity backup@example\.com --region eu-west-1/);
  });

  test('a recipient refused by the sandbox', () => {
    const e = sesFailure(
      rejected(
        'Email address is not verified. The following identities failed the check in region EU-WEST-1: dba@example.com',
      ),
      ctx,
    );
    assert.match(e.message, /recipient\(s\) dba@example\.com: the account is in the SES sandbox/);
    assert.match(e.hint, /request production access/);
  });

  test('a region without SES (no endpoint), a timeout, missing permission', () => {
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND email.ap-southeast-5.amazonaws.com'), {
      code: 'ENOTFOUND',
    });
    const e = sesFailure(dns, { ...ctx, region: 'ap-southeast-5' });
    assert.match(e.message, /SES endpoint for ap-southeast-5 could not be reached/);
    assert.match(e.hint, /\{setting:sesRegion\}/);
    assert.match(sesFailure(Object.assign(new Error('timed out'), { name: 'TimeoutError' }), ctx).hint, /network/);
    assert.match(
      sesFailure(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }), ctx).hint,
      /ses:SendEmail on the identity arn:aws:ses:eu-west-1:ACCOUNT:identity\/example\.com/,
    );
  });
});

describe('notification settings', () => {
  test('from flags, or COLDKEEP_NOTIFY_TO / COLDKEEP_NOTIFY_FROM / COLDKEEP_SES_REGION', () => {
    assert.equal(notifySettingsFrom({}, {}), undefined);
    assert.deepEqual(notifySettingsFrom({ notify: ['a@x.io, b@x.io'], from: 'c@x.io', linkSeconds: 3600 }, {}), {
      to: ['a@x.io', 'b@x.io'],
      from: 'c@x.io',
      linkSeconds: 3600,
    });
    assert.deepEqual(
      notifySettingsFrom(
        {},
        { COLDKEEP_NOTIFY_TO: 'a@x.io', COLDKEEP_NOTIFY_FROM: 'c@x.io', COLDKEEP_SES_REGION: 'us-east-1' },
      ),
      { to: ['a@x.io'], from: 'c@x.io', sesRegion: 'us-east-1' },
    );
  });

  test('refuses a missing sender, a malformed address and a link past 7 days, before any job runs', () => {
    assert.throws(() => notifySettingsFrom({ notify: 'a@x.io' }, {}), { code: 'InvalidInput', message: /sender/ });
    assert.throws(() => notifySettingsFrom({ notify: 'not-an-address', from: 'c@x.io' }, {}), { code: 'InvalidInput' });
    assert.throws(() => notifySettingsFrom({ notify: 'a@x.io', from: 'c@x.io', linkSeconds: 8 * 86400 }, {}), {
      code: 'InvalidInput',
      message: /at most 7 days/,
    });
  });
});

describe('the email', () => {
  test('escapes what it shows in HTML, and states the failure with its hint in both bodies', () => {
    const message = composeEmail({
      what: 'Backup of table <script>',
      ok: false,
      headline: '[AccessDenied]',
      facts: [['Table', 'a & b']],
      error: { code: 'AccessDenied', message: 'no "s3:PutObject"', hint: 'grant it' },
    });
    assert.equal(message.subject, 'Coldkeep: Backup of table <script> FAILED ([AccessDenied])');
    assert.ok(message.html.includes('Backup of table &lt;script&gt; FAILED'));
    assert.ok(message.html.includes('a &amp; b'));
    assert.ok(!message.html.includes('<script>'));
    assert.match(message.text, /Error\s+\[AccessDenied\] no "s3:PutObject"/);
    assert.match(message.text, /What to do\s+grant it/);
    assert.ok(message.html.includes('grant it'));
  });

  test('a partial snapshot is INCOMPLETE in the subject, lists each path left out with what to do, never green', () => {
    const report = folderBackupReport({
      snapshotId: 'snap-2',
      snapshotKey: 'k',
      status: 'partial',
      skipped: [
        {
          path: 'a.key',
          kind: 'unreadable',
          entry: 'file',
          reason: 'cannot read the file',
          whatToDo: 'Let me read it.',
        },
        {
          path: 'b.key',
          kind: 'unreadable',
          entry: 'file',
          reason: 'cannot read the file',
          whatToDo: 'Let me read it.',
        },
        { path: 'gone.tmp', kind: 'vanished', entry: 'file', reason: 'deleted while the backup ran' },
        { path: 'sock', kind: 'special', entry: 'file', reason: 'socket, not backed up' },
      ],
      changedWhileReading: ['busy.log'],
    });
    const outcome = jobOutcome(report);
    assert.equal(outcome.status, 'partial');
    assert.equal(outcome.headline, '2 files not backed up');
    assert.deepEqual(
      outcome.notes.map((n) => n.kind),
      ['vanished', 'special'],
      'vanished and special files are notes: they do not make it partial',
    );
    assert.equal(outcome.warnings.length, 1);
    assert.equal(jobOutcome({ ...report, skipped: report.skipped.slice(2) }).status, 'succeeded');
    assert.equal(
      jobOutcome({ skipped: [{ path: 'x', reason: 'cannot list the folder (EACCES)' }] }).status,
      'partial',
      'an older report without kinds: a skip is missing',
    );

    const message = composeEmail(snapshotSummary(report));
    assert.equal(
      message.subject,
      'Coldkeep: Snapshot of folder /home/me/Documents INCOMPLETE: 2 files not backed up (3 files, 300 B new)',
    );
    assert.doesNotMatch(message.subject, /succeeded/);
    assert.match(message.text, /Not backed up\s+a\.key: cannot read the file\. What to do: Let me read it\./);
    assert.match(message.text, /Note\s+gone\.tmp: deleted while the backup ran/);
    assert.match(message.text, /Warning\s+busy\.log changed while it was read/);
    assert.ok(!message.html.includes('#1a7f37'), 'not green');
  });

  test('a link cannot be asked to live past 7 days', async () => {
    const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'A', secretAccessKey: 'B' } });
    await assert.rejects(presignDownload(s3, { bucket: 'b', key: 'k' }, 7 * 86400 + 1), { code: 'InvalidInput' });
    const link = await presignDownload(s3, { bucket: 'b', key: 'k' }, 7 * 86400);
    assert.match(link.url, /X-Amz-Expires=604800/);
    assert.equal(link.limitedBy, undefined);
    s3.destroy();
  });

  describe("a link's life is bounded by what the signing credentials allow", () => {
    const keys = { accessKeyId: 'A', secretAccessKey: 'B' };
    const now = new Date('2026-03-01T10:00:00.000Z');
    async function linkWith(credentials: S3ClientConfig['credentials'], seconds?: number) {
      const s3 = new S3Client({ region: 'us-east-1', ...(credentials ? { credentials } : {}) });
      try {
        return await presignDownload(s3, { bucket: 'b', key: 'k' }, seconds, now);
      } finally {
        s3.destroy();
      }
    }

    test('long-term keys (no session token, no expiry): the life asked for', async () => {
      const link = await linkWith(keys);
      assert.equal(link.expiresInSeconds, 7 * 86400);
      assert.equal(link.limitedBy, undefined);
    });

    test('a session token with no known expiry: at most one hour, and marked as bounded by the session', async () => {
      const link = await linkWith({ ...keys, sessionToken: 'tok' });
      assert.equal(SESSION_LINK_SECONDS, 3600);
      assert.equal(link.expiresInSeconds, 3600);
      assert.equal(link.limitedBy, 'session');
      assert.equal(link.expiresAt, '2026-03-01T11:00:00.000Z');
      assert.match(link.url, /X-Amz-Expires=3600&/);
      // Asked for less than the cap: as asked, nothing to say.
      const short = await linkWith({ ...keys, sessionToken: 'tok' }, 600);
      assert.equal(short.expiresInSeconds, 600);
      assert.equal(short.limitedBy, undefined);
    });

    test("a known expiry wins over the session cap: the credentials' own end, or the life asked for", async () => {
      const twoHours = await linkWith({ ...keys, sessionToken: 'tok', expiration: new Date(now.getTime() + 7200_000) });
      assert.equal(twoHours.expiresInSeconds, 7200);
      assert.equal(twoHours.limitedBy, 'credentials');
      const tenDays = await linkWith({
        ...keys,
        sessionToken: 'tok',
        expiration: new Date(now.getTime() + 10 * 86400_000),
      });
      assert.equal(tenDays.expiresInSeconds, 7 * 86400);
      assert.equal(tenDays.limitedBy, undefined);
    });

    test("credentials from the environment, through the SDK's own provider chain (as in Lambda)", async () => {
      const saved = { ...process.env };
      for (const name of ['AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']) delete process.env[name];
      Object.assign(process.env, {
        AWS_ACCESS_KEY_ID: 'AKIDENV',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: 'envtok',
      });
      delete process.env.AWS_CREDENTIAL_EXPIRATION;
      try {
        const unknown = await linkWith(undefined);
        assert.equal(unknown.limitedBy, 'session');
        assert.equal(unknown.expiresInSeconds, 3600);
        assert.match(unknown.url, /X-Amz-Security-Token=envtok/);
        // The env provider reads AWS_CREDENTIAL_EXPIRATION when it is set: that expiry is used.
        process.env.AWS_CREDENTIAL_EXPIRATION = new Date(now.getTime() + 1800_000).toISOString();
        const known = await linkWith(undefined);
        assert.equal(known.limitedBy, 'credentials');
        assert.equal(known.expiresInSeconds, 1800);
      } finally {
        for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
        Object.assign(process.env, saved);
      }
    });

    test('the email says plainly that a session-bounded link may die sooner', () => {
      const link = {
        url: 'https://b.s3.amazonaws.com/k?X-Amz-Signature=abc',
        bucket: 'b',
        key: 'k',
        requestedSeconds: 7 * 86400,
        expiresInSeconds: 3600,
        expiresAt: '2026-03-01T11:00:00.000Z',
        limitedBy: 'session' as const,
      };
      const message = composeEmail(
        { what: 'Backup of table t', ok: true, facts: [], headline: '' },
        { link, artefact: { bucket: 'b', key: 'k', description: 'the data' } },
      );
      assert.match(
        message.text,
        /The link works while the session that signed it lasts, at most until 2026-03-01T11:00:00\.000Z \(1 h 0 min\); it may stop sooner\./,
      );
      assert.match(message.text, /less than the 7 days 0 h asked for/);
      assert.ok(!message.text.includes('works until 2026'), 'no unconditional promise');
    });
  });
});
