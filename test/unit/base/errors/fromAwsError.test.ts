// SDK errors mapped to coded ColdkeepErrors with hints; throttling and retryable errors told apart.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ColdkeepError, fromAwsError, isRetryable, isThrottling } from '@coldkeep/shared';

describe('fromAwsError', () => {
  const awsError = (name: string, message = name, status?: number): Error =>
    Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

  test('ResourceNotFoundException for a table → NoSuchTable with the table, region and a hint', () => {
    const cause = awsError('ResourceNotFoundException', 'Requested resource not found', 400);
    const err = fromAwsError(cause, { doing: 'describe table Orders', table: 'Orders', region: 'eu-west-1' });
    assert.ok(err instanceof ColdkeepError);
    assert.equal(err.code, 'NoSuchTable');
    assert.equal(err.message, 'Table "Orders" does not exist in eu-west-1.');
    assert.match(err.hint ?? '', /the region setting/);
    assert.match(err.hint ?? '', /coldkeep tables list/);
    assert.equal(err.cause, cause);
  });

  test('ResourceNotFoundException without a table is left alone', () => {
    const cause = awsError('ResourceNotFoundException');
    assert.equal(fromAwsError(cause, { doing: 'x' }), cause);
  });

  test('AccessDenied naming the action → AccessDenied with details.action and a hint to grant it', () => {
    const cause = awsError(
      'AccessDeniedException',
      'User: arn:aws:sts::123456789012:assumed-role/ro/me is not authorized to perform: dynamodb:Scan on resource: arn:aws:dynamodb:us-east-1:123456789012:table/T because no identity-based policy allows the dynamodb:Scan action',
      400,
    );
    const err = fromAwsError(cause, { doing: 'scan table T', table: 'T' });
    assert.ok(err instanceof ColdkeepError);
    assert.equal(err.code, 'AccessDenied');
    assert.deepEqual(err.details, { action: 'dynamodb:Scan' });
    assert.equal(err.message, 'Access denied while trying to scan table T: missing permission dynamodb:Scan.');
    assert.match(err.hint ?? '', /Grant dynamodb:Scan/);
    assert.deepEqual(err.toJSON().details, { action: 'dynamodb:Scan' });
  });

  test('AccessDenied without an action still maps, with no details', () => {
    const err = fromAwsError(awsError('AccessDenied', 'Access Denied', 403), {
      doing: 'write the manifest',
      bucket: 'b',
    });
    assert.ok(err instanceof ColdkeepError);
    assert.equal(err.code, 'AccessDenied');
    assert.equal(err.details, undefined);
    assert.match(err.hint ?? '', /sts get-caller-identity/);
  });

  test('expired tokens → ExpiredCredentials', () => {
    for (const name of ['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']) {
      const err = fromAwsError(awsError(name, 'The security token included in the request is expired'), {
        doing: 'list tables',
      });
      assert.ok(err instanceof ColdkeepError, name);
      assert.equal(err.code, 'ExpiredCredentials', name);
      assert.match(err.message, /while trying to list tables/);
      assert.match(err.hint ?? '', /sso login/);
    }
  });

  test('missing credentials, missing bucket and wrong region map to their codes', () => {
    const missing = fromAwsError(awsError('CredentialsProviderError'), { doing: 'x' }) as ColdkeepError;
    assert.equal(missing.code, 'MissingCredentials');
    // The hint says what a user does, not a command of the development checkout.
    assert.match(missing.hint ?? '', /aws configure.*profile.*"coldkeep demo"/);
    assert.doesNotMatch(missing.hint ?? '', /npm/);
    const noBucket = fromAwsError(awsError('NoSuchBucket'), {
      doing: 'x',
      bucket: 'bk',
      region: 'us-east-1',
    }) as ColdkeepError;
    assert.equal(noBucket.code, 'NoSuchBucket');
    assert.match(noBucket.message, /"bk" does not exist in us-east-1/);
    assert.equal(
      (fromAwsError(awsError('PermanentRedirect'), { doing: 'x', bucket: 'bk' }) as ColdkeepError).code,
      'RegionMismatch',
    );
  });

  test('unknown errors, non-objects and ColdkeepErrors come back unchanged', () => {
    const unknown = awsError('ValidationException', 'One or more parameter values were invalid');
    assert.equal(fromAwsError(unknown, { doing: 'x', table: 'T' }), unknown);
    const plain = new TypeError('boom');
    assert.equal(fromAwsError(plain, { doing: 'x' }), plain);
    assert.equal(fromAwsError('a string', { doing: 'x' }), 'a string');
    assert.equal(fromAwsError(undefined, { doing: 'x' }), undefined);
    const ours = new ColdkeepError('Throttled', 'slow');
    assert.equal(fromAwsError(ours, { doing: 'x' }), ours);
  });

  test('isThrottling / isRetryable', () => {
    assert.equal(isThrottling(awsError('ProvisionedThroughputExceededException')), true);
    assert.equal(isThrottling(awsError('Whatever', 'x', 429)), true);
    assert.equal(isThrottling(awsError('ValidationException', 'x', 400)), false);
    assert.equal(isRetryable(awsError('InternalServerError', 'x', 500)), true);
    assert.equal(isRetryable(awsError('Anything', 'x', 503)), true);
    assert.equal(isRetryable(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), true);
    assert.equal(isRetryable(awsError('AccessDenied', 'x', 403)), false);
    assert.equal(isRetryable(undefined), false);
  });
});
