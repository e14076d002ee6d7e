// The failures the SDK leaves raw, coded by every client (shared/src/aws/serviceErrors.ts), and
// S3's bucket naming rules, checked before any call (shared/src/aws/bucketName.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bucketNameProblem,
  CancelledError,
  checkBucketName,
  ColdkeepError,
  isRetryable,
  translateServiceFailure,
} from '@coldkeep/shared';

const netError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

describe('failures the SDK leaves raw', () => {
  test('no connection, no such host and timeouts are EndpointUnreachable, naming service and endpoint', () => {
    const cases: [Error, string][] = [
      [netError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'), 'connection refused'],
      [netError('ENOTFOUND', 'getaddrinfo ENOTFOUND s3.example.invalid'), 'host not found'],
      [
        Object.assign(new Error('Socket timed out without establishing a connection'), { name: 'TimeoutError' }),
        'timed out',
      ],
    ];
    for (const [cause, why] of cases) {
      const err = translateServiceFailure(cause, 's3', 'http://127.0.0.1:9', true) as ColdkeepError;
      assert.ok(err instanceof ColdkeepError);
      assert.equal(err.code, 'EndpointUnreachable');
      assert.equal(err.message, `Cannot reach S3 at http://127.0.0.1:9 (${why}).`);
      assert.deepEqual(err.settings, ['endpoint']);
      assert.equal(err.cause, cause);
    }
    // On AWS's own endpoints the hint is about the network and the region, not an endpoint setting.
    const aws = translateServiceFailure(
      netError('ENOTFOUND', 'x'),
      'dynamodb',
      'https://dynamodb.xx-1.amazonaws.com',
      false,
    );
    assert.deepEqual((aws as ColdkeepError).settings, ['region']);
    assert.match((aws as ColdkeepError).message, /^Cannot reach DynamoDB at https:\/\/dynamodb\.xx-1\.amazonaws\.com/);
  });

  test('the coded form is retried as the raw failure was; an answer that is not XML is not retried', () => {
    const refused = translateServiceFailure(netError('ECONNREFUSED', 'x'), 's3', 'http://h', true);
    assert.equal(isRetryable(refused), true);
    const html = Object.assign(
      new Error('@aws-sdk XML parse error\n  Deserialization error: to see the raw response…'),
      {
        $metadata: { httpStatusCode: 200 },
        $response: {},
      },
    );
    const unexpected = translateServiceFailure(html, 's3', 'http://h', true) as ColdkeepError;
    assert.equal(unexpected.code, 'UnexpectedResponse');
    assert.equal(unexpected.message, "S3 at http://h answered (HTTP 200) with something that is not S3's XML.");
    assert.equal(isRetryable(unexpected), false);
  });

  test('service errors, cancels and coded errors pass unchanged', () => {
    const noSuchKey = Object.assign(new Error('nope'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    assert.equal(translateServiceFailure(noSuchKey, 's3', 'http://h', true), noSuchKey);
    const cancel = new CancelledError();
    assert.equal(translateServiceFailure(cancel, 's3', 'http://h', true), cancel);
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    assert.equal(translateServiceFailure(abort, 's3', 'http://h', true), abort);
  });
});

describe('S3 bucket names', () => {
  test('valid names and ARNs pass', () => {
    for (const name of ['acme-backups', 'a.b.c', '123', 'x'.repeat(63)])
      assert.equal(bucketNameProblem(name), undefined, name);
    assert.doesNotThrow(() => checkBucketName('arn:aws:s3:eu-west-1:111122223333:accesspoint/backups'));
  });

  test('each rule S3 enforces is named', () => {
    const cases: [string, RegExp][] = [
      ['ab', /2 characters; a bucket name has 3 to 63/],
      ['x'.repeat(64), /64 characters/],
      ['My-Backups', /capital letter "M"/],
      ['my_backups', /the character "_"/],
      ['-backups', /begins and ends with a letter or digit/],
      ['backups.', /begins and ends with a letter or digit/],
      ['my..backups', /no two periods in a row/],
      ['192.168.5.4', /IP address/],
      ['xn--backups', /does not begin with "xn--"/],
      ['backups-s3alias', /does not end with "-s3alias"/],
    ];
    for (const [name, why] of cases) {
      assert.throws(
        () => checkBucketName(name),
        (err: ColdkeepError) =>
          err.code === 'InvalidBucketName' && why.test(err.message) && err.settings[0] === 'bucket',
        name,
      );
    }
  });
});
