import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, withRetry, type BackoffPolicy } from '@coldkeep/shared';

const policy: BackoffPolicy = { baseMs: 1, maxMs: 8, maxAttempts: 5 };

test('backoff delays grow exponentially up to the cap, with jitter below the ceiling', () => {
  assert.equal(
    backoffDelay(0, policy, () => 0.999),
    0,
  );
  assert.equal(
    backoffDelay(2, policy, () => 0.999),
    3,
  );
  assert.equal(
    backoffDelay(10, policy, () => 0.999),
    7,
  );
  assert.equal(
    backoffDelay(10, policy, () => 0),
    0,
  );
});

test('withRetry retries throttling and gives up after maxAttempts', async () => {
  let calls = 0;
  const throttle = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw throttle;
      },
      { policy },
    ),
    /slow down/,
  );
  assert.equal(calls, 5);
});

test('withRetry does not retry a non-transient error', async () => {
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw Object.assign(new Error('no'), { name: 'ValidationException' });
      },
      { policy },
    ),
  );
  assert.equal(calls, 1);
});
