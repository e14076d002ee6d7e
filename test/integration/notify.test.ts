// Notifications over HTTP against the embedded emulators: SES (aws-ses-v2-local) receives
// the email, its store gives it back; the pre-signed link in it is fetched from s3rver and
// must give the backup's bytes. These read the SES emulator's own store, so they run on
// the embedded emulators whatever COLDKEEP_TEST_TARGET says.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  AwsClients,
  backupArtefact,
  backupSummary,
  backupTable,
  ColdkeepError,
  EMULATOR_CREDENTIALS,
  exportSummary,
  exportTable,
  failureSummary,
  notifyJob,
  parseManifest,
  restoreSummary,
  restoreTable,
  type RunningEmulators,
  startEmulators,
} from '@coldkeep/shared';
import { createBucket, createTable, putItems, uniqueName } from '../helpers/fixture';

interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

const TO = 'ops@example.com';
const FROM = 'coldkeep@example.com';

describe('notifications through SES with a pre-signed download link', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let bucket: string;
  let table: string;

  async function mails(): Promise<StoredEmail[]> {
    const response = await fetch(`${emulators.endpoints.ses}/store`);
    return ((await response.json()) as { emails: StoredEmail[] }).emails;
  }
  function linkIn(text: string): string {
    const url = /^(http\S+X-Amz-Signature=\S+)$/m.exec(text)?.[1];
    assert.ok(url, `no pre-signed link in:\n${text}`);
    return url;
  }
  async function objectBytes(key: string): Promise<Buffer> {
    const answer = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await answer.Body!.transformToByteArray());
  }

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('notify'));
    table = uniqueName('students');
    await createTable(clients.dynamodb, { TableName: table });
    await putItems(
      clients.dynamodb,
      table,
      Array.from({ length: 400 }, (_, i) => ({ pk: { S: `s${i}` }, name: { S: `Student ${i}` } })),
    );
  });
  after(async () => {
    clients?.destroy();
    await emulators?.stop();
  });
  beforeEach(async () => {
    await fetch(`${emulators.endpoints.ses}/clear-store`, { method: 'POST' });
  });

  test('a backup of several files: subject, both bodies, and a link to a bundle whose bytes are the data files in order', async () => {
    const report = await backupTable(clients, { table, bucket, segments: 3 });
    assert.equal(report.files, 3);
    const notification = await notifyJob(
      clients,
      { to: [TO], from: FROM, linkSeconds: 3 * 24 * 3600 },
      backupSummary(report),
      () => backupArtefact(clients.s3, report),
    );
    assert.equal(notification.sent, true, JSON.stringify(notification.error));
    assert.equal(JSON.stringify(notification).includes('X-Amz-Signature'), false, 'the report holds no link');

    const [mail, ...more] = await mails();
    assert.equal(more.length, 0);
    assert.equal(mail!.from, FROM);
    assert.deepEqual(mail!.destination.to, [TO]);
    assert.equal(mail!.messageId, notification.messageId);
    assert.equal(
      mail!.subject,
      `Coldkeep: Backup of table ${table} succeeded (400 items, ${notification.subject.split(', ')[1]}`,
    );
    assert.match(mail!.subject, /\(400 items, [\d.]+ KB\)$/);
    const text = mail!.body.text!;
    const html = mail!.body.html!;
    for (const fact of ['Items', '400', report.backupId, report.uri, 'Duration', 'gzip in 3 file(s)']) {
      assert.ok(text.includes(fact), `text body lacks ${fact}`);
      assert.ok(html.includes(fact), `HTML body lacks ${fact}`);
    }
    const url = linkIn(text);
    assert.ok(html.includes(`<a href="${url.replace(/&/g, '&amp;')}">`), 'the HTML body links the same URL');
    assert.match(url, /X-Amz-Expires=259200&/);
    assert.ok(text.includes(`The link works until ${notification.link!.expiresAt} (3 days 0 h).`));
    assert.equal(notification.link!.key, `${report.uri.slice(`s3://${bucket}/`.length)}download/${table}.json.gz`);

    const downloaded = Buffer.from(await (await fetch(url)).arrayBuffer());
    const manifest = parseManifest((await objectBytes(report.manifestKey)).toString(), 'manifest');
    const dir = report.manifestKey.replace(/manifest\.json$/, '');
    const parts = await Promise.all(manifest.files.map((f) => objectBytes(dir + f.key)));
    assert.deepEqual(downloaded, Buffer.concat(parts), 'the link gives the data files, one after another');
    assert.deepEqual(downloaded, await objectBytes(notification.link!.key));
    const lines = gunzipSync(downloaded).toString().trim().split('\n');
    assert.equal(lines.length, 400, 'the bundle unpacks to every item');
  });

  test('a one-file backup links its data file directly, as a named download', async () => {
    const report = await backupTable(clients, { table, bucket, segments: 1 });
    const notification = await notifyJob(clients, { to: [TO], from: FROM }, backupSummary(report), () =>
      backupArtefact(clients.s3, report),
    );
    assert.equal(notification.sent, true);
    assert.match(notification.link!.key, /data\/0000-0001\.json\.gz$/);
    assert.equal(notification.link!.expiresInSeconds, 7 * 24 * 3600);
    const url = linkIn((await mails())[0]!.body.text!);
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), await objectBytes(notification.link!.key));
    assert.equal(
      response.headers.get('content-disposition'),
      `attachment; filename="${table}-${report.backupId}.json.gz"`,
    );
  });

  test("the link's life is capped at the signing credentials' expiry, and the email says so", async () => {
    const expiration = new Date(Date.now() + 2 * 3600_000);
    const session = new AwsClients({
      ...emulators.settings,
      credentials: async () => ({ ...EMULATOR_CREDENTIALS, sessionToken: 'session-token-marker', expiration }),
    });
    try {
      const exported = await exportTable(session, { table, format: 'csv', to: `s3://${bucket}/exports/${table}.csv` });
      const notification = await notifyJob(session, { to: [TO], from: FROM }, exportSummary(exported), {
        bucket,
        key: `exports/${table}.csv`,
        description: 'the CSV export',
      });
      assert.equal(notification.link!.limitedBy, 'credentials');
      assert.ok(Math.abs(notification.link!.expiresInSeconds - 7200) <= 2, String(notification.link!.expiresInSeconds));
      assert.ok(Math.abs(new Date(notification.link!.expiresAt).getTime() - expiration.getTime()) <= 2000);
      const text = (await mails())[0]!.body.text!;
      assert.ok(text.includes(`The link works until ${notification.link!.expiresAt}`));
      assert.match(text, /sooner than the 7 days 0 h asked for: it was signed with temporary credentials/);
      const url = linkIn(text);
      assert.match(url, /X-Amz-Security-Token=session-token-marker/);
      const csv = await (await fetch(url)).text();
      assert.equal(csv.split('\r\n')[0], 'pk,name');
      assert.equal(csv.trim().split('\r\n').length, 401);
    } finally {
      session.destroy();
    }
  });

  test('a session token with no known expiry (as in Lambda): the link lives at most an hour, and the email says it may die sooner', async () => {
    const session = new AwsClients({
      ...emulators.settings,
      credentials: async () => ({ ...EMULATOR_CREDENTIALS, sessionToken: 'lambda-session-marker' }),
    });
    try {
      const exported = await exportTable(session, {
        table,
        format: 'csv',
        to: `s3://${bucket}/exports/${table}-s.csv`,
      });
      const notification = await notifyJob(session, { to: [TO], from: FROM }, exportSummary(exported), {
        bucket,
        key: `exports/${table}-s.csv`,
        description: 'the CSV export',
      });
      assert.equal(notification.link!.limitedBy, 'session');
      assert.equal(notification.link!.expiresInSeconds, 3600);
      const text = (await mails())[0]!.body.text!;
      assert.ok(
        text.includes(
          `The link works while the session that signed it lasts, at most until ${notification.link!.expiresAt} (1 h 0 min); it may stop sooner.`,
        ),
        text,
      );
      assert.ok(!text.includes('7 days 0 h).'), 'never the 7 days asked for');
      const url = linkIn(text);
      assert.match(url, /X-Amz-Expires=3600&/);
      assert.match(url, /X-Amz-Security-Token=lambda-session-marker/);
      const csv = await (await fetch(url)).text();
      assert.equal(csv.split('\r\n')[0], 'pk,name');
    } finally {
      session.destroy();
    }
  });

  test('a failed job and a restore are reported too: result, error code, hint, counts', async () => {
    const failed = await notifyJob(
      clients,
      { to: [TO], from: FROM },
      failureSummary(
        `Backup of table ${table}`,
        new ColdkeepError('NoSuchBucket', 'Bucket "gone" does not exist.', { hint: 'Create it first.' }),
        1234,
      ),
    );
    assert.equal(failed.sent, true);
    const backup = await backupTable(clients, { table, bucket, segments: 2 });
    const restore = await restoreTable(clients, { source: { uri: backup.uri }, target: `${table}-restored` });
    assert.equal(
      (await notifyJob(clients, { to: [TO, 'dba@example.com'], from: FROM }, restoreSummary(restore))).sent,
      true,
    );
    const [failure, restored] = await mails();
    assert.equal(failure!.subject, `Coldkeep: Backup of table ${table} FAILED ([NoSuchBucket])`);
    for (const body of [failure!.body.text!, failure!.body.html!]) {
      assert.ok(body.includes('[NoSuchBucket] Bucket'), body);
      assert.ok(body.includes('Create it first.'));
      assert.ok(body.includes('1.2 s'));
    }
    assert.equal(restored!.subject, `Coldkeep: Restore into table ${table}-restored succeeded (400 items written)`);
    assert.deepEqual(restored!.destination.to, [TO, 'dba@example.com']);
    assert.match(restored!.body.text!, /Counted afterwards\s+400/);
  });

  test('an email that cannot be sent is reported with a hint, never thrown', async () => {
    const unreachable = new AwsClients({
      ...emulators.settings,
      endpoints: { ...emulators.settings.endpoints, ses: 'http://127.0.0.1:9' },
    });
    try {
      const started = Date.now();
      const notification = await notifyJob(
        unreachable,
        { to: [TO], from: FROM },
        failureSummary('x', new Error('y'), 1),
      );
      assert.equal(notification.sent, false);
      assert.equal(notification.error?.code, 'NotifyFailed');
      assert.match(notification.error!.hint, /COLDKEEP_ENDPOINT_URL_SES|emulator/);
      assert.ok(Date.now() - started < 20_000);
    } finally {
      unreachable.destroy();
    }
  });
});
